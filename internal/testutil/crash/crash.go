package crash

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Environment variables that switch a test binary into child mode.
const (
	envDir  = "GENESTORE_CRASH_DIR"
	envTest = "GENESTORE_CRASH_TEST"
)

const readyLine = "genestore-crash: ready"

// calibrationRuns is how many uninterrupted runs measure the operation.
const calibrationRuns = 2

// Config describes one crash experiment.
type Config struct {
	// Trials is the number of kills (default 10).
	Trials int
	// Seed makes the kill moments reproducible.
	Seed uint64
	// Prepare builds the starting state in an empty dir (parent, once).
	Prepare func(dir string) error
	// Digest returns a canonical summary of the state in dir; it is called
	// after each kill and must reopen and verify whatever it reads.
	Digest func(dir string) (string, error)
	// ChildTimeout bounds one child run (default 2 minutes).
	ChildTimeout time.Duration
}

// Report says what the trials found.
type Report struct {
	// Child is true in the child process: the caller returns at once.
	Child bool
	// Trials run; Before and After count the states found after a kill;
	// Finished counts children that completed before the kill landed.
	Trials, Before, After, Finished int
	// OpTime is how long the operation took in the calibration run.
	OpTime time.Duration
}

// TB is the part of *testing.T that Run uses (an interface so the harness
// itself can be tested with a recorder).
type TB interface {
	Helper()
	Name() string
	TempDir() string
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Fatal(args ...any)
}

// IsChild reports whether this process is a crash child of test name.
func IsChild(name string) bool { return os.Getenv(envDir) != "" && os.Getenv(envTest) == name }

// Run runs the experiment (parent) or the operation (child); see the
// package documentation. Failures are reported through t.
//
// op runs in the child: it prepares what it needs (data, handles), calls
// ready() when the part under test starts, and then does it. Kills land
// after ready().
func Run(t TB, cfg Config, op func(dir string, ready func()) error) Report {
	t.Helper()
	if IsChild(t.Name()) {
		dir := os.Getenv(envDir)
		signalled := false
		ready := func() {
			if !signalled {
				signalled = true
				fmt.Fprintln(os.Stdout, readyLine)
			}
		}
		if err := op(dir, ready); err != nil {
			t.Fatalf("crash child: %v", err)
		}
		if !signalled {
			t.Fatalf("crash child: the operation never called ready()")
		}
		return Report{Child: true}
	}
	if cfg.Trials <= 0 {
		cfg.Trials = 10
	}
	if cfg.ChildTimeout <= 0 {
		cfg.ChildTimeout = 2 * time.Minute
	}
	root := t.TempDir()
	base := filepath.Join(root, "base")
	if err := os.Mkdir(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Prepare(base); err != nil {
		t.Fatalf("crash: prepare: %v", err)
	}
	before, err := cfg.Digest(base)
	if err != nil {
		t.Fatalf("crash: digest of the starting state: %v", err)
	}
	// Calibration: full runs; the shortest gives the kill window, and all
	// must end in the same state (the operation must be deterministic).
	var (
		opTime time.Duration
		after  string
	)
	for i := 0; i < calibrationRuns; i++ {
		cal := filepath.Join(root, fmt.Sprintf("calibrate%d", i))
		copyDir(t, base, cal)
		d, finished, out := runChild(t, cal, cfg.ChildTimeout, -1)
		if !finished {
			t.Fatalf("crash: calibration child failed:\n%s", out)
		}
		got, err := cfg.Digest(cal)
		if err != nil {
			t.Fatalf("crash: digest after a full run: %v", err)
		}
		if i > 0 && got != after {
			t.Fatalf("crash: two full runs of the operation ended in different states: it is not deterministic")
		}
		after = got
		if i == 0 || d < opTime {
			opTime = d
		}
		os.RemoveAll(cal)
	}
	if after == before {
		t.Fatalf("crash: the operation does not change the state; nothing to test")
	}
	rep := Report{Trials: cfg.Trials, OpTime: opTime}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	window := opTime + opTime/10
	tail := opTime - opTime/4 // odd trials: the last quarter and a little past the end
	for i := 0; i < cfg.Trials; i++ {
		dir := filepath.Join(root, fmt.Sprintf("trial%03d", i))
		copyDir(t, base, dir)
		at := time.Duration(r.Int64N(int64(window) + 1))
		if i%2 == 1 {
			at = tail + time.Duration(r.Int64N(int64(window-tail)+1))
		}
		_, done, out := runChild(t, dir, cfg.ChildTimeout, at)
		if done {
			rep.Finished++
		}
		got, err := cfg.Digest(dir)
		switch {
		case err != nil:
			t.Errorf("crash: trial %d (kill at %v of %v): store does not reopen: %v\nchild output:\n%s", i, at, opTime, err, out)
			continue
		case got == before:
			rep.Before++
		case got == after:
			rep.After++
		default:
			t.Errorf("crash: trial %d (kill at %v of %v): state is neither before nor after (kept in %s)", i, at, opTime, dir)
			continue
		}
		os.RemoveAll(dir)
	}
	return rep
}

// runChild runs the operation in a child on dir. With killAfter ≥ 0 the
// child gets SIGKILL that long after it signals ready. It returns the time
// from ready to exit, whether the child completed successfully, and its
// output.
func runChild(t TB, dir string, timeout, killAfter time.Duration) (time.Duration, bool, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+runPattern(t.Name()), "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), envDir+"="+dir, envTest+"="+t.Name())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var outBuf strings.Builder
	ready := make(chan time.Time, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			outBuf.WriteString(sc.Text() + "\n")
			if sc.Text() == readyLine {
				ready <- time.Now()
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	exited := make(chan error, 1)
	var start time.Time
	select {
	case start = <-ready:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-copied
		_ = cmd.Wait()
		t.Fatalf("crash: child never became ready:\n%s%s", outBuf.String(), errBuf.String())
	}
	go func() { <-copied; exited <- cmd.Wait() }()
	var kill <-chan time.Time
	if killAfter >= 0 {
		timer := time.NewTimer(time.Until(start.Add(killAfter)))
		defer timer.Stop()
		kill = timer.C
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case err := <-exited:
			return time.Since(start), err == nil, outBuf.String() + errBuf.String()
		case <-kill:
			_ = cmd.Process.Kill() // SIGKILL
			kill = nil
		case <-deadline.C:
			_ = cmd.Process.Kill()
			err := <-exited
			t.Fatalf("crash: child ran past %v (%v):\n%s%s", timeout, err, outBuf.String(), errBuf.String())
		}
	}
}

// runPattern turns a test name (with subtests) into an exact -test.run
// pattern.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// copyDir copies the regular files of src into a new dir dst.
func copyDir(t TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
