// Command genestore builds and queries a store of gene and cell embeddings
// for single-cell genomics. Run `genestore --help` for the verbs.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"genestore/cmd/genestore/command"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := command.NewRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "genestore:", err)
		os.Exit(1)
	}
}
