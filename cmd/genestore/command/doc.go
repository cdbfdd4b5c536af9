// Package command holds genestore's command-line verbs, one file per verb
// (command_<verb>.go, each with an options struct and a newXCommand
// constructor), assembled by NewRootCommand. There is no package state: tests
// build a fresh root per run and drive it with SetArgs, SetOut and SetErr.
//
// The verbs are thin: each parses its flags into its options struct, opens
// the store (read-only when it only reads; openStore in store.go, or
// openEngine in engine.go for a query engine over it), makes one library
// call and prints the result. No verb opens a transaction itself. The
// library calls: store/ingest and store for ingest and datasets; pipeline
// for train, eval, append and annotation loading; export for export (the
// h5ad writer is store/h5ad); query for the queries; cmd/genestore/server for
// serve. Long work shows a progress bar on stderr only when stderr is a
// terminal. Every --json output is a stable, documented object whose fields
// are only ever added.
package command
