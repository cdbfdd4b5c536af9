package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// A damaged matrix key that shares the dataset's 4-byte prefix but is
// shorter than 8 bytes must give ErrCorrupt, not an index-out-of-range
// panic when MatrixRows seeks into the dataset.
func TestMatrixRowsShortKeyIsCorrupt(t *testing.T) {
	db := openTemp(t)
	info, err := db.AddDataset(context.Background(), "d", randomDataset(1, "d", 10, 8, 3, true), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error {
		return tx.btx.Bucket(bMatrix).Put(append(u32key(info.ID), 0xFF), []byte("x"))
	}); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		_, err := tx.MatrixRows(info.ID, 1, 2)
		return err
	})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("MatrixRows over a short key: %v, want ErrCorrupt", err)
	}
}

// A dataset record whose counts are wrong but whose checksum matches (the
// case sizeHint exists for) must not make Matrix reserve what it claims:
// an NNZ near 2^62 made make() panic, a huge cell count reserved gigabytes.
func TestMatrixHugeRecordCountsAreCorrupt(t *testing.T) {
	db := openTemp(t)
	info, err := db.AddDataset(context.Background(), "d", randomDataset(1, "d", 10, 8, 3, true), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := info
	bad.NNZ = 1 << 62
	bad.Cells = 1<<32 - 2
	if err := db.Update(func(tx *Tx) error {
		return tx.btx.Bucket(bDatasets).Put(u32key(info.ID), encodeDataset(bad))
	}); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		_, err := tx.Matrix(info.ID)
		return err
	})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Matrix of a record claiming %d nonzeros: %v, want ErrCorrupt", bad.NNZ, err)
	}
}

// PlanDataset validates the name as AddDataset does: a reserved name must
// be refused by the plan, not only by the AddDataset that follows the
// caller's computation.
func TestPlanDatasetRefusesReservedName(t *testing.T) {
	db := openTemp(t)
	ds := randomDataset(1, "d", 10, 8, 3, true)
	for _, name := range []string{"consensus", " Consensus ", "*", "   "} {
		errAdd := db.Update(func(tx *Tx) error { _, err := tx.AddDataset(context.Background(), name, ds, AddOptions{}); return err })
		errPlan := db.View(func(tx *Tx) error { _, _, err := tx.PlanDataset(name, ds, AddOptions{}); return err })
		if !errors.Is(errAdd, ErrInvalid) || !errors.Is(errPlan, ErrInvalid) {
			t.Errorf("name %q: AddDataset %v, PlanDataset %v; want ErrInvalid from both", name, errAdd, errPlan)
		}
	}
}

// The spot coordinate record's bytes are as documented on spatialVersion:
// uv n, then each x and y as u64 (big-endian, as every u64 of the codec)
// float64 bits.
func TestSpotCoordsLayout(t *testing.T) {
	v := encodeCoords([][2]float64{{1.5, -2}})
	body := v[1 : len(v)-4]
	want := []byte{1}
	want = binary.BigEndian.AppendUint64(want, math.Float64bits(1.5))
	want = binary.BigEndian.AppendUint64(want, math.Float64bits(-2))
	if !bytes.Equal(body, want) {
		t.Fatalf("coords body %x, want %x", body, want)
	}
}

// Verify's doc: every problem it returns wraps ErrCorrupt. A dataset whose
// barcodes, gene columns or an obs column are missing is a damaged store,
// not a lookup of something absent.
func TestVerifyMissingPartsAreCorrupt(t *testing.T) {
	for _, c := range []struct {
		what   string
		bucket []byte
		key    func(id uint32) []byte
	}{
		{"barcodes", bBarcodes, func(id uint32) []byte { return u32u32key(id, 0) }},
		{"dataset genes", bDatasetGenes, u32key},
		{"obs column", bObs, func(id uint32) []byte { return u32strkey(id, "batch") }},
	} {
		db := openTemp(t)
		info, err := db.AddDataset(context.Background(), "d", randomDataset(1, "d", 10, 8, 3, true), AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(func(tx *Tx) error { return tx.btx.Bucket(c.bucket).Delete(c.key(info.ID)) }); err != nil {
			t.Fatal(err)
		}
		err = db.Verify(context.Background())
		if err == nil || !errors.Is(err, ErrCorrupt) {
			t.Errorf("Verify with the %s missing: %v, want ErrCorrupt", c.what, err)
		}
	}
}

// prefixPair is a store with datasets "a" and "a:b" (names that share the
// prefix "a:"), and their records.
func prefixPair(t *testing.T) (*DB, DatasetInfo, DatasetInfo) {
	t.Helper()
	ctx := context.Background()
	db := openTemp(t)
	a, err := db.AddDataset(ctx, "a", randomDataset(1, "a", 10, 8, 3, true), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ab, err := db.AddDataset(ctx, "a:b", randomDataset(2, "ab", 10, 8, 3, true), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return db, a, ab
}

// Dataset names may hold ':'. A network inferred from dataset "a:b" alone
// (view "a:b", or "a:b:batch=x") is not a view of dataset "a": dropping
// "a" must keep it, and renaming "a" must not rewrite its views.
func TestNetworkViewsOfPrefixNamedDatasets(t *testing.T) {
	ctx := context.Background()
	abViews := []string{"a:b", "a:b:batch=x"}
	setup := func() (*DB, uint32) {
		db, a, ab := prefixPair(t)
		for _, n := range []Network{
			{Name: "of-ab", Views: abViews, Provenance: Provenance{Datasets: []uint32{ab.ID}}},
			{Name: "of-a", Views: []string{"a", "a:batch=y"}, Provenance: Provenance{Datasets: []uint32{a.ID}}},
		} {
			if err := db.Update(func(tx *Tx) error { return tx.PutNetwork(n, []RegEdge{{Regulator: 1, Target: 2, Score: 1}}) }); err != nil {
				t.Fatal(err)
			}
		}
		return db, a.ID
	}

	db, _ := setup()
	if err := db.Update(func(tx *Tx) error { _, err := tx.RenameDataset("a", "c"); return err }); err != nil {
		t.Fatal(err)
	}
	var got []Network
	if err := db.View(func(tx *Tx) (err error) { got, err = tx.Networks(); return err }); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"of-a": {"c", "c:batch=y"}, "of-ab": abViews}
	for _, n := range got {
		if !slicesEqual(n.Views, want[n.Name]) {
			t.Errorf("after renaming a to c, network %q has views %q, want %q", n.Name, n.Views, want[n.Name])
		}
	}

	db, id := setup()
	var st DropStats
	if err := db.Update(func(tx *Tx) (err error) { st, err = tx.DropDataset(ctx, id); return err }); err != nil {
		t.Fatal(err)
	}
	if len(st.Networks) != 1 || st.Networks[0] != "of-a" {
		t.Errorf("dropping a removed networks %q, want only of-a", st.Networks)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// AddDataset's doc: nothing is written unless everything is valid. A gene
// with neither symbol nor id is invalid; the refused AddDataset must leave
// the transaction untouched (here: the dataset id sequence), so that a
// caller that goes on in the same Update commits nothing of it.
func TestAddDatasetInvalidGeneWritesNothing(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	before, err := db.Digest()
	if err != nil {
		t.Fatal(err)
	}
	bad := randomDataset(1, "d", 10, 8, 3, true)
	bad.Genes[3].Symbol, bad.Genes[3].ID = "", ""
	var addErr error
	if err := db.Update(func(tx *Tx) error {
		_, addErr = tx.AddDataset(ctx, "d", bad, AddOptions{})
		return nil // the caller carries on: the refused add must have written nothing
	}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(addErr, ErrInvalid) {
		t.Fatalf("AddDataset with an empty gene: %v, want ErrInvalid", addErr)
	}
	after, err := db.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Fatal("a refused AddDataset changed the store")
	}
	// The digest does not cover bucket sequences: the next id shows them.
	info, err := db.AddDataset(ctx, "d", randomDataset(1, "d", 10, 8, 3, true), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != 1 {
		t.Fatalf("first dataset after a refused AddDataset got id %d, want 1", info.ID)
	}
}

// Predictions named "<dataset>:..." (label transfer) are marked stale when
// that dataset is dropped; those of dataset "a:b" are not "a"'s.
func TestDropMarksOnlyItsOwnPredictions(t *testing.T) {
	ctx := context.Background()
	db, a, ab := prefixPair(t)
	if err := db.Update(func(tx *Tx) error {
		if err := tx.PutPredictions("cell-labels", "a:ref", nil, Provenance{}); err != nil {
			return err
		}
		return tx.PutPredictions("cell-labels", "a:b:ref", nil, Provenance{Datasets: []uint32{ab.ID}})
	}); err != nil {
		t.Fatal(err)
	}
	var st DropStats
	if err := db.Update(func(tx *Tx) (err error) { st, err = tx.DropDataset(ctx, a.ID); return err }); err != nil {
		t.Fatal(err)
	}
	var p Predictions
	if err := db.View(func(tx *Tx) (err error) { p, err = tx.Predictions("cell-labels", "a:b:ref"); return err }); err != nil {
		t.Fatal(err)
	}
	if st.Predictions != 1 || p.Stale {
		t.Fatalf("dropping a marked %d predictions stale (a:b:ref stale: %v), want 1 (a:ref only)", st.Predictions, p.Stale)
	}
}
