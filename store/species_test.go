package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/store/ingest"
	"genestore/vocab"
)

// speciesDataset is a tiny dataset with the given gene symbols.
func speciesDataset(symbols ...string) *ingest.Dataset {
	n := len(symbols)
	x := &sparse.CSR{Rows: 2, Cols: n, Indptr: []int64{0, int64(n), int64(2 * n)}}
	for r := 0; r < 2; r++ {
		for c := 0; c < n; c++ {
			x.Indices = append(x.Indices, int32(c))
			x.Data = append(x.Data, float32(1+r+c))
		}
	}
	ds := &ingest.Dataset{Format: "mtx", Source: "/data/x", Values: vocab.Counts, X: x, Barcodes: []string{"c1", "c2"}}
	for _, s := range symbols {
		ds.Genes = append(ds.Genes, ingest.Gene{ID: "id-" + s, Symbol: s})
	}
	return ds
}

func writeTable(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "orthologs.tsv")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func geneIDs(t *testing.T, db *DB, name string) []uint32 {
	t.Helper()
	var ids []uint32
	err := db.View(func(tx *Tx) error {
		d, err := tx.DatasetByName(name)
		if err != nil {
			return err
		}
		ids, err = tx.DatasetGenes(d.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSpeciesJoin(t *testing.T) {
	ctx := context.Background()
	table := writeTable(t, "human_symbol\tmouse_symbol\textra\nCD79A\tCd79a\tx\nHLA-DRA\tH2-Ea\tx\nCD3E\tCd3e\tx\nMS4A1\t\tx\n")
	orth, err := ingest.ReadOrthologs(table, "mouse", "")
	if err != nil {
		t.Fatal(err)
	}
	if orth.To != "human" || len(orth.Pairs) != 3 {
		t.Fatalf("table read as %s→%s with %d pairs", orth.From, orth.To, len(orth.Pairs))
	}

	db := openTemp(t)
	if _, err := db.AddDataset(ctx, "h", speciesDataset("CD79A", "HLA-DRA", "MS4A1"), AddOptions{Species: "Human"}); err != nil {
		t.Fatal(err)
	}
	// Without a table, mouse genes stay apart even when symbols differ only by case.
	priv, err := db.AddDataset(ctx, "m0", speciesDataset("Ms4a1", "Xist"), AddOptions{Species: "mouse"})
	if err != nil {
		t.Fatal(err)
	}
	if priv.GeneJoin != "species-private" || priv.Species != "mouse" {
		t.Errorf("private dataset: join %q species %q", priv.GeneJoin, priv.Species)
	}
	h, m0 := geneIDs(t, db, "h"), geneIDs(t, db, "m0")
	if m0[0] == h[2] {
		t.Fatalf("Ms4a1 joined MS4A1 without an ortholog table")
	}

	// Plan and add with the table: Cd79a and H2-Ea join their human genes,
	// Cd3e makes a new home gene named CD3E, Gm42418 stays mouse-only, and
	// Xist keeps the mouse gene an earlier dataset stored.
	ds := speciesDataset("Cd79a", "H2-Ea", "Cd3e", "Gm42418", "Xist")
	opts := AddOptions{Species: "mouse", Orthologs: orth}
	var planned []uint32
	_ = db.View(func(tx *Tx) error {
		_, planned, err = tx.PlanDataset("m", ds, opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := db.AddDataset(ctx, "m", ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	m := geneIDs(t, db, "m")
	if !reflect.DeepEqual(planned, m) {
		t.Errorf("PlanDataset %v, AddDataset %v", planned, m)
	}
	if m[0] != h[0] || m[1] != h[1] {
		t.Errorf("orthologs not joined: mouse %v human %v", m, h)
	}
	if m[4] != m0[1] {
		t.Errorf("Xist: %d, the mouse gene stored before is %d", m[4], m0[1])
	}
	if !strings.HasPrefix(info.GeneJoin, "orthologs "+table) || !strings.HasSuffix(info.GeneJoin, "3 one-to-one pairs): 2 genes joined to human genes already stored") {
		t.Errorf("GeneJoin = %q", info.GeneJoin)
	}
	_ = db.View(func(tx *Tx) error {
		if home, _ := tx.HomeSpecies(); home != "human" {
			t.Errorf("home species %q", home)
		}
		got, _ := tx.GenesBySymbol("h2-ea")
		if len(got) != 1 || got[0].ID != h[1] || got[0].Symbol != "HLA-DRA" ||
			!reflect.DeepEqual(got[0].Orthologs, []GeneAlias{{"mouse", "H2-Ea", "id-H2-Ea"}}) {
			t.Errorf("GenesBySymbol(h2-ea) = %+v", got)
		}
		if got[0].SymbolIn("mouse") != "H2-Ea" || got[0].SymbolIn("human") != "HLA-DRA" || got[0].SymbolIn("") != "HLA-DRA" {
			t.Errorf("SymbolIn: %q %q", got[0].SymbolIn("mouse"), got[0].SymbolIn("human"))
		}
		g, _ := tx.Gene(m[2])
		if g.Symbol != "CD3E" || g.Species != "" || len(g.Orthologs) != 1 {
			t.Errorf("gene first met through its ortholog: %+v", g)
		}
		g, _ = tx.Gene(m[3])
		if g.Symbol != "Gm42418" || g.Species != "mouse" {
			t.Errorf("mouse-only gene: %+v", g)
		}
		return nil
	})

	// A later mouse dataset without a table meets the same genes.
	if _, err := db.AddDataset(ctx, "m1", speciesDataset("H2-Ea", "Gm42418"), AddOptions{Species: "mouse"}); err != nil {
		t.Fatal(err)
	}
	if m1 := geneIDs(t, db, "m1"); m1[0] != h[1] || m1[1] != m[3] {
		t.Errorf("second mouse dataset: %v, want [%d %d]", m1, h[1], m[3])
	}

	// Symbol-case: the explicit opt-in joins Dcx to a human DCX and labels it.
	if _, err := db.AddDataset(ctx, "h2", speciesDataset("DCX"), AddOptions{}); err != nil {
		t.Fatal(err)
	}
	h2 := geneIDs(t, db, "h2")
	sc, err := db.AddDataset(ctx, "m2", speciesDataset("Cd79a", "Dcx", "Zfp1"), AddOptions{Species: "mouse", Orthologs: ingest.SymbolCaseOrthologs("mouse", "")})
	if err != nil {
		t.Fatal(err)
	}
	m2 := geneIDs(t, db, "m2")
	if m2[0] != h[0] || m2[1] != h2[0] || sc.GeneJoin != "symbol-case: 2 genes joined to human genes already stored" {
		t.Errorf("symbol-case: ids %v (human %v %v), join %q", m2, h, h2, sc.GeneJoin)
	}
}

func TestSpeciesErrorsLeaveStoreUnchanged(t *testing.T) {
	ctx := context.Background()
	if _, err := ingest.ReadOrthologs(writeTable(t, "human\tmouse\nCD79A\tCd79a\nCD79B\tCd79a\n"), "mouse", ""); !errors.Is(err, ingest.ErrDuplicate) ||
		!strings.Contains(err.Error(), ":3:") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("one-to-many table: %v", err)
	}
	if _, err := ingest.ReadOrthologs(writeTable(t, "human\trat\nCD79A\tCd79a\n"), "mouse", ""); err == nil || !strings.Contains(err.Error(), "no mouse symbol column") {
		t.Errorf("table without the species: %v", err)
	}
	if _, err := ingest.CheckSpecies("Mus musculus!"); err == nil {
		t.Error("bad species name accepted")
	}

	db := openTemp(t)
	if _, err := db.AddDataset(ctx, "h", speciesDataset("CD79A"), AddOptions{Species: "human"}); err != nil {
		t.Fatal(err)
	}
	var rows strings.Builder
	rows.WriteString("human\tmouse\n")
	var humanGenes []string
	for i := range 60 {
		g := "G" + string(rune('A'+i%26)) + string(rune('A'+i/26))
		rows.WriteString(g + "\t" + strings.ToLower(g) + "\n")
		humanGenes = append(humanGenes, g)
	}
	big, err := ingest.ReadOrthologs(writeTable(t, rows.String()), "mouse", "human")
	if err != nil {
		t.Fatal(err)
	}
	rat := &ingest.Orthologs{Source: "t", From: "rat", To: "mouse", Pairs: map[string]string{"a": "A"}}
	spatialNoCoords := speciesDataset("CD79A")
	dup := speciesDataset("CD79A")
	dup.Coords = [][2]float64{{1, 1}, {1, 1}}
	for _, tc := range []struct {
		name string
		ds   *ingest.Dataset
		opts AddOptions
		want string
	}{
		{"human genes with a mouse table", speciesDataset(humanGenes...), AddOptions{Species: "mouse", Orthologs: big}, "species mismatch"},
		{"table without species", speciesDataset("Cd79a"), AddOptions{Orthologs: big}, "needs the dataset's species"},
		{"table for another species", speciesDataset("a"), AddOptions{Species: "rat", Orthologs: rat}, "the store's home species is human"},
		{"table for the home species", speciesDataset("CD79A"), AddOptions{Species: "human", Orthologs: ingest.SymbolCaseOrthologs("human", "")}, "home species"},
		{"spatial without coordinates", spatialNoCoords, AddOptions{Modality: vocab.Spatial}, "needs spot coordinates"},
		{"duplicate spots", dup, AddOptions{}, "duplicate spots"},
		{"coordinates on rna", dup, AddOptions{Modality: vocab.RNA}, "modality rna"},
		{"unknown modality", speciesDataset("CD79A"), AddOptions{Modality: "proteomics"}, "modality \"proteomics\""},
	} {
		_, err := db.AddDataset(ctx, "bad", tc.ds, tc.opts)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrInvalid with %q", tc.name, err, tc.want)
		}
	}
	all, _ := db.Datasets()
	if len(all) != 1 {
		t.Errorf("failed adds left %d datasets", len(all))
	}
}

func TestSpotCoordsRoundTrip(t *testing.T) {
	db := openTemp(t)
	ds := speciesDataset("A", "B")
	ds.Coords = [][2]float64{{1.5, 2}, {3, -4.25}}
	info, err := db.AddDataset(context.Background(), "st", ds, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Modality != vocab.Spatial || info.Spots != 2 {
		t.Errorf("modality %q spots %d", info.Modality, info.Spots)
	}
	_ = db.View(func(tx *Tx) error {
		got, err := tx.SpotCoords(info.ID)
		if err != nil || !reflect.DeepEqual(got, ds.Coords) {
			t.Errorf("SpotCoords = %v, %v", got, err)
		}
		back, err := tx.DatasetByName("st")
		if err != nil || !reflect.DeepEqual(back, info) {
			t.Errorf("record read back %+v, %v", back, err)
		}
		return nil
	})
}
