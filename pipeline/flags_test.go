package pipeline

import "flag"

var long = flag.Bool("long", false, "run long tests (100 crash trials)")

func crashTrials() int {
	if *long {
		return 100
	}
	return 10
}
