package pipeline

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/sim"
	"genestore/vocab"
)

// multimodalSim is smallSim with D2 from a second species (renamed genes,
// a generated ortholog table with one-to-none genes) and D3 a spatial
// section (400 spots on a 20 × 20 grid).
func multimodalSim() sim.Config {
	cfg := smallSim()
	cfg.OtherSpecies, cfg.Spatial = 1, 1
	return cfg
}

// multimodalStore ingests a multimodal simulation the way the CLI does:
// D1 as the home species' scRNA, the second species through the ortholog
// table written as truth/orthologs.tsv, spatial datasets with their spots'
// coordinates.
func multimodalStore(t *testing.T, cfg sim.Config) (*store.DB, *sim.Simulation) {
	t.Helper()
	ctx := context.Background()
	s, err := sim.Generate(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	table.WriteString(sim.SpeciesHome + "\t" + sim.SpeciesOther + "\n")
	for _, p := range s.Truth.Orthologs {
		table.WriteString(p[0] + "\t" + p[1] + "\n")
	}
	path := filepath.Join(t.TempDir(), "orthologs.tsv")
	if err := os.WriteFile(path, []byte(table.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	orth, err := ingest.ReadOrthologs(path, sim.SpeciesOther, sim.SpeciesHome)
	if err != nil {
		t.Fatal(err)
	}
	db := openAt(t, filepath.Join(t.TempDir(), "s.db"))
	t.Cleanup(func() { db.Close() })
	for _, d := range s.Datasets {
		ds := simDataset(d)
		opts := store.AddOptions{Species: d.Species, Modality: vocab.Modality(d.Modality)}
		ds.Coords = d.Coords
		if d.Species != sim.SpeciesHome {
			opts.Orthologs = orth
		}
		if _, err := db.AddDataset(ctx, d.Name, ds, opts); err != nil {
			t.Fatal(err)
		}
	}
	return db, s
}

// simSymbolModules maps every name a dataset's gene may be stored under
// (its own name, and its universe name, which a gene joined through the
// ortholog table takes) to its module in that dataset, per dataset.
func simSymbolModules(s *sim.Simulation) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, d := range s.Datasets {
		m := map[string]int{}
		for j, mod := range s.Truth.DatasetModule[d.Name] {
			if mod >= 0 {
				m[d.Genes[j]] = mod
				m[s.Truth.Genes[s.Truth.DatasetGenes[d.Name][j]]] = mod
			}
		}
		out[d.Name] = m
	}
	return out
}

// multimodalScores are the figures the multimodal simulation test reports
// for one trained gene model.
type multimodalScores struct {
	ari   map[string]float64            // module ARI per dataset (model)
	ilisi map[string]map[string]float64 // pair → representation → iLISI
	// retrieval: pair → representation → share of D1 genes whose own
	// vector in the other dataset is among its 10 nearest there.
	retrieval map[string]map[string]float64
}

func scoreMultimodal(t *testing.T, db *store.DB, s *sim.Simulation) multimodalScores {
	t.Helper()
	ctx := context.Background()
	r, err := buildGeneReps(ctx, db, 1, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	truth := simSymbolModules(s)
	out := multimodalScores{ari: map[string]float64{}, ilisi: map[string]map[string]float64{}, retrieval: map[string]map[string]float64{}}
	for _, to := range []string{"D2", "D3"} {
		res, err := RetrieveOrthologs(ctx, db, "D1", to, nil, 10, 1, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		out.retrieval["D1+"+to] = res.Share
	}
	// One-to-none genes: missing from the ortholog table, so the second
	// species keeps them apart and nothing in training links them to
	// their home counterparts.
	paired := map[string]bool{}
	for _, p := range s.Truth.Orthologs {
		paired[p[0]] = true
	}
	lost := map[string]string{}
	for _, d := range s.Datasets {
		if d.Species == sim.SpeciesOther {
			for j, g := range d.Genes {
				if u := s.Truth.Genes[s.Truth.DatasetGenes[d.Name][j]]; !paired[u] {
					lost[u] = g
				}
			}
		}
	}
	res, err := RetrieveOrthologs(ctx, db, "D1", "D2", lost, 10, 1, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	out.retrieval["D1+D2 one-to-none"] = res.Share
	for _, gs := range r.model.sets {
		v, ok := moduleARI(ctx, gs, truth[gs.dataset], 1)
		if !ok {
			t.Fatalf("%s: module ARI undefined", gs.dataset)
		}
		out.ari[gs.dataset] = v
	}
	pairs := [][2]int{{0, 1}, {0, 2}, {1, 2}}
	for _, rep := range []geneRep{r.model, r.pca, r.pear} {
		for _, p := range pairs {
			sub := geneRep{name: rep.name, sets: []geneSet{rep.sets[p[0]], rep.sets[p[1]]}}
			m, err := scoreGenes(ctx, sub, nil, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			key := sub.sets[0].dataset + "+" + sub.sets[1].dataset
			if out.ilisi[key] == nil {
				out.ilisi[key] = map[string]float64{}
			}
			out.ilisi[key][rep.name] = m["ilisi"]
		}
	}
	return out
}

// TestMultimodalSimulation trains the gene model on a simulation with a
// second-species dataset (D2, joined through a generated ortholog table)
// and a spatial section (D3), with and without spatial smoothing, and
// checks issue 20's bars: modules recovered in D2 and D3 (ARI ≥ 0.8), and
// the same gene's vectors mixing across species and modality (iLISI of each
// dataset pair above the per-dataset PCA and Pearson baselines').
func TestMultimodalSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two gene models")
	}
	ctx := context.Background()
	db, s := multimodalStore(t, multimodalSim())
	var joined, private int
	err := db.View(func(tx *store.Tx) error {
		info, err := tx.DatasetByName("D2")
		if err != nil {
			return err
		}
		ids, err := tx.DatasetGenes(info.ID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			g, err := tx.Gene(id)
			if err != nil {
				return err
			}
			if g.Species == "" {
				joined++
			} else {
				private++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("D2 (second species): %d genes joined to home genes, %d one-to-none kept apart", joined, private)
	if joined == 0 || private == 0 {
		t.Fatalf("D2: %d joined, %d private genes; want both", joined, private)
	}

	// Smoothing measured: each setting trained with two model seeds, at
	// the default depth and on shallow spots (500 UMIs).
	type run struct {
		depth string
		k     int
	}
	mean := map[run]multimodalScores{}
	shallowDB, shallowSim := db, s
	for _, depth := range []string{"default", "shallow"} {
		if depth == "shallow" {
			cfg := multimodalSim()
			cfg.LibSizeMean = 500
			shallowDB, shallowSim = multimodalStore(t, cfg)
		}
		for _, k := range []int{DefaultSpatialSmoothing.K, 0} {
			prec := spatialEdgePrecision(t, shallowDB, shallowSim, k)
			t.Logf("%s depth, spatial-k %d: D3 co-expression edges within a true module: %.3f", depth, k, prec)
			acc := multimodalScores{ari: map[string]float64{}, ilisi: map[string]map[string]float64{}, retrieval: map[string]map[string]float64{}}
			seeds := []uint64{1, 2}
			for _, seed := range seeds {
				o := DefaultGeneOptions()
				o.Model.Seed = seed
				o.HVG = 200
				o.Spatial.K = k
				if _, err := TrainGenes(ctx, shallowDB, o, nil, nil); err != nil {
					t.Fatal(err)
				}
				sc := scoreMultimodal(t, shallowDB, shallowSim)
				for d, v := range sc.ari {
					acc.ari[d] += v / float64(len(seeds))
				}
				for _, f := range []struct{ from, to map[string]map[string]float64 }{{sc.ilisi, acc.ilisi}, {sc.retrieval, acc.retrieval}} {
					for pair, m := range f.from {
						if f.to[pair] == nil {
							f.to[pair] = map[string]float64{}
						}
						for rep, v := range m {
							f.to[pair][rep] += v / float64(len(seeds))
						}
					}
				}
			}
			mean[run{depth, k}] = acc
			t.Logf("%s depth, spatial-k %d (mean of %d model seeds): module ARI D1 %.3f, D2 (second species) %.3f, D3 (spatial) %.3f",
				depth, k, len(seeds), acc.ari["D1"], acc.ari["D2"], acc.ari["D3"])
			for _, pair := range []string{"D1+D2", "D1+D3", "D2+D3"} {
				il := acc.ilisi[pair]
				t.Logf("%s depth, spatial-k %d: iLISI %s: model %.3f, pca %.3f, pearson %.3f", depth, k, pair, il["model"], il["pca"], il["pearson"])
			}
			for _, pair := range []string{"D1+D2", "D1+D3", "D1+D2 one-to-none"} {
				r := acc.retrieval[pair]
				t.Logf("%s depth, spatial-k %d: same gene among 10 nearest %s: model %.3f, pca %.3f, pearson %.3f", depth, k, pair, r["model"], r["pca"], r["pearson"])
			}
		}
	}
	def := mean[run{"default", DefaultGeneOptions().Spatial.K}]
	for _, d := range []string{"D2", "D3"} {
		if def.ari[d] < 0.8 {
			t.Errorf("%s: module ARI %.3f, want ≥ 0.8", d, def.ari[d])
		}
	}
	// The bar is the per-species PCA baseline. Pearson rows over the
	// shared genes retrieve the same gene better than the model here (.94
	// against .81 at the default depth): logged, not asserted.
	if r := def.retrieval["D1+D2"]; r["model"] <= r["pca"] {
		t.Errorf("second species: same gene among 10 nearest: model %.3f, want above pca %.3f (pearson %.3f)", r["model"], r["pca"], r["pearson"])
	}
	for pair, il := range def.ilisi {
		if il["model"] <= il["pca"] || il["model"] <= il["pearson"] {
			t.Errorf("iLISI %s: model %.3f, want above pca %.3f and pearson %.3f", pair, il["model"], il["pca"], il["pearson"])
		}
	}
}

// spatialEdgePrecision is the share of D3's co-expression edges (built with
// spatial smoothing over k spots; 0 = none) that join two genes of the same
// true module.
func spatialEdgePrecision(t *testing.T, db *store.DB, s *sim.Simulation, k int) float64 {
	t.Helper()
	o := DefaultGeneOptions()
	o.HVG, o.Spatial.K, o.Datasets = 200, k, []string{"D3"}
	ins, err := PrepareGenes(context.Background(), db, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	truth := simSymbolModules(s)["D3"]
	in := ins[0].Input
	mod := make([]int, len(in.Genes))
	err = db.View(func(tx *store.Tx) error {
		for i, id := range in.Genes {
			g, err := tx.Gene(id)
			if err != nil {
				return err
			}
			m, ok := truth[g.Symbol]
			if !ok {
				m = -1
			}
			mod[i] = m
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	within := 0
	for _, e := range in.Edges {
		if mod[e.A] >= 0 && mod[e.A] == mod[e.B] {
			within++
		}
	}
	if len(in.Edges) == 0 {
		t.Fatal("D3 has no co-expression edges")
	}
	return float64(within) / float64(len(in.Edges))
}
