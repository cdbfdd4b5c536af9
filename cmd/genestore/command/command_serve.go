package command

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"genestore/cmd/genestore/server"
	"genestore/store"
	"genestore/vocab"
)

// tokenEnv names the environment variable holding the server's bearer token.
const tokenEnv = "GENESTORE_TOKEN"

type serveOptions struct {
	addr           string
	token          string
	allowWrites    bool
	requestTimeout time.Duration
	backend        *backendFlags
}

func newServeCommand(g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [--token T] [--allow-writes]",
		Short: "Serve the queries as a JSON HTTP API and a browser UI",
		Long: `serve answers the CLI's queries over HTTP as JSON (GET /v1/genes/{symbol}/neighbors,
/v1/cells/{dataset}/{barcode}/neighbors, /v1/genes/{symbol}/coexpr,
/v1/clusters/{space}/..., /v1/datasets, /healthz; the full list with parameters is
served at /v1/openapi.yaml). The answers are those of the matching verbs' --json.

A browser UI is served at / (open http://127.0.0.1:8080/): gene search with
completion, a gene page, the stored cell map (genestore layout --space cells)
coloured by any obs column, cluster or gene, with a lasso that lists the top
genes of the cells drawn round, and dataset pages. Its files are in the
binary and it requests nothing from any other host.

The store is opened read-only and no route writes, unless --allow-writes (which
adds POST /v1/clusters/{space} to compute a clustering). It listens on loopback
by default; on any other address a bearer token is required (--token or env
` + tokenEnv + `), and clients send "Authorization: Bearer <token>". Without a
token it answers only requests addressed to a loopback host (421 otherwise) and
refuses requests another web page makes (a foreign Origin: 403). Requests have
size limits and timeouts. Indexes are loaded before listening; vectors committed
while it runs are picked up on the next query. It stops on SIGINT/SIGTERM,
finishing the requests in flight.

It holds the store's file lock only while a request reads (and 250 ms after,
for the next request), so other processes write the same store while it runs:
` + "`genestore append`" + ` (or ingest, train, clusters) commits between requests, and
the next request sees the new dataset. A request that meets another process's
commit waits for it up to --lock-timeout, then answers 503.

--backend weaviate --url URL runs the nearest-neighbour searches on a Weaviate
cluster filled by "sync weaviate"; everything else is read from the store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	f.StringVar(&o.token, "token", os.Getenv(tokenEnv), "bearer token required from clients (env "+tokenEnv+")")
	f.BoolVar(&o.allowWrites, "allow-writes", false, "open the store writable and enable the write route")
	f.DurationVar(&o.requestTimeout, "request-timeout", 30*time.Second, "limit on each request's work")
	o.backend = addBackendFlags(cmd)
	return cmd
}

func runServe(cmd *cobra.Command, g *globalOptions, o *serveOptions) error {
	opts := server.DefaultOptions()
	opts.Addr, opts.Token, opts.AllowWrites, opts.RequestTimeout = o.addr, o.token, o.allowWrites, o.requestTimeout
	// a long --request-timeout needs the time to write its answer after it
	opts.WriteTimeout = max(opts.WriteTimeout, o.requestTimeout+30*time.Second)
	opts.Log = cmd.ErrOrStderr()
	if err := opts.Validate(); err != nil { // before touching the store
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e, b, db, err := openEngineVia(g, !o.allowWrites, cmd.ErrOrStderr(), o.backend)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := b.Warm(ctx, vocab.SpaceGenes, vocab.SpaceCells); err != nil {
		return err
	}
	opts.Info = func(context.Context) (*store.Info, error) { return db.Info() }
	opts.UI = &uiData{db: db, b: b, e: e}
	s, err := server.New(e, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	hs := s.HTTPServer()
	fmt.Fprintf(cmd.ErrOrStderr(), "genestore: serving %s on http://%s\n", db.Path(), ln.Addr())
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// requests in flight may run their whole timeout: let them finish
	sctx, cancel := context.WithTimeout(context.Background(), o.requestTimeout+5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
