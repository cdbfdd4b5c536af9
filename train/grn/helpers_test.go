package grn

import (
	"flag"
	"runtime"
)

var long = flag.Bool("long", false, "run long tests")

func runtimeGOMAXPROCS() int { return runtime.GOMAXPROCS(0) }
