package command

import (
	"strings"
	"testing"
)

// TestNeighborsSpaceGoesWithCell: --space picks the cell space of a
// --cell query; with --gene (neighbours, or --cells) it would be silently
// ignored, answering from another space than the one asked for, and
// --spatial reports the cell model's cosine whatever --space says.
func TestNeighborsSpaceGoesWithCell(t *testing.T) {
	db, _ := simStore(t)
	for _, args := range [][]string{
		{"neighbors", "--gene", "g00002", "--space", "cells-from-genes"},
		{"neighbors", "--gene", "g00002", "--cells", "--space", "cells-from-genes"},
		{"neighbors", "--cell", "c0", "--dataset", "d0", "--spatial", "--space", "cells-from-genes"},
	} {
		_, err := run(t, append([]string{"--store", db}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "--space") {
			t.Errorf("genestore %s: %v, want --space refused", strings.Join(args, " "), err)
		}
	}
}
