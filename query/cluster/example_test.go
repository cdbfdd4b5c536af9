package cluster_test

import (
	"context"
	"fmt"

	"genestore/query/cluster"
)

// Two tight groups of points on a line: the kNN graph splits them.
func ExampleCluster() {
	vecs := []float32{0, 0.1, 0.2, 0.3, 10, 10.1, 10.2, 10.3}
	g, err := cluster.KNNGraph(context.Background(), vecs, 8, 1, 3, cluster.Euclidean, cluster.GraphOptions{Weighting: cluster.Binary})
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := cluster.DefaultOptions()
	opts.Seed = 1
	res, err := cluster.Cluster(context.Background(), g, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Communities, res.Labels)
	// Output: 2 [0 0 0 0 1 1 1 1]
}

// Neighbour lists from an index become a graph with FromNeighbors.
func ExampleFromNeighbors() {
	ids := [][]uint32{{1, 2}, {0, 2}, {0, 1}, {2}}
	g, err := cluster.FromNeighbors(ids, nil, cluster.GraphOptions{Weighting: cluster.SNN, Prune: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	idx, w := g.Row(3)
	fmt.Println(idx, w)
	// Output: [0 1 2] [0.25 0.25 0.25]
}
