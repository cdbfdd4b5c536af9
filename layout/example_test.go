package layout_test

import (
	"fmt"

	"genestore/layout"
)

func ExampleFitAB() {
	a, b, err := layout.FitAB(1, 0.1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("a %.3f b %.3f\n", a, b)
	// Output: a 1.577 b 0.895
}

func ExampleDecode() {
	l := &layout.Layout{Space: "cells", ModelVersion: "vae:1", Keys: []uint64{1 << 32, 1<<32 | 1},
		Coords: []float32{0, 1, 2, 3}, Fitted: 2}
	b, _ := layout.Encode(l)
	back, err := layout.Decode(b)
	fmt.Println(back.Space, len(back.Keys), err)
	_, err = layout.Decode(b[:len(b)-1])
	fmt.Println(err)
	// Output:
	// cells 2 <nil>
	// layout: corrupt record: checksum 6f96e923, recorded 84a52e40
}
