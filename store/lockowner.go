package store

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockOwner is what a writer records in the sidecar file PATH.lock-owner
// while it waits for, and then holds, the store's exclusive lock: readers
// step aside when they see a live writer waiting, and a process that gives
// up waiting names the holder in its ErrLocked.
//
// The file is JSON, version 1:
//
//	{"v":1,"pid":1234,"id":"1234-9f86d081","verb":"genestore train cells","state":"writing","since":"2026-12-04T18:02:11Z"}
//
// id tells apart two DBs of one process on the same file.
//
// It is written atomically (temporary file and rename), removed when the
// writer lets go of the lock, and ignored when its pid is not alive (a
// writer that was killed). Best effort: a directory that cannot be written
// leaves no record, and locking still works.
type LockOwner struct {
	V     int       `json:"v"`
	PID   int       `json:"pid"`
	ID    string    `json:"id"`
	Verb  string    `json:"verb"`
	State string    `json:"state"` // "waiting" or "writing"
	Since time.Time `json:"since"`
}

// LockOwnerPath is the sidecar file recording the writer of the store at
// path.
func LockOwnerPath(path string) string { return path + ".lock-owner" }

// ReadLockOwner returns the live writer recorded for the store at path, or
// nil when none is recorded or the recorded process is gone.
func ReadLockOwner(path string) *LockOwner {
	b, err := os.ReadFile(LockOwnerPath(path))
	if err != nil {
		return nil
	}
	var o LockOwner
	if json.Unmarshal(b, &o) != nil || o.PID <= 0 || !pidAlive(o.PID) {
		return nil
	}
	return &o
}

// describe says who holds or waits for the lock, for an error message.
func (o *LockOwner) describe() string {
	verb := o.Verb
	if verb == "" {
		verb = "a genestore writer"
	}
	since := o.Since.Local().Format("15:04:05")
	if o.State == "waiting" {
		return fmt.Sprintf("busy: %q (pid %d) has been waiting to write since %s", verb, o.PID, since)
	}
	return fmt.Sprintf("locked by %q (pid %d, since %s)", verb, o.PID, since)
}

// writeLockOwner records DB id of this process as the writer of path, in
// state.
func writeLockOwner(path, id, verb, state string, since time.Time) {
	b, _ := json.Marshal(LockOwner{V: 1, PID: os.Getpid(), ID: id, Verb: verb, State: state, Since: since.UTC().Truncate(time.Second)})
	dst := LockOwnerPath(path)
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), dst) != nil {
		os.Remove(f.Name())
	}
}

// removeLockOwner removes path's record if DB id wrote it.
func removeLockOwner(path, id string) {
	b, err := os.ReadFile(LockOwnerPath(path))
	if err != nil {
		return
	}
	var o LockOwner
	if json.Unmarshal(b, &o) == nil && o.ID == id {
		os.Remove(LockOwnerPath(path))
	}
}

// newOwnerID returns an id for one DB: the pid and a random suffix.
func newOwnerID() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%d-%x", os.Getpid(), b)
}

// ownerName is the default Options.Owner: the program's name and
// arguments, shortened.
func ownerName() string {
	s := filepath.Base(os.Args[0])
	if len(os.Args) > 1 {
		s += " " + strings.Join(os.Args[1:], " ")
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
