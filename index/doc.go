// Package index is an approximate nearest-neighbour index over float32
// vectors: a hierarchical navigable small world graph (HNSW; Malkov and
// Yashunin, 2018) laid out in flat arrays.
//
// # Basics
//
// New(dim, Options) makes an empty index; Add or AddBatch insert vectors
// under the caller's uint64 keys; Search(ctx, q, k, SearchOptions) returns
// the k nearest live vectors, closest first, with distances. Distances are
// 1 − similarity: 1 − cos(a, b) under Cosine (the default: vectors are
// normalised on the way in), 1 − a·b under InnerProduct.
//
//	ix, _ := index.New(64, index.DefaultOptions())
//	_ = ix.Add(key, vec)
//	res, _ := ix.Search(ctx, q, 10, index.SearchOptions{Ef: 64})
//
// # Model
//
// Each vector becomes a node with a uint32 internal id (insertion order);
// keys map to ids. Node vectors are stored back to back in one []float32;
// layer-0 links in one []uint32 with 2M slots per node, upper-layer links in
// another with M slots per node and layer. A node's top layer is drawn as
// floor(−ln U / ln M) from a PCG seeded with Options.Seed, so the same
// inserts in the same order with the same seed give the same graph and the
// same snapshot bytes. Inserting searches each
// layer with a beam of EfConstruction and keeps M neighbours chosen by the
// paper's heuristic (a candidate is dropped when it is closer to an already
// kept neighbour than to the new node); a neighbour whose list is full
// re-selects with the same heuristic. Searching runs a beam of width
// max(Ef, k) on layer 0, from entry points found by a beam of
// Options.UpperBeam (default 2) on each layer above, each layer's results
// seeding the next (faiss's upper_beam). The paper's greedy descent
// (UpperBeam 1, what inserts still use, as in hnswlib) stops in a wrong
// cluster of clustered data often enough that the query misses all of its
// neighbours however good layer 0 is: 29 of 1,000 queries at ef 80 on
// gen_vectors.py's 1M × 64 mixture, 12 with a beam of 2 and 4 with a beam
// of 4; recall 0.95 then takes ef 50 instead of 70 (see DefaultUpperBeam).
//
// Search is exact (a scan) when asked (SearchOptions.Exact), when the index
// holds fewer than Options.ExactBelow live vectors (default 2,000), and when
// a filter looks selective enough that a scan is cheaper. A filtered graph
// search keeps exploring until it has Ef admitted results; if the region it
// could reach held fewer than k, it scans exactly instead: it never returns
// fewer than k results while k admitted live vectors exist.
//
// Neighbors and NeighborsBatch expose a node's layer-0 list (graph.go): a
// kNN graph over the whole index starts from them (query/cluster's
// RefineKNN) instead of searching once per node.
//
// Options.Quantize = Int8 stores one byte per element instead of four:
// element j of a vector is lo_j + scale_j·c with c in [0, 255], lo_j and
// scale_j the per-dimension minimum and (max − min)/255 of the first batch
// inserted. The index then holds no float vector at all: the graph is built
// and searched with asymmetric distances (float query against the codes),
// and Search re-ranks its beam of max(Ef, k) candidates (or the best
// SearchOptions.Rerank of them by code distance) with exact float
// distances when SearchOptions.Floats (a VectorSource, such as the store
// the vectors came from) supplies them. A source that also lends its
// vectors in place (VectorViews) has all of them prefetched before the
// first distance is computed. Candidates that cannot be among the k nearest
// are not read: a node's values lie within half a step of its codes (the
// nodes clamped outside the ranges are marked and always read), so its
// code distance is within b = Σ|q_j|·scale_j/2 (plus the query weights'
// rounding) of its float distance, and a candidate whose code distance
// exceeds the k-th smallest by more than 2b is farther than k others. The
// results are those of re-ranking the whole beam. The bound is a worst
// case: on the benchmarks' 64-dimensional cosine mixture it prunes nothing
// at Ef 64 and a third of the reads at Ef 160; under InnerProduct, 57% and
// 83% (go test ./index -run TestInt8PruneKeepsResults -v shows the test
// set's figures).
//
// PackLinks (packed.go) rewrites the layer-0 links of a built index as one
// bit stream: per node its count, then its neighbours' ids in
// bits.Len(n−1) bits each (17 at 100k nodes, 20 at 1M), found through a
// 2-byte offset from its block's base; the key map goes too (keys are
// found by binary search), and so do the keys themselves when they are a
// few runs of consecutive integers, as a store's entity keys are (one run
// per dataset), and the per-node upper-layer offsets and levels, which only
// the nodes above layer 0 keep (upperIndex). On the 100k × 64 benchmark set
// at M 16 that is 40 bytes of links per node instead of 132, and an int8
// index resident at 0.25× of the float32 one instead of 0.55× (109 bytes a
// node: 64 of codes, 45 of graph; a float32 index packed the same way
// keeps 301, so int8 is 0.36× of that). Searches decode a list while
// marking its unvisited ids and prefetch the lists of the candidates they
// push, as they do the unpacked rows. Gap codes of sorted lists (Rice) took 15 bits an id but
// decode serially, and cost a fifth of the query speed where fixed widths
// cost under a tenth.
//
// Delete marks a node as a tombstone: it is never returned but still routes
// searches, and the live neighbours that linked to it re-select their links
// among its neighbours (repair). A deleted key can be added again (it gets a
// new node). Compact rebuilds the graph without tombstones.
//
// WriteTo and Read move the whole index through a versioned little-endian
// snapshot with a CRC-32C trailer (layout in snapshot.go). SetGeneration
// stamps it with the caller's version of the vectors so that a loader can
// tell a stale snapshot.
//
// # Distance kernels
//
// Both metrics rank by an inner product. On amd64 the kernels are Go
// assembly (distance_amd64.s): AVX-512 (F for float32, BW for int8) where
// the CPU and OS support it, else AVX2 with FMA, chosen once at start-up
// with golang.org/x/sys/cpu; Kernel reports the choice and the environment
// variable GENESTORE_INDEX_KERNEL=avx2 or =portable caps it (read at
// start-up, for measuring). The int8 kernel multiplies int16 query weights
// by the zero-extended codes (VPMADDWD) into int32 lanes widened to int64
// every 1,024 elements, so its sum is exact, bit for bit the portable
// kernel's. Where the dimension is a multiple of 32 up to 256 no lane can
// overflow (256 × 255 × 32768 < 2³¹), and a shorter kernel sums and
// reduces a row in int32 lanes: at 64 dimensions 2.6 ns a row instead of
// 3.5 with the rows in cache, 3.3 instead of 4.1 at random in a 100k array
// (1.33× and 1.30×, medians of 3 runs of go test ./index -bench
// U8BatchKernels; float32 4.3 and 9.4, -bench BatchKernels). Search
// computes the distances to a node's unvisited neighbours in one call,
// which prefetches every cache line of their vectors first (hnswlib's
// _mm_prefetch). Other architectures, and builds
// with -tags purego, use unrolled portable Go kernels; no build needs cgo.
// Dot and SquaredL2 export the float32 kernels.
//
// # Concurrency
//
// Search, Get, Keys, Len and WriteTo take a read lock and run concurrently;
// Add, Delete and Compact take the write lock, one at a time. Search
// scratch space (the visited set is a generation-stamped []uint16, not a
// map) comes from a sync.Pool.
//
// With Options.Threads > 1, AddBatch links chunks of Threads×1024 rows with
// that many goroutines (hnswlib's scheme: a lock per link list, taken for
// every read and write of it while the chunk is linked, and a lock on the
// entry point). It holds the write lock per chunk, so searches wait up to
// one chunk's time.
//
// # Caveats
//
//   - IMPORTANT: filters run under the read lock: a filter must not call
//     back into the index (Add or Delete would deadlock).
//   - Tombstones keep their memory and still cost search time; Compact
//     after heavy deletion (it holds the write lock for a full rebuild).
//   - InnerProduct graphs assume vectors of similar norm; the distance may
//     be negative.
//   - Int8 ranges are fitted once, on the first AddBatch (or the first Add:
//     then the box around that one vector); later vectors outside them are
//     clamped. Without SearchOptions.Floats an Int8 index returns distances
//     to the decoded codes, and its recall is that of the codes (about 0.85
//     at recall 1.0 for float32 on the 5k × 32 test set). Get returns the
//     decoded vector.
//   - Unpacked, Int8's layer-0 links (2M+1 uint32 per node) are most of
//     its index: layer 0 keeps 2M slots per node although nodes use about
//     half of them (17.2 of 32 on average on gen_vectors.py's 100k × 64
//     set at M 16). PackLinks is what brings an int8 index near a quarter
//     of a float32 one; it costs searches 4–8% of their speed at 100k
//     nodes, 9–13% at 1M (genestore bench ann-ab).
//   - A write to a packed index unpacks it (one pass over the graph) and
//     leaves it unpacked; the owner packs again when its writes are done.
//   - A parallel build is not reproducible: levels still come from Seed, but
//     links depend on scheduling. Threads ≤ 1 gives the same bytes every time.
//   - The float32 distances differ between kernels in the last bits (the
//     sums are added in different orders; see distance_test.go for the
//     bound), so a graph built on a machine with another kernel can differ,
//     and the same-bytes promise above holds per kernel. Int8 sums are
//     exact integers on every kernel.
package index
