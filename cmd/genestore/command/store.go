package command

import (
	"encoding/json"
	"io"

	"genestore/internal/buildinfo"
	"genestore/store"
)

// openStore opens the store named by --store. Read-only verbs pass
// readOnly=true: they never take the exclusive lock.
func openStore(g *globalOptions, readOnly bool) (*store.DB, error) {
	return store.Open(g.store, storeOptions(g, readOnly))
}

// storeOptions are the options every verb opens a store with: the defaults,
// with this binary's version recorded as the store's writer, --lock-timeout
// as the wait for the file lock, and the verb ("genestore train cells") as
// the name other processes see when this one holds the lock. A nil g keeps
// the defaults.
func storeOptions(g *globalOptions, readOnly bool) *store.Options {
	opts := store.DefaultOptions()
	opts.ReadOnly = readOnly
	opts.Version = buildinfo.Version
	if g != nil {
		if g.lockTimeout > 0 {
			opts.Timeout = g.lockTimeout
		}
		opts.Owner = g.verb
	}
	return opts
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
