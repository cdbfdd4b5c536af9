package pipeline

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"genestore/index"
	"genestore/query/cluster"
	"genestore/query/eval"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/gnn"
	"genestore/train/sim"
	"genestore/vecindex"
	"genestore/vocab"
)

// simDataset turns a simulated dataset into what a reader returns, with obs
// columns cell_type and batch.
func simDataset(d sim.Dataset) *ingest.Dataset {
	ds := &ingest.Dataset{Format: "sim", Source: "sim", Values: vocab.Counts, X: d.X, Barcodes: d.Barcodes,
		Obs: []ingest.ObsColumn{{Name: "cell_type", Categorical: true, Values: d.CellTypes},
			{Name: "batch", Categorical: true, Values: d.Batches}}}
	for _, g := range d.Genes {
		ds.Genes = append(ds.Genes, ingest.Gene{ID: g, Symbol: g})
	}
	return ds
}

var fixedClock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// openAt opens (or creates) the store at path with a fixed clock, so that
// the same writes give the same bytes.
func openAt(t testing.TB, path string) *store.DB {
	db, err := store.Open(path, &store.Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// simStore simulates cfg and ingests its first `keep` datasets (all when
// keep is 0) into a fresh store.
func simStore(t *testing.T, cfg sim.Config, keep ...int) (*store.DB, *sim.Simulation) {
	t.Helper()
	s, err := sim.Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := openAt(t, filepath.Join(t.TempDir(), "s.db"))
	t.Cleanup(func() { db.Close() })
	n := len(s.Datasets)
	if len(keep) > 0 {
		n = keep[0]
	}
	for _, d := range s.Datasets[:n] {
		if _, err := db.AddDataset(context.Background(), d.Name, simDataset(d), store.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return db, s
}

func smallSim() sim.Config {
	cfg := sim.DefaultConfig()
	cfg.Datasets, cfg.Cells, cfg.Genes, cfg.Modules, cfg.CellTypes = 3, 400, 300, 10, 5
	cfg.Seed = 7
	return cfg
}

func TestTrainCellsWritesSpacesAndIndexes(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, smallSim())
	o := DefaultCellOptions()
	o.Model.Epochs, o.Model.Latent, o.Model.Hidden, o.Model.Seed = 40, 8, 64, 1
	res, err := TrainCells(ctx, db, o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cells != 1200 || len(res.Batches) != 3 {
		t.Fatalf("trained on %d cells, %d batches", res.Cells, len(res.Batches))
	}
	// The saved snapshots must be current: Load may not rebuild.
	for _, space := range []string{vocab.SpaceCells, vocab.SpaceCellGenes} {
		ix := savedIndex(t, db, space)
		if space == vocab.SpaceCells && ix.Len() != 1200 {
			t.Errorf("cells index holds %d vectors", ix.Len())
		}
	}
	// Biology: cells of one type should cluster together across batches.
	var vecs []float32
	var labels, batches []int
	typeIdx := map[string]int{}
	err = db.View(func(tx *store.Tx) error {
		for di, d := range s.Datasets {
			info, err := tx.DatasetByName(d.Name)
			if err != nil {
				return err
			}
			_, dim, v, err := tx.Embeddings(vocab.SpaceCells, info.ID)
			if err != nil {
				return err
			}
			if dim != 8 {
				t.Fatalf("dim %d", dim)
			}
			vecs = append(vecs, v...)
			for _, ct := range d.CellTypes {
				if _, ok := typeIdx[ct]; !ok {
					typeIdx[ct] = len(typeIdx)
				}
				labels = append(labels, typeIdx[ct])
				batches = append(batches, di)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	asw, err := eval.LabelASW(vecs, len(labels), 8, labels, cluster.Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	if asw < 0.55 {
		t.Errorf("label ASW %.3f: cell types not separated", asw)
	}
	t.Logf("label ASW %.3f", asw)

	// Retraining replaces the spaces instead of mixing model versions, also
	// with another latent size, and keeps the index settings of a space.
	if _, err := vecindex.Reindex(ctx, db, vocab.SpaceCells, vecindex.Settings{Quantize: index.Int8, M: 12}, index.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	o.Model.Seed, o.Model.Latent = 2, 6
	res2, err := TrainCells(ctx, db, o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts := savedIndex(t, db, vocab.SpaceCells).Options(); opts.Quantize != index.Int8 || opts.M != 12 || opts.Metric != index.Cosine {
		t.Errorf("retrained cells index has options %+v, want the saved int8, M 12", opts)
	}
	if opts := savedIndex(t, db, vocab.SpaceCellGenes).Options(); opts.Quantize != index.Float32 || opts.Metric != index.InnerProduct {
		t.Errorf("retrained cell-genes index has options %+v", opts)
	}
	if res2.ModelVersion == res.ModelVersion {
		t.Error("a different seed gave the same model version")
	}
	err = db.View(func(tx *store.Tx) error {
		info, err := tx.Space(vocab.SpaceCells)
		if err != nil {
			return err
		}
		if info.Dim != 6 {
			t.Errorf("retrained space has dimension %d, want 6", info.Dim)
		}
		for _, set := range info.Sets {
			if set.Provenance.ModelVersion != res2.ModelVersion {
				t.Errorf("set of dataset %d has model %s, want %s", set.Dataset, set.Provenance.ModelVersion, res2.ModelVersion)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type logBuf struct{ n int }

// savedIndex loads space's index and fails the test if the saved snapshot
// was not current (Load had to rebuild it).
func savedIndex(t testing.TB, db *store.DB, space string) *index.Index {
	t.Helper()
	var log logBuf
	ix, err := vecindex.Load(context.Background(), db, space, index.DefaultOptions(), &log)
	if err != nil {
		t.Fatal(err)
	}
	if log.n != 0 {
		t.Errorf("space %s: index rebuilt on load: snapshot not saved with the vectors", space)
	}
	return ix
}

func (l *logBuf) Write(p []byte) (int, error) { l.n += len(p); return len(p), nil }

func TestTrainGenesWritesSpaceEdgesAndIndex(t *testing.T) {
	for _, conv := range []string{gnn.ConvGCN, gnn.ConvTransformer} {
		t.Run(conv, func(t *testing.T) { testTrainGenesWritesSpaceEdgesAndIndex(t, conv) })
	}
}

func testTrainGenesWritesSpaceEdgesAndIndex(t *testing.T, conv string) {
	ctx := context.Background()
	db, _ := simStore(t, smallSim())
	o := DefaultGeneOptions()
	o.Model.Epochs, o.Model.Dim, o.Model.Hidden, o.Model.Seed, o.Model.Conv = 30, 8, 32, 1, conv
	o.HVG = 200
	res, err := TrainGenes(ctx, db, o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Datasets) != 3 || res.Consensus == 0 {
		t.Fatalf("result %+v", res)
	}
	var log logBuf
	ix, err := vecindex.Load(ctx, db, vocab.SpaceGenes, index.DefaultOptions(), &log)
	if err != nil {
		t.Fatal(err)
	}
	if log.n != 0 {
		t.Error("genes index rebuilt on load: snapshot not saved with the vectors")
	}
	want := res.Consensus
	for _, d := range res.Datasets {
		want += d.Genes
		if d.Edges == 0 {
			t.Errorf("dataset %s has no co-expression edges", d.Name)
		}
	}
	if ix.Len() != want {
		t.Errorf("index holds %d vectors, want %d", ix.Len(), want)
	}
	err = db.View(func(tx *store.Tx) error {
		info, err := tx.DatasetByName("D1")
		if err != nil {
			return err
		}
		edges, err := tx.Edges(info.ID)
		if err != nil {
			return err
		}
		if len(edges) != res.Datasets[0].Edges {
			t.Errorf("D1: %d edges stored, %d built", len(edges), res.Datasets[0].Edges)
		}
		sp, err := tx.Space(vocab.SpaceGenes)
		if err != nil {
			return err
		}
		for _, set := range sp.Sets {
			var p struct {
				Model gnn.Options `json:"model"`
			}
			if err := json.Unmarshal(set.Provenance.Params, &p); err != nil || p.Model.Conv != conv {
				t.Errorf("provenance params %s do not record conv %q (%v)", set.Provenance.Params, conv, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
