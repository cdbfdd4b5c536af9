package command

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"genestore/weaviate"
)

// weaviateTokenEnv names the environment variable that supplies --token.
const weaviateTokenEnv = "GENESTORE_WEAVIATE_TOKEN"

func newSyncCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Copy embedding spaces to an external serving cluster",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newSyncWeaviateCommand(g))
	return cmd
}

type syncWeaviateOptions struct {
	url, space, alias, token, consistency string
	shards, replicas, batch, workers      int
	dryRun, json                          bool
}

func newSyncWeaviateCommand(g *globalOptions) *cobra.Command {
	o := &syncWeaviateOptions{}
	cmd := &cobra.Command{
		Use:   "weaviate --url URL [--space cells|genes|cell-genes] [--shards N --replicas R] [--token T] [--dry-run] [--json]",
		Short: "Make a Weaviate cluster serve one embedding space",
		Long: `sync weaviate copies one embedding space of the store into a Weaviate
collection (vectorizer none, cosine, the embedded index's HNSW parameters,
--shards × --replicas) behind an alias (GenestoreCells, GenestoreGenes,
GenestoreCellGenes), and records in the store what the cluster holds.

The store stays the source of truth. A second sync sends only the vector sets
that changed (after append, only the new dataset) and deletes sets the store
dropped. When the space's model versions change, a new collection is filled
and the alias moved to it in one step, then the old one is deleted: queries
see the old vectors or the new ones, never a mix. Objects have UUIDs derived
from their keys, so a sync that was killed and rerun leaves exactly the
store's vectors; every sync ends by comparing per-dataset counts.

Queries use the cluster with "neighbors --backend weaviate --url URL".
--token (or $` + weaviateTokenEnv + `) is a Weaviate API key.
--json prints the report: {space, alias, collection, generation, created,
replaced, sent, sets_sent, sets_kept, deleted, dry_run, elapsed_ns}.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("batch", "workers", "shards", "replicas"),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runSyncWeaviate(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "Weaviate REST endpoint, e.g. http://127.0.0.1:8080")
	f.StringVar(&o.space, "space", "cells", "embedding space: cells, genes, cell-genes or cells-from-genes")
	f.StringVar(&o.alias, "alias", "", "alias readers use (default Genestore + the space in CamelCase)")
	f.StringVar(&o.token, "token", os.Getenv(weaviateTokenEnv), "API key (env "+weaviateTokenEnv+")")
	f.IntVar(&o.shards, "shards", 1, "shards of a new collection")
	f.IntVar(&o.replicas, "replicas", 1, "replication factor of a new collection")
	f.IntVar(&o.batch, "batch", 200, "objects per batch request")
	f.IntVar(&o.workers, "workers", 2, "batch requests in flight")
	f.StringVar(&o.consistency, "consistency", "ALL", "write consistency: ONE, QUORUM or ALL")
	f.BoolVar(&o.dryRun, "dry-run", false, "print what would be sent and deleted, change nothing")
	f.BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("url")
	return cmd
}

func runSyncWeaviate(cmd *cobra.Command, g *globalOptions, o *syncWeaviateOptions) error {
	c, err := weaviate.NewClient(o.url, weaviate.ClientOptions{Token: o.token})
	if err != nil {
		return err
	}
	db, err := openStore(g, o.dryRun)
	if err != nil {
		return err
	}
	defer db.Close()
	var bar *progress // created on the first batch, when the total is known
	rep, err := weaviate.Sync(cmd.Context(), db, c, weaviate.SyncOptions{Space: o.space, Alias: o.alias,
		Shards: o.shards, Replicas: o.replicas, BatchSize: o.batch, Workers: o.workers,
		Consistency: o.consistency, DryRun: o.dryRun,
		Progress: func(done, total int) {
			if bar == nil {
				bar = newProgress(cmd.ErrOrStderr(), g.quiet, int64(total), "sync "+o.space)
			}
			bar.Set(int64(done))
		}})
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if o.json {
		return writeJSON(w, rep)
	}
	verb := "sent"
	if rep.DryRun {
		verb = "would send"
	}
	fmt.Fprintf(w, "%s → %s (alias %s) at generation %d: %s %d vectors (sets %v), kept sets %v, deleted %d",
		rep.Space, rep.Collection, rep.Alias, rep.Generation, verb, rep.Sent, rep.SetsSent, rep.SetsKept, rep.Deleted)
	if rep.Created && !rep.DryRun {
		fmt.Fprint(w, ", new collection")
	}
	if rep.Replaced != "" {
		fmt.Fprintf(w, ", replaced %s", rep.Replaced)
	}
	if rep.Sent > 0 && !rep.DryRun {
		fmt.Fprintf(w, "; %.0f vectors/s", float64(rep.Sent)/max(rep.Elapsed.Seconds(), 1e-9))
	}
	fmt.Fprintf(w, " (%v)\n", rep.Elapsed.Round(time.Millisecond))
	return nil
}
