//go:build linux

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const envDiskFull = "GENESTORE_TEST_DISKFULL_DIR"

// TestDiskFull ingests into a store in a child process whose file-size
// limit (RLIMIT_FSIZE, SIGXFSZ ignored) leaves only a little room, as a
// full disk would: the ingest must fail with a clear error, and the store
// must reopen holding exactly what it held before, and accept writes again
// once there is room.
func TestDiskFull(t *testing.T) {
	if dir := os.Getenv(envDiskFull); dir != "" {
		diskFullChild(t, dir)
		return
	}
	dir := t.TempDir()
	if err := prepareOneDataset(dir); err != nil {
		t.Fatal(err)
	}
	before, err := storeDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFull$", "-test.count=1")
	cmd.Env = append(os.Environ(), envDiskFull+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "DISKFULL-ERROR: store: ") || !strings.Contains(string(out), "no space left to write") || !strings.Contains(string(out), "nothing was changed") {
		t.Fatalf("child output lacks the expected error:\n%s", out)
	}
	t.Logf("child reported: %s", strings.TrimSpace(strings.SplitN(string(out), "DISKFULL-ERROR: ", 2)[1][:160]))
	after, err := storeDigest(dir)
	if err != nil {
		t.Fatalf("store does not reopen after a failed write: %v", err)
	}
	if after != before {
		t.Fatal("store changed by a write that failed for lack of space")
	}
	db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddDataset(context.Background(), "later", randomDataset(9, "c", 100, 50, 5, true), AddOptions{}); err != nil {
		t.Fatalf("write after space returned: %v", err)
	}
}

func diskFullChild(t *testing.T, dir string) {
	path := filepath.Join(dir, "s.db")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	ds := randomDataset(2, "b", 20000, 2000, 40, true) // ~2.5 MB encoded
	signal.Ignore(syscall.SIGXFSZ)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = uint64(st.Size()) + 256<<10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.AddDataset(context.Background(), "second", ds, AddOptions{})
	if err == nil {
		t.Fatal("ingest succeeded past the file-size limit")
	}
	if !errors.Is(err, ErrNoSpace) || !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("error does not wrap ErrNoSpace and EFBIG: %v", err)
	}
	fmt.Printf("DISKFULL-ERROR: %v\n", err)
}

const envCreateFull = "GENESTORE_TEST_CREATEFULL_DIR"

// TestCreateNoSpace creates a store in a child process whose file-size
// limit (12 KiB, like a nearly full tmpfs) is smaller than a new store:
// Open must fail with ErrNoSpace and leave no file behind — before, a 12 KiB
// file stayed and every later open of it died of SIGBUS.
func TestCreateNoSpace(t *testing.T) {
	if dir := os.Getenv(envCreateFull); dir != "" {
		signal.Ignore(syscall.SIGXFSZ)
		lim := syscall.Rlimit{Cur: 12 << 10, Max: 12 << 10}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			t.Fatal(err)
		}
		_, err := Open(filepath.Join(dir, "new.db"), nil)
		if !errors.Is(err, ErrNoSpace) {
			t.Fatalf("create past the file-size limit: %v", err)
		}
		fmt.Printf("CREATE-ERROR: %v\n", err)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCreateNoSpace$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCreateFull+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CREATE-ERROR: store: no space left to write") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		t.Errorf("left behind: %s", e.Name())
	}
	t.Logf("child reported: %s", strings.TrimSpace(strings.SplitN(string(out), "CREATE-ERROR: ", 2)[1]))
	// With room, the same path makes a store.
	db, err := Open(filepath.Join(dir, "new.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}
