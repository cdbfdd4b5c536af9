package grn

import (
	"flag"
	"math/rand/v2"
	"runtime"
)

var long = flag.Bool("long", false, "run long tests")

func runtimeGOMAXPROCS() int { return runtime.GOMAXPROCS(0) }

func newSplitRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }
