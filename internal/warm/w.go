package warm

import (
	_ "github.com/coder/hnsw"
	_ "github.com/klauspost/compress/gzip"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/scigolib/hdf5"
	_ "github.com/spf13/cobra"
	_ "go.etcd.io/bbolt"
	_ "go4.org/unsafe/assume-no-moving-gc"
	_ "golang.org/x/term"
	_ "gonum.org/v1/gonum/mat"
	_ "gonum.org/v1/gonum/stat/distuv"
	_ "gorgonia.org/gorgonia"
	_ "gorgonia.org/tensor"
)
