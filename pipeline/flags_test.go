package pipeline

import "flag"

var long = flag.Bool("long", false, "run long tests (100 crash trials)")

func crashTrials() int {
	if *long {
		return 100
	}
	return 10
}

// fewCrashTrials is the kill count of the crash tests added for operations
// that run in well under a second: a few kills by default, as many as
// crashTrials under -long.
func fewCrashTrials() int {
	if *long {
		return crashTrials()
	}
	return 4
}
