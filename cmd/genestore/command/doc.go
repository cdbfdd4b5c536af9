// Package command holds genestore's command-line verbs, one file per verb
// (command_<verb>.go, each with an options struct and a newXCommand
// constructor), assembled by NewRootCommand. There is no package state: tests
// build a fresh root per run and drive it with SetArgs, SetOut and SetErr.
//
// The verbs are thin: they parse flags, open the store (read-only when they
// only read), and call the library packages — store/ingest and store for
// ingest and datasets, pipeline for train, eval and append, query
// for the queries, cmd/genestore/server for serve. Long work shows a progress
// bar on stderr only when stderr is a terminal. Every --json output is a
// stable, documented object whose fields are only ever added.
package command
