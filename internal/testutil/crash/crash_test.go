package crash

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAtomicRename kills a child that replaces a file by write-to-temp +
// rename: every trial must find the old or the new content.
func TestAtomicRename(t *testing.T) {
	const n = 4 << 20
	rep := Run(t, Config{
		Trials: 5,
		Seed:   1,
		Prepare: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "f"), []byte("before"), 0o644)
		},
		Digest: func(dir string) (string, error) {
			b, err := os.ReadFile(filepath.Join(dir, "f"))
			if len(b) > 16 {
				b = b[:16]
			}
			return string(b), err
		},
	}, func(dir string, ready func()) error {
		ready()
		tmp := filepath.Join(dir, "f.tmp")
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		for i := 0; i < 8; i++ {
			if _, err := f.Write([]byte(strings.Repeat("a", n/8))); err != nil {
				return err
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := f.Sync(); err != nil {
			return err
		}
		f.Close()
		return os.Rename(tmp, filepath.Join(dir, "f"))
	})
	if rep.Child {
		return
	}
	if rep.Before+rep.After != rep.Trials {
		t.Fatalf("report %+v", rep)
	}
	t.Logf("%+v", rep)
}

func TestRunPattern(t *testing.T) {
	if got := runPattern("TestA/sub.1"); got != `^TestA$/^sub\.1$` {
		t.Errorf("runPattern = %q", got)
	}
}

// recorder keeps Errorf calls instead of failing the test.
type recorder struct {
	*testing.T
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) { r.errs = append(r.errs, format) }

// TestDetectsTornWrite checks the harness itself: an operation with a
// visible intermediate state must be reported.
func TestDetectsTornWrite(t *testing.T) {
	rec := &recorder{T: t}
	write := func(dir, s string) error { return os.WriteFile(filepath.Join(dir, "f"), []byte(s), 0o644) }
	rep := Run(rec, Config{
		Trials:  5,
		Seed:    3,
		Prepare: func(dir string) error { return write(dir, "before") },
		Digest: func(dir string) (string, error) {
			b, err := os.ReadFile(filepath.Join(dir, "f"))
			return string(b), err
		},
	}, func(dir string, ready func()) error {
		ready()
		if err := write(dir, "half"); err != nil {
			return err
		}
		time.Sleep(150 * time.Millisecond)
		return write(dir, "after")
	})
	if rep.Child {
		return
	}
	if len(rec.errs) == 0 {
		t.Fatalf("no torn state reported in %+v", rep)
	}
}
