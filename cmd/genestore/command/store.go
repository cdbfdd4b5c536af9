package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"genestore"
	"genestore/internal/buildinfo"
	"genestore/store"
)

// openStore opens the store named by --store. Read-only verbs pass
// readOnly=true: they never take the exclusive lock.
func openStore(g *globalOptions, readOnly bool) (*store.DB, error) {
	return store.Open(g.store, storeOptions(g, readOnly))
}

// openDB opens the store named by --store through the Go API (package
// genestore), with the same options as openStore; progress lines go to log.
func openDB(g *globalOptions, readOnly bool, log io.Writer) (*genestore.DB, error) {
	so := storeOptions(g, readOnly)
	return genestore.Open(g.store, &genestore.Options{ReadOnly: so.ReadOnly, LockTimeout: so.Timeout,
		Owner: so.Owner, Version: so.Version, Log: log})
}

// apiVerb is the body of a verb that makes one call of the Go API: it opens
// the store (read-only when readOnly), calls call, and prints the result as
// JSON when asJSON, else with text.
func apiVerb[T any](cmd *cobra.Command, g *globalOptions, readOnly, asJSON bool,
	call func(context.Context, *genestore.DB) (T, error), text func(io.Writer, T) error) error {
	db, err := openDB(g, readOnly, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := call(cmd.Context(), db)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	return text(cmd.OutOrStdout(), res)
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

// refuseExisting is the error for an output file path that exists when
// force is not given (and for a path that cannot be checked); nil
// otherwise. verb names the command in the error.
func refuseExisting(verb, path string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s: %s exists (pass --force to replace it)", verb, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
