// Package annbench measures an approximate nearest-neighbour index on a
// dataset folder written by shared/bench/gen_vectors.py (base.fvecs,
// query.fvecs, gt.ivecs in the TEXMEX layout) and writes one JSON line per
// (M, ef) with the fields of shared/bench/peer_ann.py, so that genestore's
// index and the peers (hnswlib, faiss) can be set side by side.
//
// Run builds the index single-threaded (normalisation included in the build
// time, as for the peers), saves it to a file in a temporary folder, drops
// it, loads it back (save_s, load_s; the file is warm in the page cache) and
// times all queries, one Search call per query on one goroutine
// (query_mode "per-query"), best of Options.Runs, per ef. CPU seconds come
// from getrusage (all threads of the process, so the Go garbage collector's
// work counts); busy_others is computed from /proc/stat as peer_ann.py does.
//
// Two systems can be measured: "genestore" (package index) and
// "coder-hnsw" (github.com/coder/hnsw v0.6.1, the library the project
// rejected; its Add uses EfSearch as the build beam, so EfSearch is set to
// ef-construction while building and to ef while querying).
//
// Caveats: the machine is usually shared; prefer qps_cpu and
// build_cpu_s, and look at busy_others before trusting a wall-clock figure.
package annbench
