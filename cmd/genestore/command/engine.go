package command

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"genestore/query"
	"genestore/query/backend"
	"genestore/store"
	"genestore/weaviate"
)

// openEngine opens the store and a query engine over it. Rebuilt indexes are
// reported on log. The caller closes the returned store.
func openEngine(g *globalOptions, readOnly bool, log io.Writer) (*query.Engine, *backend.Backend, *store.DB, error) {
	return openEngineVia(g, readOnly, log, nil)
}

// openEngineVia is openEngine with searches routed as bf says (nil: the
// embedded index).
func openEngineVia(g *globalOptions, readOnly bool, log io.Writer, bf *backendFlags) (*query.Engine, *backend.Backend, *store.DB, error) {
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
	var qb query.Backend = b
	if bf != nil {
		if qb, err = bf.wrap(b); err != nil {
			db.Close()
			return nil, nil, nil, err
		}
	}
	e, err := query.New(qb, query.DefaultOptions())
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return e, b, db, nil
}

// backendFlags choose where nearest-neighbour searches run: the embedded
// index (default) or a Weaviate cluster filled by "sync weaviate".
type backendFlags struct {
	kind, url, token string
}

func addBackendFlags(cmd *cobra.Command) *backendFlags {
	bf := &backendFlags{}
	f := cmd.Flags()
	f.StringVar(&bf.kind, "backend", "embedded", `where nearest-neighbour searches run: "embedded" or "weaviate" (a cluster filled by "sync weaviate")`)
	f.StringVar(&bf.url, "url", "", "with --backend weaviate: the cluster's REST endpoint")
	f.StringVar(&bf.token, "weaviate-token", os.Getenv(weaviateTokenEnv), "with --backend weaviate: API key (env "+weaviateTokenEnv+")")
	return bf
}

func (bf *backendFlags) wrap(b query.Backend) (query.Backend, error) {
	switch bf.kind {
	case "", "embedded":
		if bf.url != "" {
			return nil, fmt.Errorf("--url needs --backend weaviate")
		}
		return b, nil
	case "weaviate":
		if bf.url == "" {
			return nil, fmt.Errorf("--backend weaviate needs --url")
		}
		c, err := weaviate.NewClient(bf.url, weaviate.ClientOptions{Token: bf.token})
		if err != nil {
			return nil, err
		}
		return weaviate.NewBackend(b, c, nil), nil
	}
	return nil, fmt.Errorf("%w: --backend %q (want embedded or weaviate)", query.ErrInvalid, bf.kind)
}
