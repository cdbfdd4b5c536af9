package realbench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"genestore/pipeline"
	"genestore/store"
	"genestore/store/ingest"
)

// heldOutShare is the share of ortholog pairs the species suite leaves out
// of the table it ingests with, to score pairs the model was not told of.
const heldOutShare = 0.2

// speciesSuite builds the human + mouse store, trains the gene model and
// measures same-gene retrieval across the species: on the pairs the store
// joined (the model's cross-dataset losses pulled them together) and on
// held-out pairs (left out of the table, so each species keeps its own
// gene and nothing in training links them).
func speciesSuite(ctx context.Context, o Options, dir string, emit func(Line) error, log io.Writer) error {
	human, mouse := SpeciesDatasets[0], SpeciesDatasets[1]
	hds, err := readData(ctx, o, human, ingest.DefaultOptions())
	if err != nil {
		return err
	}
	mds, err := readData(ctx, o, mouse, ingest.DefaultOptions())
	if err != nil {
		return err
	}
	// mouse symbol → human symbol
	var pairs map[string]string
	source := "symbol-case"
	if o.Orthologs != "" {
		t, err := ingest.ReadOrthologs(o.Orthologs, "mouse", "human")
		if err != nil {
			return err
		}
		pairs, source = t.Pairs, o.Orthologs
	} else {
		fmt.Fprintf(log, "species: no ortholog table given: pairs are symbols equal ignoring case\n")
		pairs = symbolCasePairs(hds, mds)
	}
	kept, held := splitPairs(pairs, heldOutShare, o.Seed)
	table := filepath.Join(dir, "species_orthologs.tsv")
	if err := writePairs(table, kept); err != nil {
		return err
	}
	orth, err := ingest.ReadOrthologs(table, "mouse", "human")
	if err != nil {
		return err
	}
	db, err := openFresh(dir, "species")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Store().AddDataset(ctx, human, hds, store.AddOptions{Species: "human"}); err != nil {
		return err
	}
	if _, err := db.Store().AddDataset(ctx, mouse, mds, store.AddOptions{Species: "mouse", Orthologs: orth}); err != nil {
		return err
	}
	fmt.Fprintf(log, "species: training the gene model on %s + %s (%d pairs joined, %d held out)\n", human, mouse, len(kept), len(held))
	t0 := time.Now()
	if _, err := db.TrainGenes(ctx, o.geneOptions()); err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	joined, err := pipeline.RetrieveOrthologs(ctx, db.Store(), human, mouse, nil, 10, o.Seed, log)
	if err != nil {
		return err
	}
	// Held-out pairs: human symbol → the mouse gene's own symbol.
	heldBack := make(map[string]string, len(held))
	for m, h := range held {
		heldBack[h] = m
	}
	heldOut, err := pipeline.RetrieveOrthologs(ctx, db.Store(), human, mouse, heldBack, 10, o.Seed, log)
	if err != nil {
		return err
	}
	names := []string{human, mouse}
	for _, method := range []string{"model", "pca", "pearson"} {
		l := Line{Suite: "species", Datasets: names, Method: method, Orthologs: source,
			Metrics: map[string]float64{
				"ortholog_top10": joined.Share[method], "chance_top10": joined.Chance, "genes_in_both": float64(joined.Genes),
				"heldout_top10": heldOut.Share[method], "heldout_genes_in_both": float64(heldOut.Genes),
			}}
		if method == "model" {
			l.Seconds = secs
		}
		if err := emit(l); err != nil {
			return err
		}
	}
	return nil
}

// symbolCasePairs pairs each mouse symbol with the human symbol equal to
// it ignoring case, where each side's symbol is unique in its dataset.
func symbolCasePairs(human, mouse *ingest.Dataset) map[string]string {
	count := func(ds *ingest.Dataset) map[string][]string {
		m := map[string][]string{}
		for _, g := range ds.Genes {
			u := strings.ToUpper(g.Symbol)
			if !slices.Contains(m[u], g.Symbol) {
				m[u] = append(m[u], g.Symbol)
			}
		}
		return m
	}
	h, m := count(human), count(mouse)
	out := map[string]string{}
	for u, ms := range m {
		if hs := h[u]; len(ms) == 1 && len(hs) == 1 {
			out[ms[0]] = hs[0]
		}
	}
	return out
}

// splitPairs moves a seeded share of pairs (in sorted order, then
// shuffled) into held.
func splitPairs(pairs map[string]string, share float64, seed uint64) (kept, held map[string]string) {
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	r := rand.New(rand.NewPCG(seed, 0x0e7401))
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	nHeld := int(share * float64(len(keys)))
	kept, held = map[string]string{}, map[string]string{}
	for i, k := range keys {
		if i < nHeld {
			held[k] = pairs[k]
		} else {
			kept[k] = pairs[k]
		}
	}
	return kept, held
}

// writePairs writes mouse → human pairs as a human/mouse table, sorted.
func writePairs(path string, pairs map[string]string) error {
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("human\tmouse\n")
	for _, k := range keys {
		b.WriteString(pairs[k] + "\t" + k + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
