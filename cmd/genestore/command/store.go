package command

import (
	"encoding/json"
	"io"

	"genestore/internal/buildinfo"
	"genestore/store"
)

// openStore opens the store named by --store. Read-only verbs pass
// readOnly=true so that several of them can share the file.
func openStore(g *globalOptions, readOnly bool) (*store.DB, error) {
	return store.Open(g.store, storeOptions(readOnly))
}

// storeOptions are the options every verb opens a store with: the defaults,
// with this binary's version recorded as the store's writer.
func storeOptions(readOnly bool) *store.Options {
	opts := store.DefaultOptions()
	opts.ReadOnly = readOnly
	opts.Version = buildinfo.Version
	return opts
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
