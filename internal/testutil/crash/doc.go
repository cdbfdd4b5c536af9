// Package crash is a test harness that kills a process at random moments of
// a write and checks what survives.
//
// # Basics
//
// A test calls [Run] with a Config and an operation. In the parent (the
// normal `go test` process) Run prepares a starting state in a directory,
// runs the operation to completion in a child process (twice) to learn its
// duration and the "after" state, then for each trial copies the starting
// state, starts the child again, sends it SIGKILL at a random moment of the
// operation's run, and checks that the directory's digest equals exactly
// the state before or the state after. The child is the test binary itself,
// re-run on the same test (-test.run) with environment variables that tell
// Run, in the child, to execute the operation and return.
//
//	func TestCrashIngest(t *testing.T) {
//		rep := crash.Run(t, crash.Config{Trials: 10, Prepare: prep, Digest: digest},
//			func(dir string, ready func()) error {
//				ds := makeData() // not under test
//				ready()          // kills land after this
//				return ingestInto(dir, ds)
//			})
//		if rep.Child {
//			return
//		}
//		t.Logf("%+v", rep)
//	}
//
// Everything the operation needs (data, seeds, clocks) must be derived
// deterministically inside the operation, so that the child's "after" state
// is the same on every run.
//
// # Caveats
//
// SIGKILL stops the process, not the machine: data in the page cache
// survives, so this tests the store's ordering of writes and its commit
// protocol, not the disk's honouring of fsync.
//
// Kill moments: even trials are uniform from the "ready" signal to 10% past
// the calibrated duration; odd trials are uniform over its last quarter and that
// 10% past the end, where operations that compute first and commit once
// (training, append) write. Moments are wall time: on a busy machine a
// trial may still land before or after the interesting part, and the Report
// says how many ended in each state. Unix only.
package crash
