package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"genestore/index"
	"genestore/internal/sparse"
	"genestore/store"
	"genestore/train/fromgenes"
	"genestore/train/prep"
	"genestore/vecindex"
	"genestore/vocab"
)

// CellsFromGenesOptions configure CellsFromGenes.
type CellsFromGenesOptions struct {
	// Datasets to embed (empty: every dataset the gene space covers).
	Datasets []string
	// Weight is the weighting (fromgenes.Weights); "" means
	// fromgenes.Scaled.
	Weight fromgenes.Weight
	// Index configures the space's HNSW index (its saved settings win);
	// the zero value means index.DefaultOptions.
	Index index.Options
}

// DefaultCellsFromGenesOptions returns the options `train
// cells-from-genes` starts from.
func DefaultCellsFromGenesOptions() CellsFromGenesOptions {
	return CellsFromGenesOptions{Weight: fromgenes.Scaled, Index: index.DefaultOptions()}
}

// CellsFromGenesDataset is one dataset's part of a CellsFromGenes run.
type CellsFromGenesDataset struct {
	Name     string `json:"name"`
	Cells    int    `json:"cells"`
	Embedded int    `json:"embedded"` // cells with a vector (Expression leaves cells without covered genes out)
	Genes    int    `json:"genes"`    // the dataset's genes with a consensus vector used
}

// CellsFromGenesResult reports a CellsFromGenes run.
type CellsFromGenesResult struct {
	ModelVersion string                  `json:"model_version"` // of the vectors written
	GeneModel    string                  `json:"gene_model"`    // version of the consensus gene vectors used
	Weight       fromgenes.Weight        `json:"weight"`
	Dim          int                     `json:"dim"`
	SharedGenes  int                     `json:"shared_genes"` // genes of the gene space every embedded dataset measures: the genes used
	Datasets     []CellsFromGenesDataset `json:"datasets"`
	Skipped      []string                `json:"skipped,omitempty"` // datasets not named that cannot be embedded: no gene in the gene space (or, under ScaledPerDataset, under two cells)
}

// fromGenesVersion is the model version of cells-from-genes vectors: the
// weighting and the gene model's version (vectors of either kind differ).
func fromGenesVersion(w fromgenes.Weight, geneVersion string) string {
	return "from-genes-" + string(w) + "/" + geneVersion
}

// CellsFromGenes embeds the cells of the chosen datasets, and of the
// datasets the space already holds, from the current consensus gene
// vectors (package train/fromgenes) into the "cells-from-genes" space,
// replacing it and its index in one transaction. No model is trained: any
// dataset whose genes the gene space covers can be embedded, including one
// appended after the gene model was trained (an append moves the
// consensus vectors, so the datasets already held are embedded again and
// the space stays comparable). It returns ErrConflict, writing nothing, if
// the gene vectors or the space changed, or a dataset it embeds was dropped
// or renamed, while it ran.
func CellsFromGenes(ctx context.Context, db *store.DB, o CellsFromGenesOptions, log io.Writer) (*CellsFromGenesResult, error) {
	if log == nil {
		log = io.Discard
	}
	if o.Weight == "" {
		o.Weight = fromgenes.Scaled
	}
	if o.Index == (index.Options{}) {
		o.Index = index.DefaultOptions()
	}
	if !slices.Contains(fromgenes.Weights(), o.Weight) {
		return nil, fmt.Errorf("cells from genes: weight %q: want one of %v", o.Weight, fromgenes.Weights())
	}
	const space = vocab.SpaceCellsFromGenes
	type input struct {
		info  store.DatasetInfo
		x     *sparse.CSR
		genes []uint32
		held  bool // in the space already, not named
	}
	var (
		ins              []input
		geneVer          string
		geneIDs          []uint32
		geneVecs         []float32
		dim              int
		genGenes, genOut uint64
		res              = &CellsFromGenesResult{Weight: o.Weight}
	)
	err := db.View(func(tx *store.Tx) error {
		var err error
		if genGenes, err = tx.Generation(vocab.SpaceGenes); err != nil {
			return err
		}
		if genOut, err = tx.Generation(space); err != nil {
			return err
		}
		gs, err := tx.Space(vocab.SpaceGenes)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		cset, ok := gs.Set(vocab.Consensus)
		if !ok {
			return fmt.Errorf("%w: no consensus gene vectors: run `genestore train genes` first", ErrNoData)
		}
		geneVer = cset.Provenance.ModelVersion
		if geneIDs, dim, geneVecs, err = tx.Embeddings(vocab.SpaceGenes, vocab.Consensus); err != nil {
			return err
		}
		infos, err := selectDatasets(tx, o.Datasets)
		if err != nil {
			return err
		}
		// read adds a dataset's matrix and genes to ins.
		read := func(info store.DatasetInfo, held bool) error {
			in := input{info: info, held: held}
			var err error
			if in.x, err = tx.Matrix(info.ID); err != nil {
				return fmt.Errorf("dataset %q: %w", info.Name, err)
			}
			if in.genes, err = tx.DatasetGenes(info.ID); err != nil {
				return fmt.Errorf("dataset %q: %w", info.Name, err)
			}
			ins = append(ins, in)
			return nil
		}
		for _, info := range infos {
			if err := read(info, false); err != nil {
				return err
			}
		}
		// The datasets the space already holds are embedded again with the
		// current consensus vectors and weighting, so the space stays one
		// comparable set of vectors.
		sp, err := tx.Space(space)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, set := range sp.Sets {
			if slices.ContainsFunc(ins, func(in input) bool { return in.info.ID == set.Dataset }) {
				continue
			}
			info, err := tx.DatasetByID(set.Dataset)
			if err != nil {
				return err
			}
			if err := read(info, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("%w: the store holds no datasets", ErrNoData)
	}
	res.GeneModel, res.Dim = geneVer, dim
	res.ModelVersion = fromGenesVersion(o.Weight, geneVer)
	centred := fromgenes.Centre(geneVecs, dim)
	row := make(map[uint32]int, len(geneIDs))
	for i, g := range geneIDs {
		row[g] = i
	}

	type output struct {
		info store.DatasetInfo
		ids  []uint32
		vecs []float32
	}
	// Datasets without a gene of the gene space, or under ScaledPerDataset with
	// fewer than two cells, are skipped (or refused when named); the others are embedded from the genes they all
	// measure, so every cell is built on the same genes and datasets with
	// different gene panels stay comparable.
	var use []input
	for _, in := range ins {
		if !slices.ContainsFunc(in.genes, func(g uint32) bool { _, ok := row[g]; return ok }) {
			if len(o.Datasets) == 0 || in.held {
				fmt.Fprintf(log, "cells from genes: dataset %q skipped: none of its %d genes is in the gene space\n", in.info.Name, len(in.genes))
				res.Skipped = append(res.Skipped, in.info.Name)
				continue
			}
			return nil, fmt.Errorf("%w: dataset %q: none of its %d genes is in the gene space", ErrNoData, in.info.Name, len(in.genes))
		}
		if o.Weight == fromgenes.ScaledPerDataset && in.info.Cells < 2 {
			// No gene varies over one cell: ScaledPerDataset has nothing to weigh.
			if len(o.Datasets) == 0 || in.held {
				fmt.Fprintf(log, "cells from genes: dataset %q skipped: %d cell(s), too few to standardise over (--weight %s embeds it)\n", in.info.Name, in.info.Cells, fromgenes.Expression)
				res.Skipped = append(res.Skipped, in.info.Name)
				continue
			}
			return nil, fmt.Errorf("%w: dataset %q: %d cell(s), too few to standardise over (--weight %s embeds it)", ErrNoData, in.info.Name, in.info.Cells, fromgenes.Expression)
		}
		use = append(use, in)
	}
	if len(use) == 0 {
		return nil, fmt.Errorf("%w: no dataset has genes in the gene space", ErrNoData)
	}
	shared := map[uint32]int{}
	for _, in := range use {
		seen := map[uint32]bool{}
		for _, g := range in.genes {
			if _, ok := row[g]; ok && !seen[g] {
				seen[g] = true
				shared[g]++
			}
		}
	}
	for g, n := range shared {
		if n < len(use) {
			delete(shared, g)
		}
	}
	if len(shared) == 0 {
		names := make([]string, len(use))
		for i, in := range use {
			names[i] = in.info.Name
		}
		return nil, fmt.Errorf("%w: datasets %s share no gene of the gene space", ErrNoData, strings.Join(names, ", "))
	}
	res.SharedGenes = len(shared)
	fmt.Fprintf(log, "cells from genes: %d genes of the gene space measured by all %d datasets\n", len(shared), len(use))

	// Each dataset log-normalised (in place of its counts) with its genes'
	// vectors, and, under Scaled, the moments of every shared gene over the
	// cells of all of them.
	Es := make([][][]float32, len(use))
	var (
		pooledN             float64
		pooledSum, pooledSq = map[uint32]float64{}, map[uint32]float64{}
	)
	for i := range use {
		in := &use[i]
		E := make([][]float32, len(in.genes))
		first := make(map[uint32]bool, len(shared))
		for j, g := range in.genes {
			if _, ok := shared[g]; ok && !first[g] { // a gene's first column only
				first[g] = true
				r := row[g]
				E[j] = centred[r*dim : (r+1)*dim]
			}
		}
		Es[i] = E
		if in.info.Values != vocab.Log {
			xn, err := prep.Normalize(in.x, in.info.Values, 1e4)
			if err != nil {
				return nil, fmt.Errorf("dataset %q: %w", in.info.Name, err)
			}
			in.x = xn
		}
		if o.Weight == fromgenes.Scaled {
			m := fromgenes.ColumnMoments(in.x)
			pooledN += m.N
			for j, g := range in.genes {
				if E[j] != nil {
					pooledSum[g] += m.Sum[j]
					pooledSq[g] += m.SumSq[j]
				}
			}
		}
	}
	var outs []output
	all := &vecindex.Vectors{Space: space, Dim: dim}
	for i, in := range use {
		E := Es[i]
		var pooled *fromgenes.Moments
		if o.Weight == fromgenes.Scaled {
			pooled = &fromgenes.Moments{N: pooledN, Sum: make([]float64, len(in.genes)), SumSq: make([]float64, len(in.genes))}
			for j, g := range in.genes {
				if E[j] != nil {
					pooled.Sum[j], pooled.SumSq[j] = pooledSum[g], pooledSq[g]
				}
			}
		}
		emb, err := fromgenes.Embed(ctx, in.x, E, dim, o.Weight, pooled)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: %w", in.info.Name, err)
		}
		// Stored at unit length: the space is compared by cosine, and a
		// vector's length (how far the cell's genes stray from their means
		// in all) would only weigh in a Euclidean reading of the export.
		unitRows(emb.Vecs, dim)
		out := output{info: in.info}
		for c := range in.info.Cells {
			if emb.Empty[c] {
				continue
			}
			out.ids = append(out.ids, uint32(c))
			out.vecs = append(out.vecs, emb.Vecs[c*dim:(c+1)*dim]...)
			all.Keys = append(all.Keys, vocab.EntityKey(in.info.ID, uint32(c)))
		}
		all.Vecs = append(all.Vecs, out.vecs...)
		outs = append(outs, out)
		res.Datasets = append(res.Datasets, CellsFromGenesDataset{Name: in.info.Name, Cells: in.info.Cells, Embedded: len(out.ids), Genes: emb.Covered})
		fmt.Fprintf(log, "cells from genes: %q: %d of %d cells embedded from %d genes (%s)\n", in.info.Name, len(out.ids), in.info.Cells, emb.Covered, o.Weight)
	}
	opts, err := indexOptions(db, space, o.Index)
	if err != nil {
		return nil, err
	}
	ix, err := vecindex.Build(ctx, all, opts)
	if err != nil {
		return nil, err
	}
	prov := store.Provenance{Kind: "cells-from-genes", ModelVersion: res.ModelVersion}
	// normalize says what prep.Normalize made of the dataset's values.
	normalize := func(v vocab.ValueType) string {
		switch v {
		case vocab.Log:
			return "none (log values as stored)"
		case vocab.Normalized:
			return "log1p of the normalised values"
		}
		return "log1p of counts per 10,000"
	}
	if testHookBeforeTrainCommit != nil {
		testHookBeforeTrainCommit(space)
	}
	start := time.Now()
	err = db.Update(func(tx *store.Tx) error {
		if err := checkGeneration(tx, vocab.SpaceGenes, genGenes); err != nil {
			return err
		}
		if err := checkGeneration(tx, space, genOut); err != nil {
			return err
		}
		// A dataset dropped meanwhile must not get vectors back.
		infos := make([]store.DatasetInfo, len(outs))
		for i, out := range outs {
			infos[i] = out.info
		}
		if err := checkDatasetNames(tx, infos); err != nil {
			return err
		}
		if err := clearSpace(tx, space); err != nil {
			return err
		}
		for _, out := range outs {
			p := prov
			p.Datasets = []uint32{out.info.ID}
			params, err := json.Marshal(map[string]any{"weight": o.Weight, "gene_model": geneVer, "normalize": normalize(out.info.Values)})
			if err != nil {
				return err
			}
			p.Params = params
			if len(out.ids) == 0 {
				continue
			}
			if err := tx.PutEmbeddings(space, out.info.ID, out.ids, dim, out.vecs, p); err != nil {
				return err
			}
		}
		if err := vecindex.Save(tx, space, ix); err != nil {
			return err
		}
		return tx.MarkClusteringsStale(space)
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "cells from genes: committed in %.2fs\n", time.Since(start).Seconds())
	return res, nil
}
