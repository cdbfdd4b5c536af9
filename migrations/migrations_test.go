package migrations

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var update = flag.Bool("update", false, "rewrite the frozen fixtures in testdata/")

// TestStepsPinned pins every released version number and name. Changing a
// released step, or adding one without its before/after test, fails here.
func TestStepsPinned(t *testing.T) {
	want := []struct {
		v    int
		name string
	}{
		{1, "initial layout"},
		{2, "case-folded gene symbol index"},
		{3, "regulatory networks"},
		{4, "derived layers and model records"},
		{5, "dataset modality, species and spot coordinates"},
	}
	steps := Steps()
	if len(steps) != len(want) {
		t.Fatalf("have %d steps, pinned %d: pin the new step here and add its before/after test", len(steps), len(want))
	}
	for i, s := range steps {
		if s.Version != want[i].v || s.Name != want[i].name {
			t.Errorf("step %d = (%d, %q), pinned (%d, %q)", i, s.Version, s.Name, want[i].v, want[i].name)
		}
		if s.Version != i+1 {
			t.Errorf("step %d has version %d: versions must be 1, 2, 3, … without gaps", i, s.Version)
		}
		if s.Apply == nil {
			t.Errorf("step %d has no Apply", s.Version)
		}
		if _, ok := beforeAfter[s.Version]; !ok {
			t.Errorf("step %d (%s) has no before/after test in beforeAfter", s.Version, s.Name)
		}
	}
	if Latest() != want[len(want)-1].v {
		t.Errorf("Latest() = %d", Latest())
	}
}

// beforeAfter holds, per step, a test that opens the frozen fixture at the
// step's previous version, applies the step, and checks the result.
var beforeAfter = map[int]func(t *testing.T){
	1: testV001,
	2: testV002,
	3: testV003,
	4: testV004,
	5: testV005,
}

func TestBeforeAfter(t *testing.T) {
	for _, s := range Steps() {
		f, ok := beforeAfter[s.Version]
		if !ok {
			continue // reported by TestStepsPinned
		}
		t.Run(s.Name, f)
	}
}

// openCopy copies a fixture into a temp dir and opens it.
func openCopy(t *testing.T, fixture string) *bolt.DB {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "store.db")
	if fixture != "" {
		src, err := os.Open(filepath.Join("testdata", fixture))
		if err != nil {
			t.Fatalf("fixture: %v (regenerate with go test -run TestFixtures -update)", err)
		}
		defer src.Close()
		out, err := os.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, src); err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func applyStep(t *testing.T, db *bolt.DB, version int) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		from, to, err := RunTo(tx, version)
		if err == nil && (from != version-1 || to != version) {
			t.Errorf("RunTo(%d): from %d to %d", version, from, to)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testV001(t *testing.T) {
	db := openCopy(t, "") // before: an empty bbolt file
	_ = db.View(func(tx *bolt.Tx) error {
		if v, err := Version(tx); v != 0 || err != nil {
			t.Fatalf("empty file: version %d, %v", v, err)
		}
		return nil
	})
	applyStep(t, db, 1)
	_ = db.View(func(tx *bolt.Tx) error {
		for _, name := range v001Buckets {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("bucket %q missing after step 1", name)
			}
		}
		if tx.Bucket([]byte(v002FoldBucket)) != nil {
			t.Errorf("step 1 created a version 2 bucket")
		}
		return nil
	})
}

// v1Genes are the genes of the frozen v1 fixture: id → (symbol, source id).
var v1Genes = []struct {
	id          uint32
	symbol, src string
}{
	{1, "TSPAN6", "ENSG00000000003"},
	{2, "Tspan6", "ENSMUSG00000067377"},
	{3, "CD3E", "ENSG00000198851"},
	{4, "Ä-gene", "X1"},
	{5, "MT-CO1", "ENSG00000198804"},
}

// v001GeneRecord is the frozen version-1 gene record encoder (see
// v001GeneSymbol for the layout).
func v001GeneRecord(symbol, src string) []byte {
	b := []byte{1}
	b = binary.AppendUvarint(b, uint64(len(symbol)))
	b = append(b, symbol...)
	b = binary.AppendUvarint(b, uint64(len(src)))
	b = append(b, src...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// writeV1Fixture builds testdata/v001.bbolt with frozen version-1 code.
func writeV1Fixture(t *testing.T, path string) {
	os.Remove(path)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		if _, _, err := RunTo(tx, 1); err != nil {
			return err
		}
		meta := tx.Bucket([]byte(MetaBucket))
		if err := meta.Put([]byte("magic"), []byte("genestore")); err != nil {
			return err
		}
		genes := tx.Bucket([]byte("genes"))
		keys := tx.Bucket([]byte("gene_keys"))
		for _, g := range v1Genes {
			var k [4]byte
			binary.BigEndian.PutUint32(k[:], g.id)
			if err := genes.Put(k[:], v001GeneRecord(g.symbol, g.src)); err != nil {
				return err
			}
			if err := keys.Put([]byte(g.symbol), k[:]); err != nil {
				return err
			}
		}
		return genes.SetSequence(uint64(len(v1Genes)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFixtures regenerates the frozen fixtures with -update; otherwise it
// checks they exist.
func TestFixtures(t *testing.T) {
	p := filepath.Join("testdata", "v001.bbolt")
	if *update {
		writeV1Fixture(t, p)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%v: run go test -run TestFixtures -update", err)
	}
}

func testV002(t *testing.T) {
	db := openCopy(t, "v001.bbolt")
	_ = db.View(func(tx *bolt.Tx) error {
		if v, _ := Version(tx); v != 1 {
			t.Fatalf("fixture at version %d, want 1", v)
		}
		return nil
	})
	applyStep(t, db, 2)
	_ = db.View(func(tx *bolt.Tx) error {
		fold := tx.Bucket([]byte(v002FoldBucket))
		if fold == nil {
			t.Fatal("gene_fold missing")
		}
		var got [][]byte
		_ = fold.ForEach(func(k, v []byte) error {
			got = append(got, append([]byte(nil), k...))
			return nil
		})
		if len(got) != len(v1Genes) {
			t.Fatalf("gene_fold has %d keys, want %d", len(got), len(v1Genes))
		}
		for _, g := range v1Genes {
			if fold.Get(v002FoldKey(g.symbol, g.id)) == nil {
				t.Errorf("no fold key for %q (%d)", g.symbol, g.id)
			}
		}
		// both TSPAN6 and Tspan6 under one prefix
		c := fold.Cursor()
		var ids []uint32
		prefix := []byte("tspan6\x00")
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, binary.BigEndian.Uint32(k[len(prefix):]))
		}
		if !reflect.DeepEqual(ids, []uint32{1, 2}) {
			t.Errorf("tspan6 ids %v, want [1 2]", ids)
		}
		if fold.Get(v002FoldKey("ä-GENE", 4)) == nil {
			t.Errorf("non-ASCII symbol not folded")
		}
		return nil
	})
}

// testV003 takes the v1 fixture to version 2, then applies step 3: the
// regulation bucket appears, empty, and nothing else changes.
func testV003(t *testing.T) {
	db := openCopy(t, "v001.bbolt")
	applyStep(t, db, 2)
	var before []string
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(v003RegulationBucket)) != nil {
			t.Fatal("regulation bucket exists at version 2")
		}
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			before = append(before, string(name))
			return nil
		})
	})
	applyStep(t, db, 3)
	_ = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(v003RegulationBucket))
		if b == nil {
			t.Fatal("regulation bucket missing after step 3")
		}
		if k, _ := b.Cursor().First(); k != nil {
			t.Errorf("regulation bucket not empty: key %q", k)
		}
		var after []string
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if string(name) != v003RegulationBucket {
				after = append(after, string(name))
			}
			return nil
		})
		if !reflect.DeepEqual(before, after) {
			t.Errorf("buckets before %v, after (less regulation) %v", before, after)
		}
		return nil
	})
}

// testV004 takes the v1 fixture to version 3, then applies step 4: the
// layers and models buckets appear, empty, and nothing else changes.
func testV004(t *testing.T) {
	db := openCopy(t, "v001.bbolt")
	applyStep(t, db, 2)
	applyStep(t, db, 3)
	added := map[string]bool{v004LayersBucket: true, v004ModelsBucket: true}
	var before []string
	_ = db.View(func(tx *bolt.Tx) error {
		for name := range added {
			if tx.Bucket([]byte(name)) != nil {
				t.Fatalf("bucket %q exists at version 3", name)
			}
		}
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			before = append(before, string(name))
			return nil
		})
	})
	applyStep(t, db, 4)
	_ = db.View(func(tx *bolt.Tx) error {
		for name := range added {
			b := tx.Bucket([]byte(name))
			if b == nil {
				t.Fatalf("bucket %q missing after step 4", name)
			}
			if k, _ := b.Cursor().First(); k != nil {
				t.Errorf("bucket %q not empty: key %q", name, k)
			}
		}
		var after []string
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if !added[string(name)] {
				after = append(after, string(name))
			}
			return nil
		})
		if !reflect.DeepEqual(before, after) {
			t.Errorf("buckets before %v, after (less the new ones) %v", before, after)
		}
		return nil
	})
}

// v001DatasetBody is a frozen version-1 dataset record body (after the
// version byte, before the CRC): u32 ID, str Name, str Format, str Source,
// str SHA256, str Values, uv Cells, uv Genes, uv NNZ, strs ObsColumns,
// str BatchKey, sv Added, uv DuplicateSymbols.
func v001DatasetBody(id uint32, name string) []byte {
	b := binary.BigEndian.AppendUint32(nil, id)
	for _, s := range []string{name, "mtx", "/data/" + name, "ab12", "counts"} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, 80)  // cells
	b = binary.AppendUvarint(b, 230) // genes
	b = binary.AppendUvarint(b, 4456)
	b = binary.AppendUvarint(b, 1) // one obs column
	b = binary.AppendUvarint(b, 9)
	b = append(b, "cell_type"...)
	b = binary.AppendUvarint(b, 0) // batch key
	b = binary.AppendVarint(b, 1700000000000000000)
	return binary.AppendUvarint(b, 2)
}

func sealRecord(version byte, body []byte) []byte {
	b := append([]byte{version}, body...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// testV005 takes the v1 fixture to version 4, stores two version-1 dataset
// records, applies step 5: each record is version 2 with the old body
// byte-identical and modality "rna", empty species and join, 0 spots
// appended; the spatial bucket appears empty. A damaged record fails the
// step, which leaves the file at version 4.
func testV005(t *testing.T) {
	db := openCopy(t, "v001.bbolt")
	for v := 2; v <= 4; v++ {
		applyStep(t, db, v)
	}
	bodies := map[uint32][]byte{1: v001DatasetBody(1, "pbmc"), 2: v001DatasetBody(2, "lung")}
	err := db.Update(func(tx *bolt.Tx) error {
		ds := tx.Bucket([]byte("datasets"))
		for id, body := range bodies {
			if err := ds.Put(binary.BigEndian.AppendUint32(nil, id), sealRecord(1, body)); err != nil {
				return err
			}
		}
		if tx.Bucket([]byte(v005SpatialBucket)) != nil {
			t.Fatal("spatial bucket exists at version 4")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	applyStep(t, db, 5)
	_ = db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(v005SpatialBucket)); b == nil {
			t.Fatal("spatial bucket missing after step 5")
		} else if k, _ := b.Cursor().First(); k != nil {
			t.Errorf("spatial bucket not empty: %x", k)
		}
		ds := tx.Bucket([]byte("datasets"))
		for id, body := range bodies {
			got := ds.Get(binary.BigEndian.AppendUint32(nil, id))
			want := append(append([]byte(nil), body...), 3)
			want = append(want, "rna"...)
			want = append(want, 0, 0, 0)
			if !bytes.Equal(got, sealRecord(2, want)) {
				t.Errorf("dataset %d after step 5:\n got %x\nwant %x", id, got, sealRecord(2, want))
			}
		}
		return nil
	})

	bad := openCopy(t, "v001.bbolt")
	for v := 2; v <= 4; v++ {
		applyStep(t, bad, v)
	}
	_ = bad.Update(func(tx *bolt.Tx) error {
		rec := sealRecord(1, v001DatasetBody(1, "x"))
		rec[3] ^= 0xff
		return tx.Bucket([]byte("datasets")).Put(binary.BigEndian.AppendUint32(nil, 1), rec)
	})
	err = bad.Update(func(tx *bolt.Tx) error { _, _, err := RunTo(tx, 5); return err })
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("damaged record: err = %v, want a checksum error", err)
	}
	_ = bad.View(func(tx *bolt.Tx) error {
		if v, _ := Version(tx); v != 4 {
			t.Errorf("after a failed step 5 the file is at version %d, want 4", v)
		}
		return nil
	})
}

func TestRefuseNewer(t *testing.T) {
	db := openCopy(t, "")
	err := db.Update(func(tx *bolt.Tx) error { return setVersion(tx, Latest()+1) })
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, _, err := Run(tx)
		return err
	})
	if !errors.Is(err, ErrTooNew) || !strings.Contains(err.Error(), fmt.Sprintf("version %d", Latest()+1)) {
		t.Fatalf("err = %v, want ErrTooNew naming version %d", err, Latest()+1)
	}
}

func TestRunIdempotentAndAtomic(t *testing.T) {
	db := openCopy(t, "v001.bbolt")
	for i := 0; i < 2; i++ {
		_ = db.Update(func(tx *bolt.Tx) error {
			from, to, err := Run(tx)
			if err != nil {
				t.Fatal(err)
			}
			if to != Latest() || (i == 1 && from != to) {
				t.Errorf("run %d: from %d to %d", i, from, to)
			}
			return nil
		})
	}
	// A failing step leaves the file at its old version: corrupt a gene
	// record in a fresh copy and migrate.
	db2 := openCopy(t, "v001.bbolt")
	_ = db2.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("genes")).Put([]byte{0, 0, 0, 3}, []byte{1, 2, 3, 4, 5, 6})
	})
	err := db2.Update(func(tx *bolt.Tx) error { _, _, err := Run(tx); return err })
	if err == nil || !strings.Contains(err.Error(), "step 2") {
		t.Fatalf("err = %v, want step 2 failure", err)
	}
	_ = db2.View(func(tx *bolt.Tx) error {
		if v, _ := Version(tx); v != 1 {
			t.Errorf("version after failed migration = %d, want 1", v)
		}
		if tx.Bucket([]byte(v002FoldBucket)) != nil {
			t.Errorf("gene_fold exists after failed migration")
		}
		return nil
	})
}

func TestVersionMalformed(t *testing.T) {
	db := openCopy(t, "")
	_ = db.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket([]byte(MetaBucket))
		return m.Put([]byte(VersionKey), []byte{1})
	})
	_ = db.View(func(tx *bolt.Tx) error {
		if _, err := Version(tx); !errors.Is(err, ErrBadVersion) {
			t.Errorf("err = %v", err)
		}
		return nil
	})
}
