package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"genestore/internal/testutil/crash"

	bolt "go.etcd.io/bbolt"
)

// fourDatasets fills db with four small datasets, a vector set for each in
// two spaces, a layer, edges and a clustering.
func fourDatasets(t testing.TB, db *DB) []DatasetInfo {
	t.Helper()
	ctx := context.Background()
	var out []DatasetInfo
	for i, name := range []string{"A", "B", "C", "D"} {
		info, err := db.AddDataset(ctx, name, randomDataset(uint64(10+i), name, 3000, 400, 30, true), AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, info)
	}
	err := db.Update(func(tx *Tx) error {
		for _, d := range out {
			ids := make([]uint32, d.Cells)
			vecs := make([]float32, d.Cells*8)
			for i := range ids {
				ids[i] = uint32(i)
			}
			for i := range vecs {
				vecs[i] = float32(d.ID) + float32(i%97)/97
			}
			if err := tx.PutEmbeddings("cells", d.ID, ids, 8, vecs, testProv); err != nil {
				return err
			}
			if err := tx.PutEmbeddings("genes", d.ID, ids[:50], 8, vecs[:400], testProv); err != nil {
				return err
			}
			if err := tx.PutEdges(d.ID, []Edge{{1, 2, 0.5}, {2, 3, -0.25}}, testProv); err != nil {
				return err
			}
		}
		if err := tx.PutClustering("cells", "leiden_r1.0", []uint64{1}, []int32{0}, testProv); err != nil {
			return err
		}
		return tx.PutBlob("model", "cells", make([]byte, 5000))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDropDatasetRemovesEverythingOfIt(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	ds := fourDatasets(t, db)
	before := map[uint32][]float32{}
	err := db.View(func(tx *Tx) error {
		for _, d := range ds {
			_, _, v, err := tx.Embeddings("cells", d.ID)
			if err != nil {
				return err
			}
			before[d.ID] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var st DropStats
	err = db.Update(func(tx *Tx) (err error) { st, err = tx.DropDataset(ctx, ds[1].ID); return err })
	if err != nil {
		t.Fatal(err)
	}
	if st.Vectors["cells"] != 3000 || st.Vectors["genes"] != 50 || st.EdgeLists == 0 || st.Records == 0 || st.Clusterings != 1 {
		t.Errorf("drop stats %+v", st)
	}
	if _, err := db.DatasetByName("B"); !errors.Is(err, ErrNotFound) {
		t.Errorf("dataset B still there: %v", err)
	}
	err = db.View(func(tx *Tx) error {
		for _, d := range ds {
			ids, _, v, err := tx.Embeddings("cells", d.ID)
			if err != nil {
				return err
			}
			if d.ID == ds[1].ID {
				if len(ids) != 0 {
					t.Errorf("dropped dataset keeps %d vectors", len(ids))
				}
				continue
			}
			if len(v) != len(before[d.ID]) {
				t.Fatalf("dataset %d: %d values, had %d", d.ID, len(v), len(before[d.ID]))
			}
			for i := range v {
				if v[i] != before[d.ID][i] {
					t.Fatalf("dataset %d vector value %d changed", d.ID, i)
				}
			}
		}
		if _, err := tx.Barcodes(ds[1].ID); err == nil {
			if b, _ := tx.Barcodes(ds[1].ID); len(b) > 0 {
				t.Error("barcodes of the dropped dataset remain")
			}
		}
		if _, err := tx.Edges(ds[1].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("edges of the dropped dataset: %v", err)
		}
		c, err := tx.Clustering("cells", "leiden_r1.0")
		if err != nil || !c.Stale {
			t.Errorf("clustering not marked stale: %+v %v", c.Stale, err)
		}
		recs, err := tx.DropRecords()
		if err != nil || len(recs) != 1 || recs[0].Dataset.Name != "B" || recs[0].Removed.Vectors["cells"] != 3000 {
			t.Errorf("drop records %+v %v", recs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatalf("verify after drop: %v", err)
	}
	// A new dataset gets a fresh id, never the dropped one's.
	info, err := db.AddDataset(ctx, "B", randomDataset(99, "B", 10, 20, 5, true), AddOptions{})
	if err != nil || info.ID <= ds[3].ID {
		t.Errorf("re-added B: id %d (last was %d), %v", info.ID, ds[3].ID, err)
	}
}

func TestRenameDataset(t *testing.T) {
	db := openTemp(t)
	ds := fourDatasets(t, db)
	// A network whose views name A (whole, and one time point of it) must
	// follow the rename; "AB" only shares the prefix.
	n, edges := testNetwork()
	n.Views = []string{"A", "A:time=1", "AB"}
	for i := range edges {
		if len(edges[i].Support) > 0 {
			edges[i].Support = []float32{0.1, 0.2, 0.3}
		}
	}
	if err := db.Update(func(tx *Tx) error { return tx.PutNetwork(n, edges) }); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		old, new string
		want     error
	}{
		{"A", "C", ErrDatasetExists},
		{"A", "consensus", ErrInvalid},
		{"A", "", ErrInvalid},
		{"nope", "E", ErrNotFound},
		{"A", "A2", nil},
	} {
		err := db.Update(func(tx *Tx) error { _, err := tx.RenameDataset(tc.old, tc.new); return err })
		if !errors.Is(err, tc.want) {
			t.Errorf("rename %q → %q: %v, want %v", tc.old, tc.new, err, tc.want)
		}
	}
	got, err := db.DatasetByName("A2")
	if err != nil || got.ID != ds[0].ID || got.Cells != ds[0].Cells {
		t.Fatalf("A2: %+v %v", got, err)
	}
	if _, err := db.DatasetByName("A"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old name still resolves: %v", err)
	}
	var views []string
	if err := db.View(func(tx *Tx) error { n, err := tx.Network("grn"); views = n.Views; return err }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(views, []string{"A2", "A2:time=1", "AB"}) {
		t.Errorf("network views after the rename: %q", views)
	}
	if err := db.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// boltFree opens path directly with bbolt (no store in the way) and
// returns its free and pending page counts.
func boltFree(t *testing.T, path string) int64 {
	t.Helper()
	h, err := bolt.Open(path, 0o644, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	s := h.Stats()
	return int64(s.FreePageN + s.PendingPageN)
}

func TestInfoSizesAddUpAndCompactShrinks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	db, err := Open(path, &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds := fourDatasets(t, db)
	if err := db.Update(func(tx *Tx) error { _, err := tx.DropDataset(ctx, ds[2].ID); return err }); err != nil {
		t.Fatal(err)
	}
	check := func(when string) *Info {
		info, err := db.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Sum() != info.FileBytes {
			t.Errorf("%s: parts add up to %d, file has %d bytes", when, info.Sum(), info.FileBytes)
		}
		// The free pages Info finds by subtraction are bbolt's own count.
		if free := boltFree(t, path); free != info.FreePages {
			t.Errorf("%s: info says %d free pages, bbolt %d", when, info.FreePages, free)
		}
		if info.DirectoryBytes <= 0 || info.DirectoryBytes > 4*int64(info.PageSize) {
			t.Errorf("%s: directory %d bytes", when, info.DirectoryBytes)
		}
		if len(info.Datasets) != 3 || len(info.Dropped) != 1 {
			t.Errorf("%s: %d datasets, %d dropped", when, len(info.Datasets), len(info.Dropped))
		}
		var cells *SpaceSize
		for i := range info.Spaces {
			if info.Spaces[i].Name == "cells" {
				cells = &info.Spaces[i]
			}
		}
		if cells == nil || cells.Vectors != 9000 || cells.VectorBytes < 9000*32 || cells.ModelBytes == 0 {
			t.Errorf("%s: cells space %+v", when, cells)
		}
		return info
	}
	before := check("before compact")
	if before.FreePages == 0 {
		t.Fatal("no free pages after a drop: nothing to compact")
	}
	digest, err := db.Digest()
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Compact(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compact: %d → %d bytes (%d free pages before)", res.Before, res.After, before.FreePages)
	if res.After >= res.Before || res.Before != before.FileBytes {
		t.Errorf("compact: %+v", res)
	}
	after := check("after compact")
	if after.TailBytes != 0 {
		t.Errorf("compacted file has %d bytes past its last page", after.TailBytes)
	}
	if after.FreePages > 2 {
		t.Errorf("compacted file still has %d free pages", after.FreePages)
	}
	if d, err := db.Digest(); err != nil || d != digest {
		t.Errorf("compaction changed the content: %v", err)
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	// --out leaves the store as it is.
	out := filepath.Join(dir, "c.db")
	if _, err := db.Compact(ctx, out); err != nil {
		t.Fatal(err)
	}
	c, err := Open(out, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c.Digest(); err != nil || d != digest {
		t.Errorf("compacted copy differs: %v", err)
	}
	c.Close()
	if _, err := db.Compact(ctx, path); !errors.Is(err, ErrInvalid) {
		t.Errorf("compact onto itself: %v", err)
	}
}

func TestCompactRefusedWhileAnotherHoldsTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	holder, err := Open(path, &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	db, err := Open(path, &Options{Clock: fixedClock, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	release := make(chan struct{})
	held := make(chan struct{})
	go holder.View(func(*Tx) error { close(held); <-release; return nil })
	<-held
	_, err = db.Compact(context.Background(), "")
	close(release)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("compact while another DB reads: %v, want ErrLocked", err)
	}
}

// TestBackupDuringWrites takes backups while another goroutine keeps
// committing: each backup opens, verifies and holds a prefix of the writes.
func TestBackupDuringWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fourDatasets(t, db)
	var wrote atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Update(func(tx *Tx) error {
				return tx.PutBlob("scratch", "b", make([]byte, 100_000+i))
			})
			if err != nil {
				t.Error(err)
				return
			}
			wrote.Add(1)
		}
	}()
	for i := range 5 {
		out := filepath.Join(dir, "backup.db")
		n, err := db.Backup(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(out)
		if err != nil || fi.Size() != n {
			t.Fatalf("backup %d: %d bytes written, file %v %v", i, n, fi.Size(), err)
		}
		b, err := Open(out, &Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Verify(ctx); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		d, err := b.Datasets()
		if err != nil || len(d) != 4 {
			t.Fatalf("backup %d: %d datasets %v", i, len(d), err)
		}
		b.Close()
	}
	close(stop)
	wg.Wait()
	if wrote.Load() == 0 {
		t.Fatal("no write committed while backing up")
	}
	t.Logf("%d commits during 5 backups", wrote.Load())
	if _, err := db.Backup(ctx, db.Path()); !errors.Is(err, ErrInvalid) {
		t.Errorf("backup onto itself: %v", err)
	}
}

// TestCrashCompact kills a process in the middle of compacting a store in
// place: it must reopen with the same content (the old file or the new).
func TestCrashCompact(t *testing.T) {
	rep := crash.Run(t, crash.Config{Trials: crashTrials(), Seed: 9,
		Prepare: func(dir string) error {
			db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
			if err != nil {
				return err
			}
			defer db.Close()
			fourDatasets(t, db)
			return db.Update(func(tx *Tx) error { _, err := tx.DropDataset(context.Background(), 2); return err })
		},
		Digest: sizedDigest,
	}, func(dir string, ready func()) error {
		db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
		if err != nil {
			return err
		}
		defer db.Close()
		ready()
		_, err = db.Compact(context.Background(), "")
		return err
	})
	if rep.Child {
		return
	}
	t.Logf("compact crash trials: %d (before %d, after %d, finished %d; compact %v)",
		rep.Trials, rep.Before, rep.After, rep.Finished, rep.OpTime)
}

// sizedDigest is storeDigest and the file's size: compaction keeps the
// content and changes only the layout, so the size tells before from after.
func sizedDigest(dir string) (string, error) {
	d, err := storeDigest(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(filepath.Join(dir, "s.db"))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%d", d, fi.Size()), nil
}

// TestCompactKeepsConcurrentWrites: writes of the same DB during an
// in-place Compact are neither lost with the replaced file nor refused:
// they wait for it and land in the new file. Reads go on meanwhile.
func TestCompactKeepsConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fourDatasets(t, db)
	var (
		wg      sync.WaitGroup
		werr    error
		readErr error
	)
	testHookCompactBeforeRename = func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			werr = db.Update(func(tx *Tx) error { return tx.PutBlob("note", "during-compact", []byte("kept")) })
		}()
		readErr = db.View(func(tx *Tx) error { _, err := tx.Datasets(); return err })
		time.Sleep(50 * time.Millisecond) // the write has had time to commit into the old file, were it let in
	}
	defer func() { testHookCompactBeforeRename = nil }()
	if _, err := db.Compact(ctx, ""); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if werr != nil || readErr != nil {
		t.Fatalf("write during compact: %v; read: %v", werr, readErr)
	}
	err = db.View(func(tx *Tx) error {
		b, err := tx.Blob("note", "during-compact")
		if err != nil || string(b) != "kept" {
			return fmt.Errorf("blob written during the compaction: %q, %v", b, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCompactSweepsStaleTemporaries: an in-place Compact removes the
// temporary files of writers killed before their rename (a killed Compact
// leaves a copy of the store), and only those: not a recent one, not
// another store's, not a folder, and not with --out.
func TestCompactSweepsStaleTemporaries(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	dir := filepath.Dir(db.Path())
	old := time.Now().Add(-time.Hour)
	mk := func(name string, stale bool) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, 1000), 0o600); err != nil {
			t.Fatal(err)
		}
		if stale {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	killedCompact := mk(".s.db.tmp-123", true)
	killedCreate := mk(".s.db.new-456", true)
	keep := []string{mk(".s.db.tmp-789", false), mk(".other.db.tmp-1", true), mk("s.db.tmp-2", true), mk(".s.db.lock", true)}
	if err := os.Mkdir(filepath.Join(dir, ".s.db.tmp-99"), 0o700); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, filepath.Join(dir, ".s.db.tmp-99"))
	// A store whose name matches but for the digits is kept, and so is a
	// file bbolt holds open, as a live compaction holds its copy.
	other, err := Open(filepath.Join(dir, ".s.db.new-v2"), nil)
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	live, err := bolt.Open(filepath.Join(dir, ".s.db.tmp-42"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	for _, p := range []string{other.Path(), live.Path()} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		keep = append(keep, p)
	}

	res, err := db.Compact(ctx, filepath.Join(t.TempDir(), "copy.db"))
	if err != nil || len(res.Swept) != 0 {
		t.Fatalf("Compact --out: %v, swept %v", err, res.Swept)
	}
	res, err = db.Compact(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(res.Swept)
	if want := []string{killedCreate, killedCompact}; !slices.Equal(res.Swept, want) || res.SweptBytes != 2000 {
		t.Fatalf("swept %v (%d bytes), want %v (2000)", res.Swept, res.SweptBytes, want)
	}
	for _, p := range append(keep, db.Path()) {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range res.Swept {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", p, err)
		}
	}
}
