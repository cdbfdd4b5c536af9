package store

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/store/ingest"
	"genestore/vocab"
)

func TestAddDatasetRoundTrip(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name              string
		rows, cols, per   int
		ints              bool
		wantChunksAtLeast int
	}{
		{"small counts", 50, 40, 8, true, 1},
		{"float values", 300, 200, 30, false, 1},
		{"several chunks", 9000, 300, 20, true, 3},
		{"wide rows split by bytes", 40, 60000, 30000, false, 4},
		{"single cell", 1, 3, 3, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t)
			ds := randomDataset(uint64(tc.rows*7+tc.cols), "ds", tc.rows, tc.cols, tc.per, tc.ints)
			info, err := db.AddDataset(ctx, "d1", ds, AddOptions{BatchKey: "batch"})
			if err != nil {
				t.Fatal(err)
			}
			want := DatasetInfo{ID: 1, Name: "d1", Format: "mtx", Source: ds.Source, SHA256: ds.SHA256,
				Values: ds.Values, Cells: tc.rows, Genes: tc.cols, NNZ: int64(ds.X.NNZ()),
				ObsColumns: []string{"batch", "depth"}, BatchKey: "batch", Added: fixedClock(), Modality: vocab.RNA}
			if !reflect.DeepEqual(info, want) {
				t.Fatalf("info\n got %+v\nwant %+v", info, want)
			}
			err = db.View(func(tx *Tx) error {
				for _, get := range []func() (DatasetInfo, error){
					func() (DatasetInfo, error) { return tx.DatasetByID(1) },
					func() (DatasetInfo, error) { return tx.DatasetByName("d1") },
				} {
					got, err := get()
					if err != nil || !reflect.DeepEqual(got, want) {
						t.Fatalf("lookup: %+v, %v", got, err)
					}
				}
				m, err := tx.Matrix(1)
				if err != nil {
					t.Fatal(err)
				}
				csrEqual(t, "matrix", m, ds.X)
				for _, r := range [][2]int{{0, 0}, {0, 1}, {tc.rows - 1, tc.rows}, {tc.rows / 3, tc.rows * 2 / 3}, {0, tc.rows}, {4095, 4097}, {4096, 8193}} {
					if r[1] > tc.rows || r[0] > r[1] {
						continue
					}
					got, err := tx.MatrixRows(1, r[0], r[1])
					if err != nil {
						t.Fatalf("rows %v: %v", r, err)
					}
					csrEqual(t, "rows", got, rowsOf(ds.X, r[0], r[1]))
				}
				if _, err := tx.MatrixRows(1, 0, tc.rows+1); !errors.Is(err, ErrInvalid) {
					t.Errorf("rows past the end: %v", err)
				}
				bc, err := tx.Barcodes(1)
				if err != nil || !reflect.DeepEqual(bc, ds.Barcodes) {
					t.Fatalf("barcodes: %v", err)
				}
				for _, i := range []int{0, tc.rows / 2, tc.rows - 1} {
					if got, err := tx.CellByBarcode(1, ds.Barcodes[i]); err != nil || int(got) != i {
						t.Errorf("CellByBarcode(%q) = %d, %v", ds.Barcodes[i], got, err)
					}
				}
				if _, err := tx.CellByBarcode(1, "nope"); !errors.Is(err, ErrNotFound) {
					t.Errorf("unknown barcode: %v", err)
				}
				for _, c := range ds.Obs {
					got, err := tx.Obs(1, c.Name)
					if err != nil || !reflect.DeepEqual(got, c) {
						t.Errorf("obs %q: %v", c.Name, err)
					}
				}
				genes, err := tx.DatasetGenes(1)
				if err != nil || len(genes) != tc.cols {
					t.Fatalf("genes %d, %v", len(genes), err)
				}
				chunks := 0
				_ = tx.btx.Bucket(bMatrix).ForEach(func(k, v []byte) error { chunks++; return nil })
				if chunks < tc.wantChunksAtLeast {
					t.Errorf("%d matrix chunks, want ≥ %d", chunks, tc.wantChunksAtLeast)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAddDatasetErrorsLeaveStoreUnchanged(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if _, err := db.AddDataset(ctx, "first", randomDataset(1, "a", 30, 20, 5, true), AddOptions{}); err != nil {
		t.Fatal(err)
	}
	good := func() *ingest.Dataset { return randomDataset(2, "b", 30, 20, 5, true) }
	tests := []struct {
		name string
		dsn  string
		ds   func() *ingest.Dataset
		opts AddOptions
		want error
		text string
	}{
		{"duplicate name", "first", good, AddOptions{}, ErrDatasetExists, `"first"`},
		{"unknown batch key", "x", good, AddOptions{BatchKey: "sample"}, ErrUnknownColumn, `"sample"`},
		{"empty name", "", good, AddOptions{}, ErrInvalid, "empty dataset name"},
		{"control char name", "a\nb", good, AddOptions{}, ErrInvalid, "control character"},
		{"reserved consensus", "consensus", good, AddOptions{}, ErrInvalid, `"consensus" is reserved`},
		{"reserved Consensus", "CONSENSUS", good, AddOptions{}, ErrInvalid, `"CONSENSUS" is reserved`},
		{"reserved padded", " Consensus ", good, AddOptions{}, ErrInvalid, "is reserved"},
		{"reserved star", "*", good, AddOptions{}, ErrInvalid, `"*" is reserved`},
		{"whitespace name", "  ", good, AddOptions{}, ErrInvalid, "only whitespace"},
		{"whitespace tab name", " \u00a0", good, AddOptions{}, ErrInvalid, "only whitespace"},
		{"dot name", ".", good, AddOptions{}, ErrInvalid, "URL path"},
		{"dot-dot name", " .. ", good, AddOptions{}, ErrInvalid, "URL path"},
		{"nil dataset", "x", func() *ingest.Dataset { return nil }, AddOptions{}, ErrInvalid, "no matrix"},
		{"empty matrix", "x", func() *ingest.Dataset {
			d := good()
			d.X = &sparse.CSR{Rows: 0, Cols: 20, Indptr: []int64{0}}
			d.Barcodes = nil
			d.Obs = nil
			return d
		}, AddOptions{}, ErrInvalid, "empty matrix"},
		{"gene count mismatch", "x", func() *ingest.Dataset { d := good(); d.Genes = d.Genes[1:]; return d }, AddOptions{}, ErrInvalid, "19 genes for 20"},
		{"barcode count mismatch", "x", func() *ingest.Dataset { d := good(); d.Barcodes = d.Barcodes[1:]; return d }, AddOptions{}, ErrInvalid, "29 barcodes"},
		{"duplicate barcode", "x", func() *ingest.Dataset { d := good(); d.Barcodes[5] = d.Barcodes[2]; return d }, AddOptions{}, ErrInvalid, "cells 3 and 6"},
		{"empty barcode", "x", func() *ingest.Dataset { d := good(); d.Barcodes[0] = ""; return d }, AddOptions{}, ErrInvalid, "barcode 1 is empty"},
		{"obs length", "x", func() *ingest.Dataset { d := good(); d.Obs[0].Values = d.Obs[0].Values[:3]; return d }, AddOptions{}, ErrInvalid, `"batch" has 3 values`},
		{"repeated obs column", "x", func() *ingest.Dataset { d := good(); d.Obs[1].Name = "batch"; return d }, AddOptions{}, ErrInvalid, "repeated"},
		{"bad value type", "x", func() *ingest.Dataset { d := good(); d.Values = "tpm"; return d }, AddOptions{}, ErrInvalid, `"tpm"`},
		{"NaN value", "x", func() *ingest.Dataset { d := good(); d.X.Data[3] = float32(nan()); return d }, AddOptions{}, ErrInvalid, "non-finite"},
		{"gene without name", "x", func() *ingest.Dataset { d := good(); d.Genes[4] = ingest.Gene{}; return d }, AddOptions{}, ErrInvalid, "gene 5"},
		{"NUL in symbol", "x", func() *ingest.Dataset { d := good(); d.Genes[4].Symbol = "A\x00B"; return d }, AddOptions{}, ErrInvalid, "control character"},
		// tabs and newlines would split the rows of a TSV export; NUL ends an HDF5 string
		{"tab in symbol", "x", func() *ingest.Dataset { d := good(); d.Genes[4].Symbol = "A\tB"; return d }, AddOptions{}, ErrInvalid, `gene 5 ("A\tB"`},
		{"newline in barcode", "x", func() *ingest.Dataset { d := good(); d.Barcodes[2] = "AA\nC-1"; return d }, AddOptions{}, ErrInvalid, "barcode 3"},
		{"invalid UTF-8 in barcode", "x", func() *ingest.Dataset { d := good(); d.Barcodes[2] = "AA\xffC"; return d }, AddOptions{}, ErrInvalid, "barcode 3"},
		{"NUL in obs value", "x", func() *ingest.Dataset { d := good(); d.Obs[0].Values[3] = "T\x00cell"; return d }, AddOptions{}, ErrInvalid, `obs column "batch", cell 4`},
	}
	before, _ := db.Digest()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.AddDataset(ctx, tc.dsn, tc.ds(), tc.opts)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.text)
			}
			if after, _ := db.Digest(); after != before {
				t.Fatal("store changed by a failed AddDataset")
			}
		})
	}
	// Cancellation rolls back too.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.AddDataset(cctx, "late", good(), AddOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if after, _ := db.Digest(); after != before {
		t.Fatal("store changed by a cancelled AddDataset")
	}
}

func TestGeneVocabulary(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	mk := func(genes ...ingest.Gene) *ingest.Dataset {
		d := randomDataset(3, "g", 4, len(genes), 2, true)
		d.Genes = genes
		return d
	}
	g := func(id, sym string) ingest.Gene { return ingest.Gene{ID: id, Symbol: sym} }
	a, err := db.AddDataset(ctx, "a", mk(g("E1", "CD3E"), g("E2", "TSPAN6"), g("E3", "MT1"), g("E4", "MT1"), g("E5", "")), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.AddDataset(ctx, "b", mk(g("M1", "Tspan6"), g("E2", "TSPAN6"), g("E3", "MT1"), g("X", "CD3E"), g("E3", "MT1"), g("E3", "MT1")), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.DuplicateSymbols != 1 || b.DuplicateSymbols != 2 {
		t.Errorf("duplicate symbols %d, %d; want 1, 2", a.DuplicateSymbols, b.DuplicateSymbols)
	}
	_ = db.View(func(tx *Tx) error {
		ga, _ := tx.DatasetGenes(a.ID)
		gb, _ := tx.DatasetGenes(b.ID)
		// a: CD3E=1 TSPAN6=2 MT1/E3=3 MT1/E4=4 E5=5 (symbol falls back to id)
		// b: Tspan6=6 (exact symbols differ) TSPAN6=2 MT1/E3=3 (joined: same
		// symbol and id, duplicated in both) CD3E=1 MT1/E3#2=7 MT1/E3#3=8
		if want := []uint32{1, 2, 3, 4, 5}; !reflect.DeepEqual(ga, want) {
			t.Errorf("a genes %v, want %v", ga, want)
		}
		if want := []uint32{6, 2, 3, 1, 7, 8}; !reflect.DeepEqual(gb, want) {
			t.Errorf("b genes %v, want %v", gb, want)
		}
		got, _ := tx.GenesBySymbol("tspan6")
		if want := []GeneInfo{{ID: 2, Symbol: "TSPAN6", SourceID: "E2"}, {ID: 6, Symbol: "Tspan6", SourceID: "M1"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("GenesBySymbol(tspan6) = %+v", got)
		}
		got, _ = tx.GenesBySymbol("MT1")
		if len(got) != 4 {
			t.Errorf("GenesBySymbol(MT1) = %+v, want 4 genes", got)
		}
		if got, _ := tx.GenesBySymbol("MT"); len(got) != 0 {
			t.Errorf("prefix matched: %+v", got)
		}
		if g5, err := tx.Gene(5); err != nil || g5.Symbol != "E5" {
			t.Errorf("gene 5 = %+v, %v", g5, err)
		}
		if _, err := tx.Gene(99); !errors.Is(err, ErrNotFound) {
			t.Errorf("gene 99: %v", err)
		}
		all, _ := tx.AllGenes()
		if len(all) != 8 {
			t.Errorf("%d genes, want 8", len(all))
		}
		return nil
	})
}

func TestDatasetInfoJSON(t *testing.T) {
	b, err := json.Marshal(DatasetInfo{ID: 1, Name: "pbmc", Cells: 80, Genes: 230, NNZ: 4456, Values: vocab.Counts})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"id":1`, `"name":"pbmc"`, `"cells":80`, `"genes":230`, `"nnz":4456`, `"values":"counts"`,
		`"obs_columns":[]`, `"batch_key":""`, `"duplicate_symbols":0`, `"sha256":""`, `"added":`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON %s lacks %s", b, k)
		}
	}
}

func TestDatasetsListAndLookups(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	for i, n := range []string{"b", "a", "c"} {
		if _, err := db.AddDataset(ctx, n, randomDataset(uint64(i), n, 10, 10, 3, true), AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := db.Datasets()
	if err != nil || len(list) != 3 || list[0].Name != "b" || list[2].ID != 3 {
		t.Fatalf("list %+v, %v", list, err)
	}
	if _, err := db.DatasetByName("zz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := db.DatasetByID(42); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if d, err := db.DatasetByID(2); err != nil || d.Name != "a" {
		t.Errorf("id 2: %+v %v", d, err)
	}
}
