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
	opts := store.DefaultOptions()
	opts.ReadOnly = readOnly
	opts.Version = buildinfo.Version
	return store.Open(g.store, opts)
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
