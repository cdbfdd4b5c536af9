package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// holdWrite runs an Update on db that holds the exclusive lock until the
// returned function is called.
func holdWrite(t *testing.T, db *DB) (release func()) {
	t.Helper()
	held, done := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- db.Update(func(tx *Tx) error { close(held); <-done; return nil })
	}()
	select {
	case <-held:
	case err := <-errc:
		t.Fatalf("Update: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(done)
			if err := <-errc; err != nil {
				t.Errorf("held Update: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// TestLocked: while one DB writes, another DB on the same file (as another
// process would) waits its Timeout and fails with ErrLocked naming the path
// and the writer, for reads and writes alike.
func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	w, err := Open(path, &Options{Owner: "genestore train cells"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Opening does not keep the file: a second writer opens it.
	o, err := Open(path, &Options{Timeout: 200 * time.Millisecond, Owner: "genestore datasets"})
	if err != nil {
		t.Fatalf("second Open while the first DB is idle: %v", err)
	}
	defer o.Close()
	release := holdWrite(t, w)
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"view", func() error { _, err := o.Datasets(); return err }},
		{"update", func() error { return o.PutBlob("k", "n", []byte("x")) }},
		{"open", func() error {
			db, err := Open(path, &Options{Timeout: 100 * time.Millisecond, ReadOnly: true})
			if err == nil {
				db.Close()
			}
			return err
		}},
	} {
		start := time.Now()
		err := tc.run()
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) ||
			!strings.Contains(err.Error(), `locked by "genestore train cells" (pid `) {
			t.Fatalf("%s: err = %v, want ErrLocked naming the path and the writer", tc.name, err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("%s: took %v with a 200ms timeout", tc.name, el)
		}
	}
	release()
	if _, err := o.Datasets(); err != nil {
		t.Fatalf("read after the writer committed: %v", err)
	}
	if ReadLockOwner(path) != nil {
		t.Errorf("lock-owner record left after the writer let go: %+v", ReadLockOwner(path))
	}
}

// TestTwoDBsShareFile: two DBs on one file (two processes, in effect) take
// turns writing and each sees the other's commits at its next transaction;
// neither holds the file between transactions.
func TestTwoDBsShareFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	a, err := Open(path, &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path, &Options{Clock: fixedClock, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	for i, db := range []*DB{a, b, a, b} {
		name := string(rune('p' + i))
		if _, err := db.AddDataset(ctx, name, randomDataset(uint64(i), name, 50, 40, 5, true), AddOptions{}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		for _, r := range []*DB{a, b} {
			ds, err := r.Datasets()
			if err != nil || len(ds) != i+1 {
				t.Fatalf("after write %d: %d datasets, %v", i, len(ds), err)
			}
		}
	}
}

// TestWriterNotStarved: readers of one DB that never pause (a busy server)
// do not keep a writer of another DB out: it waits for their transactions in
// flight, not for a gap between them.
func TestWriterNotStarved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	r, err := Open(path, &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := Open(path, &Options{Clock: fixedClock, Timeout: 3 * time.Second, Owner: "writer"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var stop atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				err := r.View(func(tx *Tx) error { time.Sleep(time.Millisecond); _, err := tx.Datasets(); return err })
				if err != nil && !errors.Is(err, ErrLocked) {
					t.Error(err)
					return
				}
				reads.Add(1)
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	time.Sleep(50 * time.Millisecond)
	for i := range 3 {
		start := time.Now()
		if err := w.PutBlob("k", "n", []byte{byte(i)}); err != nil {
			t.Fatalf("write %d under constant reads: %v", i, err)
		}
		t.Logf("write %d got the lock in %v (%d reads so far)", i, time.Since(start).Round(time.Millisecond), reads.Load())
	}
	before := reads.Load()
	time.Sleep(50 * time.Millisecond)
	if reads.Load() == before {
		t.Error("readers stopped after the writes")
	}
}

// TestLockedWaitersShareTimeout: transactions of one DB that queue behind
// another process's long write give up together after one timeout, not one
// timeout each in turn.
func TestLockedWaitersShareTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	w, err := Open(path, &Options{Owner: "writer"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := Open(path, &Options{Timeout: 300 * time.Millisecond, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer holdWrite(t, w)() // released before the Closes above
	start := time.Now()
	var wg sync.WaitGroup
	var locked atomic.Int64
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Datasets(); errors.Is(err, ErrLocked) {
				locked.Add(1)
			}
		}()
	}
	wg.Wait()
	if el := time.Since(start); locked.Load() != 6 || el > time.Second {
		t.Fatalf("%d of 6 readers got ErrLocked, after %v (timeout 300ms)", locked.Load(), el)
	}
}
