package command

import (
	"io"

	"genestore/query"
	"genestore/query/backend"
	"genestore/store"
)

// openEngine opens the store and a query engine over it. Rebuilt indexes are
// reported on log. The caller closes the returned store.
func openEngine(g *globalOptions, readOnly bool, log io.Writer) (*query.Engine, *backend.Backend, *store.DB, error) {
	db, err := openStore(g, readOnly)
	if err != nil {
		return nil, nil, nil, err
	}
	opts := backend.DefaultOptions()
	opts.Log = log
	b, err := backend.New(db, opts)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	e, err := query.New(b, query.DefaultOptions())
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return e, b, db, nil
}
