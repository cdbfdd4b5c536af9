package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"genestore/index"
	"genestore/layout/spacelayout"
	"genestore/store"
	"genestore/train/gnn"
	"genestore/train/vae"
	"genestore/vecindex"
	"genestore/vocab"
)

// DefaultCompactAbove is the share of tombstones in an index above which
// Drop compacts it (index.Index.Compact) before saving its snapshot.
const DefaultCompactAbove = 0.10

// DropOptions configure Drop.
type DropOptions struct {
	// Index configures indexes that must be rebuilt (only when a snapshot
	// is missing or stale).
	Index index.Options
	// CompactAbove is the tombstone share above which an index is
	// compacted; 0 means DefaultCompactAbove, a negative value never.
	CompactAbove float64
}

// DropResult summarises Drop. Its JSON form is what `genestore drop
// --json` prints.
type DropResult struct {
	Dataset          store.DatasetInfo `json:"dataset"`
	Removed          store.DropStats   `json:"removed"`
	ConsensusUpdated int               `json:"consensus_updated"` // consensus gene vectors recomputed without the dataset
	ConsensusRemoved int               `json:"consensus_removed"` // genes no other dataset has
	GeneModel        string            `json:"gene_model"`        // what happened to the gene model
	CellModel        string            `json:"cell_model"`        // what happened to the cell model
	Indexes          []IndexChange     `json:"indexes"`
	LayoutRemoved    int               `json:"layout_removed"` // points taken off the cell map (spacelayout.Forget)
	Seconds          float64           `json:"seconds"`
}

// IndexChange is what Drop did to one space's index.
type IndexChange struct {
	Space      string  `json:"space"`
	Deleted    int     `json:"deleted"`    // vectors tombstoned
	Live       int     `json:"live"`       // vectors left
	Tombstones int     `json:"tombstones"` // after compaction, if any
	Compacted  bool    `json:"compacted"`
	Seconds    float64 `json:"seconds"`
}

// Drop removes dataset name and everything that comes from it, in ONE
// write transaction: its stored records (store.Tx.DropDataset: matrix,
// cells, obs, edges, layers, its vectors in every space, networks inferred
// from it, with their DeepMCL weights), its layer of the gene model (the consensus vectors of its genes
// recomputed from the datasets left; genes only it had lose theirs), its
// batches in the cell model (their rows removed: every other cell embeds
// as before), its entries in every index (tombstoned with repair, the
// index compacted when tombstones pass CompactAbove, then saved) and its
// cells' points on a current cell map (spacelayout.Forget).
// Clusterings of the spaces it was in and predictions from it are marked
// stale; a drop record keeps its provenance. Other datasets' vectors are
// untouched (byte-identical).
//
// The cell model's gene loadings ("cell-genes") are kept: with a linear
// decoder they are its weights, which do not depend on a batch; otherwise
// they were fitted on every training cell, the dropped ones included, until
// the next `train cells`.
//
// Like Append, it reads and computes outside any write transaction and
// re-checks at commit that the spaces it changes did not move (up to three
// attempts, then ErrConflict).
func Drop(ctx context.Context, db *store.DB, name string, o DropOptions, log io.Writer) (*DropResult, error) {
	if log == nil {
		log = io.Discard
	}
	if o.CompactAbove == 0 {
		o.CompactAbove = DefaultCompactAbove
	}
	for attempt := 1; ; attempt++ {
		res, err := dropOnce(ctx, db, name, o, log)
		if !errors.Is(err, ErrConflict) || attempt == 3 {
			return res, err
		}
		fmt.Fprintf(log, "drop: %v; computing again\n", err)
	}
}

// dropPlan is what dropOnce read before its write transaction.
type dropPlan struct {
	info   store.DatasetInfo
	gens   map[string]uint64 // generation of every space, as read
	spaces []string          // spaces holding a set of the dataset (or, for genes, consensus to update)
	gm, cm *modelState
	// batches are the dataset's batches in the cell model (datasetBatches).
	batches map[string]bool
}

func dropOnce(ctx context.Context, db *store.DB, name string, o DropOptions, log io.Writer) (*DropResult, error) {
	start := time.Now()
	p := dropPlan{gens: map[string]uint64{}}
	err := db.View(func(tx *store.Tx) error {
		var err error
		if p.info, err = tx.DatasetByName(name); err != nil {
			return err
		}
		spaces, err := tx.Spaces()
		if err != nil {
			return err
		}
		for _, sp := range spaces {
			p.gens[sp.Name] = sp.Generation
			if slices.ContainsFunc(sp.Sets, func(s store.EmbeddingSet) bool { return s.Dataset == p.info.ID }) {
				p.spaces = append(p.spaces, sp.Name)
			}
		}
		if p.gm, err = loadModel(tx, vocab.SpaceGenes, vocab.ModelGenes); err != nil {
			return err
		}
		if p.cm, err = loadModel(tx, vocab.SpaceCells, vocab.ModelCells); err != nil {
			return err
		}
		p.batches, err = datasetBatches(tx, p.info)
		return err
	})
	if err != nil {
		return nil, err
	}
	res := &DropResult{Dataset: p.info, GeneModel: "no gene model", CellModel: "no cell model"}
	var writes []func(*store.Tx) error

	// Indexes of the spaces the dataset is in, with its keys tombstoned.
	ixs := map[string]*index.Index{}
	for _, sp := range p.spaces {
		ix, err := vecindex.Load(ctx, db, sp, o.Index, log)
		if err != nil {
			return nil, err
		}
		if ix.Generation() != p.gens[sp] {
			return nil, fmt.Errorf("%w (space %q moved while drop loaded its index)", ErrConflict, sp)
		}
		ch := IndexChange{Space: sp}
		for _, k := range ix.Keys() {
			if ds, _ := vocab.SplitEntityKey(k); ds == p.info.ID {
				if err := ix.Delete(k); err != nil {
					return nil, err
				}
				ch.Deleted++
			}
		}
		ixs[sp] = ix
		res.Indexes = append(res.Indexes, ch)
	}

	if p.gm != nil {
		w, err := dropGenes(ctx, p, ixs[vocab.SpaceGenes], res)
		if err != nil {
			return nil, fmt.Errorf("gene model: %w", err)
		}
		writes = append(writes, w)
	}
	if p.cm != nil {
		w, err := dropCells(p, res)
		if err != nil {
			return nil, fmt.Errorf("cell model: %w", err)
		}
		writes = append(writes, w)
	}
	for i := range res.Indexes {
		ch := &res.Indexes[i]
		ix := ixs[ch.Space]
		t0 := time.Now()
		if tomb := ix.Nodes() - ix.Len(); o.CompactAbove > 0 && ix.Nodes() > 0 && float64(tomb) > o.CompactAbove*float64(ix.Nodes()) {
			if err := ix.Compact(ctx); err != nil {
				return nil, err
			}
			ch.Compacted = true
		}
		ch.Live, ch.Tombstones, ch.Seconds = ix.Len(), ix.Nodes()-ix.Len(), time.Since(t0).Seconds()
	}
	if testHookBeforeDropTx != nil {
		testHookBeforeDropTx()
	}
	err = db.Update(func(tx *store.Tx) error {
		for sp, gen := range p.gens {
			if err := checkGeneration(tx, sp, gen); err != nil {
				return err
			}
		}
		now, err := tx.DatasetByID(p.info.ID)
		if err != nil {
			return err
		}
		if now.Name != p.info.Name {
			return fmt.Errorf("%w (dataset %d renamed while drop computed)", ErrConflict, p.info.ID)
		}
		// Renaming another dataset rewrites the models without moving a space.
		if p.gm != nil {
			if err := checkModelUnchanged(tx, vocab.ModelGenes, p.gm.weights); err != nil {
				return err
			}
		}
		if p.cm != nil {
			if err := checkModelUnchanged(tx, vocab.ModelCells, p.cm.weights); err != nil {
				return err
			}
		}
		if res.Removed, err = tx.DropDataset(ctx, p.info.ID); err != nil {
			return err
		}
		for _, n := range res.Removed.Networks { // a DeepMCL network's weights go with it
			if err := tx.DeleteBlob(vocab.BlobModel, GRNModelBlob(n)); err != nil {
				return err
			}
		}
		for _, w := range writes {
			if err := w(tx); err != nil {
				return err
			}
		}
		if slices.Contains(p.spaces, vocab.SpaceCells) {
			n, err := spacelayout.Forget(tx, vocab.SpaceCells, p.gens[vocab.SpaceCells], func(k uint64) bool {
				ds, _ := vocab.SplitEntityKey(k)
				return ds == p.info.ID
			})
			if err != nil {
				return err
			}
			res.LayoutRemoved = n
		}
		// Snapshots last: each is stamped with its space's generation
		// after every write to the space.
		for _, sp := range p.spaces {
			if err := vecindex.Save(tx, sp, ixs[sp]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	fmt.Fprintf(log, "drop: %s: %s; %s\n", name, res.GeneModel, res.CellModel)
	return res, nil
}

// testHookBeforeDropTx, when set by a test, runs between Drop's computing
// and its write transaction.
var testHookBeforeDropTx func()

// dropGenes removes the dataset's layer from the gene model, recomputes
// the consensus vectors of its genes in ix, and returns the writes.
func dropGenes(ctx context.Context, p dropPlan, ix *index.Index, res *DropResult) (func(*store.Tx) error, error) {
	model := new(gnn.Model)
	if err := model.UnmarshalBinary(p.gm.weights); err != nil {
		return nil, err
	}
	own, ok := model.Embedding(p.info.Name)
	if !ok || !model.RemoveDataset(p.info.Name) {
		res.GeneModel = "dataset not in the gene model (appended without it, or trained before it)"
		return func(*store.Tx) error { return nil }, nil
	}
	cons := model.Consensus(own.Genes)
	var gone []uint32
	for _, g := range own.Genes {
		if _, found := slices.BinarySearch(cons.Genes, g); !found {
			gone = append(gone, g)
		}
	}
	if ix != nil {
		if err := replaceConsensus(ix, cons); err != nil {
			return nil, err
		}
		for _, g := range gone {
			if k := vocab.EntityKey(vocab.Consensus, g); ix.Contains(k) {
				if err := ix.Delete(k); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.ConsensusUpdated, res.ConsensusRemoved = len(cons.Genes), len(gone)
	if len(model.Datasets()) == 0 {
		// The model held only this dataset: it goes, with its consensus.
		res.GeneModel = "gene model removed (it held only this dataset): run train genes"
		return func(tx *store.Tx) error {
			if _, err := tx.DeleteVectors(vocab.SpaceGenes, vocab.Consensus, gone); err != nil {
				return err
			}
			return tx.DeleteBlob(vocab.BlobModel, vocab.ModelGenes)
		}, nil
	}
	weights, err := model.MarshalBinary()
	if err != nil {
		return nil, err
	}
	res.GeneModel = fmt.Sprintf("layer of %q removed; %d consensus vectors recomputed, %d removed", p.info.Name, len(cons.Genes), len(gone))
	prov := store.Provenance{Kind: "gene-model", ModelVersion: p.gm.version, Params: p.gm.params, Datasets: nil}
	return func(tx *store.Tx) error {
		// the consensus still averages the other datasets: keep its own
		// provenance (the training's params, the datasets appended), less
		// the dropped dataset
		if sp, err := tx.Space(vocab.SpaceGenes); err == nil {
			if set, ok := sp.Set(vocab.Consensus); ok {
				prov.Datasets = slices.DeleteFunc(slices.Clone(set.Provenance.Datasets), func(id uint32) bool { return id == p.info.ID })
				prov.Params = droppedConsensusParams(set.Provenance.Params, p.info.Name)
			}
		}
		if len(cons.Genes) > 0 {
			if err := tx.PutEmbeddings(vocab.SpaceGenes, vocab.Consensus, cons.Genes, cons.Dim, cons.Vecs, prov); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteVectors(vocab.SpaceGenes, vocab.Consensus, gone); err != nil {
			return err
		}
		return tx.PutBlob(vocab.BlobModel, vocab.ModelGenes, weights)
	}, nil
}

// droppedConsensusParams returns the consensus set's params with dataset
// name taken off their "appended" list (appendedConsensusProvenance); params
// that are not a JSON object are kept as they are.
func droppedConsensusParams(params json.RawMessage, name string) json.RawMessage {
	var m map[string]any
	if len(params) == 0 || json.Unmarshal(params, &m) != nil {
		return params
	}
	a := appendedList(m)
	kept := slices.DeleteFunc(slices.Clone(a), func(v any) bool { return v == name })
	switch _, single := m["appended"].(string); {
	case len(kept) == len(a):
		return params
	case single: // one append before the list: the key goes
		delete(m, "appended")
	default:
		m["appended"] = kept
	}
	out, err := json.Marshal(m)
	if err != nil {
		return params
	}
	return out
}

// replaceConsensus puts cons's consensus vectors into ix, replacing the
// ones it holds for the same genes.
func replaceConsensus(ix *index.Index, cons gnn.Embedding) error {
	for i, g := range cons.Genes {
		k := vocab.EntityKey(vocab.Consensus, g)
		if ix.Contains(k) {
			if err := ix.Delete(k); err != nil {
				return err
			}
		}
		if err := ix.Add(k, cons.Vecs[i*cons.Dim:(i+1)*cons.Dim]); err != nil {
			return err
		}
	}
	return nil
}

// dropCells removes the dataset's batches from the cell model and returns
// the write.
func dropCells(p dropPlan, res *DropResult) (func(*store.Tx) error, error) {
	model := new(vae.Model)
	if err := model.UnmarshalBinary(p.cm.weights); err != nil {
		return nil, err
	}
	name := p.info.Name
	n, err := model.RemoveBatches(func(b string) bool { return p.batches[b] })
	switch {
	case errors.Is(err, vae.ErrInput):
		// Every batch was the dataset's: the model embeds nothing else.
		res.CellModel = "cell model removed (it held only this dataset): run train cells"
		return func(tx *store.Tx) error {
			if _, err := tx.Space(vocab.SpaceCellGenes); err == nil {
				if err := tx.DeleteEmbeddings(vocab.SpaceCellGenes, vocab.Consensus); err != nil {
					return err
				}
			}
			for _, b := range [][2]string{{vocab.BlobIndex, vocab.SpaceCellGenes}, {vocab.BlobModel, ModelCellGenes}, {vocab.BlobModel, vocab.ModelCells}} {
				if err := tx.DeleteBlob(b[0], b[1]); err != nil {
					return err
				}
			}
			return nil
		}, nil
	case err != nil:
		return nil, err
	case n == 0:
		res.CellModel = "dataset not in the cell model"
		return func(*store.Tx) error { return nil }, nil
	}
	weights, err := model.MarshalBinary()
	if err != nil {
		return nil, err
	}
	res.CellModel = fmt.Sprintf("%d batch(es) of %q removed from the cell model; gene loadings (cell-genes) kept", n, name)
	return func(tx *store.Tx) error { return tx.PutBlob(vocab.BlobModel, vocab.ModelCells, weights) }, nil
}

// RenameResult summarises Rename.
type RenameResult struct {
	Dataset   store.DatasetInfo `json:"dataset"`
	OldName   string            `json:"old_name"`
	GeneModel bool              `json:"gene_model"` // the gene model's layer was renamed
	CellModel bool              `json:"cell_model"` // the cell model's batches were renamed
}

// Rename renames dataset old to new (store.CheckDatasetName rules) in one
// write transaction, together with the names the models know it by (the
// gene model's layer, the cell model's batches "old" and "old/<value>"), so
// a later append or drop finds it under its new name. Regulatory networks
// and predictions keep the view and dataset names they were computed with.
func Rename(ctx context.Context, db *store.DB, old, newName string) (*RenameResult, error) {
	if err := store.CheckDatasetName(newName); err != nil {
		return nil, err
	}
	res := &RenameResult{OldName: old}
	err := db.Update(func(tx *store.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if res.Dataset, err = tx.RenameDataset(old, newName); err != nil {
			return err
		}
		if gm, err := loadModel(tx, vocab.SpaceGenes, vocab.ModelGenes); err != nil {
			return err
		} else if gm != nil {
			model := new(gnn.Model)
			if err := model.UnmarshalBinary(gm.weights); err != nil {
				return err
			}
			if res.GeneModel, err = model.RenameDataset(old, newName); err != nil {
				return err
			}
			if res.GeneModel {
				w, err := model.MarshalBinary()
				if err != nil {
					return err
				}
				if err := tx.PutBlob(vocab.BlobModel, vocab.ModelGenes, w); err != nil {
					return err
				}
			}
		}
		return renameCellBatches(tx, old, newName, res)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// renameCellBatches renames the cell model's batches of dataset old.
func renameCellBatches(tx *store.Tx, old, newName string, res *RenameResult) error {
	cm, err := loadModel(tx, vocab.SpaceCells, vocab.ModelCells)
	if err != nil || cm == nil {
		return err
	}
	model := new(vae.Model)
	if err := model.UnmarshalBinary(cm.weights); err != nil {
		return err
	}
	info := res.Dataset
	info.Name = old
	batches, err := datasetBatches(tx, info)
	if err != nil {
		return err
	}
	err = model.RenameBatches(func(b string) string {
		if batches[b] {
			res.CellModel = true
			return newName + b[len(old):]
		}
		return b
	})
	if err != nil || !res.CellModel {
		return err
	}
	w, err := model.MarshalBinary()
	if err != nil {
		return err
	}
	return tx.PutBlob(vocab.BlobModel, vocab.ModelCells, w)
}

// datasetBatches returns the names of dataset info's batches in the cell
// model: the dataset's name, or "<name>/<value>" for each value of the
// batch key its cells were embedded with (its "cells" set records it; empty
// there means the dataset's own); none when the space holds no cells of it.
// Matching batches by the prefix "<name>/" instead would take dataset
// "<name>/x"'s batches too: dataset names may hold "/".
func datasetBatches(tx *store.Tx, info store.DatasetInfo) (map[string]bool, error) {
	sp, err := tx.Space(vocab.SpaceCells)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	set, ok := sp.Set(info.ID)
	if !ok {
		return nil, nil
	}
	var params struct {
		BatchKey string `json:"batch_key"`
	}
	_ = json.Unmarshal(set.Provenance.Params, &params)
	key := params.BatchKey
	if key == "" {
		key = info.BatchKey
	}
	if key == "" {
		return map[string]bool{info.Name: true}, nil
	}
	col, err := tx.ObsColumn(info.ID, key)
	if err != nil {
		return nil, fmt.Errorf("dataset %q: batch key %q: %w", info.Name, key, err)
	}
	out := map[string]bool{}
	for _, v := range col {
		out[info.Name+"/"+v] = true
	}
	return out, nil
}
