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
	"genestore/internal/sparse"
	"genestore/layout/spacelayout"
	"genestore/query/eval"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/gnn"
	"genestore/train/prep"
	"genestore/train/vae"
	"genestore/vecindex"
	"genestore/vocab"
)

// Training budget of a new dataset's layer of the gene model.
const (
	appendGeneEpochs   = 100
	appendGenePatience = 20
)

// AppendOptions configure Append.
type AppendOptions struct {
	// BatchKey is the obs column naming each new cell's batch; empty makes
	// the new dataset one batch.
	BatchKey string
	// Seed seeds the training of the new parts.
	Seed uint64
	// Index configures indexes that must be rebuilt (only when a snapshot
	// is missing or stale; normally the saved ones are extended in place).
	Index index.Options
	// FillMissing says how genes the cell model needs and the dataset
	// lacks are filled: FillAuto (predict them when the store holds an
	// expression model that can, else zeros), FillZero or FillPredict.
	FillMissing string
	// Dataset holds the new dataset's modality, species and ortholog table
	// (its BatchKey is ignored: BatchKey above is used).
	Dataset store.AddOptions
}

// addOptions are the store options the new dataset is added with.
func (o AppendOptions) addOptions() store.AddOptions {
	a := o.Dataset
	a.BatchKey = o.BatchKey
	return a
}

// AppendResult summarises Append.
type AppendResult struct {
	Dataset          store.DatasetInfo
	GeneVectors      int // new per-dataset gene vectors
	ConsensusTouched int // consensus vectors added or updated
	GeneEdges        int
	CellVectors      int
	GeneModelVersion string
	CellModelVersion string
	GeneSeconds      float64 // training the new gene layer
	CellSeconds      float64 // training the new batch parameters
	CommitSeconds    float64
	SkippedGeneModel string // why the gene model was not extended, if it was not
	SkippedCellModel string
	FilledGenes      int // genes of the cell model the dataset lacks, predicted (FillMissing)
	LaidOut          int // new cells placed on the stored cell map (spacelayout.Extend)
}

// modelState is a trained model as the store holds it.
type modelState struct {
	weights []byte
	version string
	params  json.RawMessage
	genes   []uint32 // cell model only: its input genes
}

func loadModel(tx *store.Tx, space, name string) (*modelState, error) {
	w, err := tx.Blob(vocab.BlobModel, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	info, err := tx.Space(space)
	if err != nil {
		return nil, fmt.Errorf("model %q has weights but space %q is missing: %w", name, space, err)
	}
	st := &modelState{weights: w}
	for _, s := range info.Sets {
		st.version, st.params = s.Provenance.ModelVersion, s.Provenance.Params
		break
	}
	if name == vocab.ModelCells {
		b, err := tx.Blob(vocab.BlobModel, ModelCellGenes)
		if err != nil {
			return nil, fmt.Errorf("cell model gene list: %w", err)
		}
		if st.genes, err = decodeIDs(b); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// Append adds one dataset to a store whose models are trained, without
// retraining them: the dataset is ingested, its co-expression graph built,
// the gene model gets a new dataset-specific layer trained with the shared
// layers frozen, the cell model gets the new batch's parameters trained with
// everything else frozen (scArches-style), and the new vectors are inserted
// into the saved indexes in place. Vectors of the other datasets stay
// byte-identical; consensus vectors of the genes the dataset has are
// updated; clusterings of both spaces are marked stale.
//
// It reads what it needs in short read transactions, trains the new parts
// with no lock held, and commits everything in one write transaction:
// readers see the whole append at once, and a failure or a crash leaves the
// store exactly as it was. The commit checks that nothing it used changed
// meanwhile (the dataset id and gene ids it planned with, the spaces and
// models it extends); if another writer committed in between, Append
// computes again (up to three times), then gives up with ErrConflict.
func Append(ctx context.Context, db *store.DB, name string, ds *ingest.Dataset, o AppendOptions, log io.Writer) (*AppendResult, error) {
	if log == nil {
		log = io.Discard
	}
	for attempt := 1; ; attempt++ {
		res, err := appendOnce(ctx, db, name, ds, o, log)
		if err == nil {
			hintCellsFromGenes(db, name, log)
		}
		if !errors.Is(err, ErrConflict) || attempt == 3 {
			return res, err
		}
		fmt.Fprintf(log, "append: %v; computing again\n", err)
	}
}

// hintCellsFromGenes says how to add an appended dataset to the
// cells-from-genes space when the store has one: Append does not embed it
// there, since that embeds every held dataset again (the append moved the
// consensus vectors) and rebuilds the space's index.
func hintCellsFromGenes(db *store.DB, name string, log io.Writer) {
	_ = db.View(func(tx *store.Tx) error {
		if sp, err := tx.Space(vocab.SpaceCellsFromGenes); err == nil && len(sp.Sets) > 0 {
			fmt.Fprintf(log, "append: the cells-from-genes space does not hold %q; add it (and refresh the others with the moved consensus) with: genestore train cells-from-genes --datasets %s\n", name, name)
		}
		return nil
	})
}

// appendOnce is one attempt of Append: read, compute, commit.
func appendOnce(ctx context.Context, db *store.DB, name string, ds *ingest.Dataset, o AppendOptions, log io.Writer) (*AppendResult, error) {
	var (
		id               uint32
		genes            []uint32
		gm, cm           *modelState
		genGenes, genCel uint64
		fill             *fillPlan
	)
	err := db.View(func(tx *store.Tx) error {
		var err error
		if id, genes, err = tx.PlanDataset(name, ds, o.addOptions()); err != nil {
			return err
		}
		if gm, err = loadModel(tx, vocab.SpaceGenes, vocab.ModelGenes); err != nil {
			return err
		}
		if cm, err = loadModel(tx, vocab.SpaceCells, vocab.ModelCells); err != nil {
			return err
		}
		if genGenes, err = tx.Generation(vocab.SpaceGenes); err != nil {
			return err
		}
		if genCel, err = tx.Generation(vocab.SpaceCells); err != nil {
			return err
		}
		if cm != nil {
			fill, err = readFillPlan(tx, o.FillMissing, cm.genes)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// Indexes are loaded (or rebuilt) outside any write transaction; one
	// that does not match the generations read above means another writer
	// committed in between.
	ixOpts := o.Index
	var geneIx, cellIx *index.Index
	if gm != nil {
		if geneIx, err = vecindex.Load(ctx, db, vocab.SpaceGenes, ixOpts, log); err != nil {
			return nil, err
		}
		if geneIx.Generation() != genGenes {
			return nil, fmt.Errorf("%w (space %q moved while append loaded its index)", ErrConflict, vocab.SpaceGenes)
		}
	}
	if cm != nil {
		if cellIx, err = vecindex.Load(ctx, db, vocab.SpaceCells, ixOpts, log); err != nil {
			return nil, err
		}
		if cellIx.Generation() != genCel {
			return nil, fmt.Errorf("%w (space %q moved while append loaded its index)", ErrConflict, vocab.SpaceCells)
		}
	}
	// The dataset as AddDataset will record it (checked at commit).
	info := store.DatasetInfo{ID: id, Name: name, Format: ds.Format, Source: ds.Source, SHA256: ds.SHA256,
		Values: ds.Values, Cells: ds.X.Rows, Genes: ds.X.Cols, NNZ: int64(ds.X.NNZ()), BatchKey: o.BatchKey,
		Species: o.Dataset.Species, Spots: len(ds.Coords)}
	if info.Modality, err = store.ModalityOf(o.Dataset, ds.Coords); err != nil {
		return nil, err
	}
	res := &AppendResult{}
	var writes []func(tx *store.Tx) error
	if gm == nil {
		res.SkippedGeneModel = "no gene model in the store (run train genes)"
	} else {
		w, err := appendGenes(ctx, info, ds.X, ds.Coords, genes, gm, geneIx, o, res, log)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: gene model: %w", name, err)
		}
		writes = append(writes, w)
	}
	// The cell model's gene loadings (cell-genes) do not change on append:
	// surgery adds batch parameters only.
	if cm == nil {
		res.SkippedCellModel = "no cell model in the store (run train cells)"
	} else {
		w, err := appendCells(ctx, info, ds, genes, cm, cellIx, o, res, fill, log)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: cell model: %w", name, err)
		}
		writes = append(writes, w)
	}
	if testHookBeforeAppendTx != nil {
		testHookBeforeAppendTx()
	}
	start := time.Now()
	err = db.Update(func(tx *store.Tx) error {
		got, err := tx.AddDataset(ctx, name, ds, o.addOptions())
		if err != nil {
			return err
		}
		gotGenes, err := tx.DatasetGenes(got.ID)
		if err != nil {
			return err
		}
		if got.ID != id || !slices.Equal(gotGenes, genes) {
			return fmt.Errorf("%w (another writer added a dataset or genes while append computed)", ErrConflict)
		}
		// A model trained meanwhile replaced its space (a first training
		// too), so the generations also vouch for the weights used.
		if err := checkGeneration(tx, vocab.SpaceGenes, genGenes); err != nil {
			return err
		}
		if err := checkGeneration(tx, vocab.SpaceCells, genCel); err != nil {
			return err
		}
		// A rename rewrites the models without moving their spaces.
		if gm != nil {
			if err := checkModelUnchanged(tx, vocab.ModelGenes, gm.weights); err != nil {
				return err
			}
		}
		if cm != nil {
			if err := checkModelUnchanged(tx, vocab.ModelCells, cm.weights); err != nil {
				return err
			}
		}
		if err := fill.check(tx); err != nil {
			return err
		}
		res.Dataset = got
		for _, w := range writes {
			if err := w(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.CommitSeconds = time.Since(start).Seconds()
	return res, nil
}

// testHookBeforeAppendTx, when set by a test, runs between Append's
// computing and its write transaction.
var testHookBeforeAppendTx func()

// appendGenes trains the new dataset's layer of the gene model, adds its
// vectors to ix, and returns the writes that store them.
func appendGenes(ctx context.Context, info store.DatasetInfo, x *sparse.CSR, coords [][2]float64, genes []uint32,
	st *modelState, ix *index.Index, o AppendOptions, res *AppendResult, log io.Writer) (func(*store.Tx) error, error) {
	model := new(gnn.Model)
	if err := model.UnmarshalBinary(st.weights); err != nil {
		return nil, err
	}
	gopts := DefaultGeneOptions()
	applyRecordedGeneParams(&gopts, st.params)
	in, err := prepareOne(ctx, info, x, coords, genes, gopts)
	if err != nil {
		return nil, err
	}
	// One new input layer against frozen shared layers and fixed partner
	// vectors converges in far fewer epochs than joint training: cap the
	// budget (a full retrain's default is 300 epochs, patience 100).
	mo := model.Options()
	mo.Seed = o.Seed
	mo.Epochs = min(mo.Epochs, appendGeneEpochs)
	mo.Patience = min(mo.Patience, appendGenePatience)
	start := time.Now()
	emb, err := model.AddDataset(ctx, in, mo, nil)
	if err != nil {
		return nil, err
	}
	res.GeneSeconds = time.Since(start).Seconds()
	cons := model.Consensus(emb.Genes)
	weights, err := model.MarshalBinary()
	if err != nil {
		return nil, err
	}
	params, _ := json.Marshal(map[string]any{"appended": info.Name, "hvg": gopts.HVG, "qc": gopts.QC, "coexpr": gopts.Coexpr, "spatial": gopts.Spatial, "atac": gopts.ATAC})
	prov := store.Provenance{Kind: "gene-model", ModelVersion: st.version, Params: params, Datasets: []uint32{info.ID}}
	keys := make([]uint64, len(emb.Genes))
	for i, g := range emb.Genes {
		keys[i] = vocab.EntityKey(info.ID, g)
	}
	if err := ix.AddBatch(ctx, keys, emb.Vecs); err != nil {
		return nil, err
	}
	if err := replaceConsensus(ix, cons); err != nil {
		return nil, err
	}
	res.GeneVectors, res.ConsensusTouched, res.GeneEdges, res.GeneModelVersion = len(emb.Genes), len(cons.Genes), len(in.Edges), st.version
	edges := globalEdges(in)
	return func(tx *store.Tx) error {
		if err := tx.PutEmbeddings(vocab.SpaceGenes, info.ID, emb.Genes, emb.Dim, emb.Vecs, prov); err != nil {
			return err
		}
		cprov, err := appendedConsensusProvenance(tx, prov, info)
		if err != nil {
			return err
		}
		if err := tx.PutEmbeddings(vocab.SpaceGenes, vocab.Consensus, cons.Genes, cons.Dim, cons.Vecs, cprov); err != nil {
			return err
		}
		if err := tx.PutEdges(info.ID, edges, coexprProvenance(gopts, info.ID)); err != nil {
			return err
		}
		if err := vecindex.Save(tx, vocab.SpaceGenes, ix); err != nil {
			return err
		}
		if err := tx.MarkClusteringsStale(vocab.SpaceGenes); err != nil {
			return err
		}
		fmt.Fprintf(log, "append: %s: %d gene vectors, %d consensus updated, %d edges\n", info.Name, len(emb.Genes), len(cons.Genes), len(in.Edges))
		return tx.PutBlob(vocab.BlobModel, vocab.ModelGenes, weights)
	}, nil
}

// selectOrZero returns x's columns in the order of want (global gene ids);
// genes x lacks become all-zero columns.
func selectOrZero(x *sparse.CSR, genes, want []uint32) *sparse.CSR {
	pos := make(map[uint32]int32, len(want))
	for i, g := range want {
		pos[g] = int32(i)
	}
	remap := make([]int32, len(genes))
	for c, g := range genes {
		remap[c] = -1
		if p, ok := pos[g]; ok {
			remap[c] = p
			delete(pos, g) // a duplicated symbol maps once
		}
	}
	return x.MapCols(remap, len(want))
}

// cellModelInput decodes the stored cell model st and returns it with
// what it reads of dataset ds (its columns are the global gene ids genes):
// the columns of the model's genes, those the dataset lacks filled per fill
// (fillMissing), in the model's value type, and the number of genes
// predicted.
func cellModelInput(ctx context.Context, st *modelState, fill *fillPlan, ds *ingest.Dataset, genes []uint32,
	info store.DatasetInfo, log io.Writer) (*vae.Model, *sparse.CSR, int, error) {
	model := new(vae.Model)
	if err := model.UnmarshalBinary(st.weights); err != nil {
		return nil, nil, 0, err
	}
	x, filled, err := fillMissing(ctx, fill, selectOrZero(ds.X, genes, st.genes), ds, genes, st.genes, info.Values, info.Name, log)
	if err != nil {
		return nil, nil, 0, err
	}
	// With none of the model's genes measured or filled every cell's input
	// is all zeros, and every cell would get the same vector.
	inModel := make(map[uint32]bool, len(st.genes))
	for _, g := range st.genes {
		inModel[g] = true
	}
	if filled == 0 && !slices.ContainsFunc(genes, func(g uint32) bool { return inModel[g] }) {
		return nil, nil, 0, fmt.Errorf("%w: dataset %q measures none of the cell model's %d genes (another species or gene naming than it was trained on?)",
			ErrNoData, info.Name, len(st.genes))
	}
	values := model.Values()
	if values == vocab.Log && info.Values != vocab.Log {
		if x, err = prep.Normalize(x, info.Values, 0); err != nil {
			return nil, nil, 0, err
		}
	} else if values == vocab.Counts && info.Values != vocab.Counts {
		return nil, nil, 0, fmt.Errorf("the cell model was trained on counts but %q holds %s values: retrain with it (train cells)", info.Name, info.Values)
	}
	return model, x, filled, nil
}

// appendCells trains the new batches' parameters of the cell model, adds
// the new cells' vectors to ix, and returns the writes that store them.
func appendCells(ctx context.Context, info store.DatasetInfo, ds *ingest.Dataset, genes []uint32,
	st *modelState, ix *index.Index, o AppendOptions, res *AppendResult, fill *fillPlan, log io.Writer) (func(*store.Tx) error, error) {
	model, x, filled, err := cellModelInput(ctx, st, fill, ds, genes, info, log)
	if err != nil {
		return nil, err
	}
	res.FilledGenes = filled
	values := model.Values()
	labels := make([]string, info.Cells)
	for i := range labels {
		labels[i] = info.Name
	}
	if o.BatchKey != "" {
		col := ds.Column(o.BatchKey)
		if col == nil {
			return nil, fmt.Errorf("batch key %q: %w", o.BatchKey, store.ErrUnknownColumn)
		}
		for i := range labels {
			labels[i] = info.Name + "/" + col.Values[i]
		}
	}
	batch, newNames := eval.Codes(labels)
	vo := vae.DefaultSurgeryOptions()
	vo.Seed = o.Seed
	start := time.Now()
	if _, err := model.AddBatches(ctx, vae.Input{X: x, Batch: batch, BatchNames: newNames, Values: values}, vo); err != nil {
		return nil, err
	}
	res.CellSeconds = time.Since(start).Seconds()
	// After surgery the model's vocabulary holds the new names; embed with
	// their global indexes.
	all := model.BatchNames()
	global := map[string]int{}
	for i, n := range all {
		global[n] = i
	}
	for i := range batch {
		batch[i] = global[newNames[batch[i]]]
	}
	emb, err := model.Embed(ctx, x, batch)
	if err != nil {
		return nil, err
	}
	weights, err := model.MarshalBinary()
	if err != nil {
		return nil, err
	}
	latent := model.Latent()
	ids := make([]uint32, info.Cells)
	keys := make([]uint64, info.Cells)
	for i := range ids {
		ids[i] = uint32(i)
		keys[i] = vocab.EntityKey(info.ID, uint32(i))
	}
	params, _ := json.Marshal(map[string]any{"appended": info.Name, "batches": newNames, "batch_key": o.BatchKey})
	prov := store.Provenance{Kind: "cell-model", ModelVersion: st.version, Params: params, Datasets: []uint32{info.ID}}
	if err := ix.AddBatch(ctx, keys, emb); err != nil {
		return nil, err
	}
	res.CellVectors, res.CellModelVersion = info.Cells, st.version
	return func(tx *store.Tx) error {
		before, err := tx.Generation(vocab.SpaceCells)
		if err != nil {
			return err
		}
		if err := tx.PutEmbeddings(vocab.SpaceCells, info.ID, ids, latent, emb, prov); err != nil {
			return err
		}
		if err := vecindex.Save(tx, vocab.SpaceCells, ix); err != nil {
			return err
		}
		// place the new cells on a current stored map (UMAP transform)
		if res.LaidOut, err = spacelayout.Extend(ctx, tx, vocab.SpaceCells, before, ix, keys, emb, o.Seed); err != nil {
			return err
		}
		if err := tx.MarkClusteringsStale(vocab.SpaceCells); err != nil {
			return err
		}
		return tx.PutBlob(vocab.BlobModel, vocab.ModelCells, weights)
	}, nil
}

// appendedList returns the consensus params' "appended" datasets: a list,
// or a single name (one append before the list rule), else none.
func appendedList(params map[string]any) []any {
	switch a := params["appended"].(type) {
	case []any:
		return a
	case string:
		return []any{a}
	}
	return nil
}

// appendedConsensusProvenance is the consensus set's provenance after
// info was appended: the consensus averages every dataset's vectors, so
// it keeps the training run's provenance (options, datasets) with the new
// dataset added to Datasets and to the params' "appended" list, under the
// model's new version. Without an earlier consensus it is the append's.
func appendedConsensusProvenance(tx *store.Tx, prov store.Provenance, info store.DatasetInfo) (store.Provenance, error) {
	sp, err := tx.Space(vocab.SpaceGenes)
	if err != nil {
		return prov, err
	}
	set, ok := sp.Set(vocab.Consensus)
	if !ok {
		return prov, nil
	}
	out := set.Provenance
	out.ModelVersion = prov.ModelVersion
	out.Datasets = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(out.Datasets), info.ID))))
	params := map[string]any{}
	if len(out.Params) > 0 && json.Unmarshal(out.Params, &params) != nil {
		params = map[string]any{"params_before_append": string(out.Params)}
	}
	params["appended"] = append(appendedList(params), info.Name)
	out.Params, err = json.Marshal(params)
	return out, err
}
