package command

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/query/annot"
	"genestore/query/backend"
	"genestore/store"
)

func newAnnotationsCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "annotations load|list",
		Short: "Load gene-set collections and gene aliases into the store",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAnnotationsLoadCommand(g), newAnnotationsListCommand(g))
	return cmd
}

type annotationsLoadOptions struct {
	gmt, gaf, aliases, name, aspects string
	json                             bool
}

// loadReport is what annotations load prints with --json.
type loadReport struct {
	Kind      string `json:"kind"` // "collection" or "aliases"
	Name      string `json:"name,omitempty"`
	Source    string `json:"source"`
	Sets      int    `json:"sets,omitempty"`
	Genes     int    `json:"genes"`               // distinct genes (collection) or aliases
	InStore   int    `json:"in_store"`            // of those, found in the store's vocabulary
	Ambiguous int    `json:"ambiguous,omitempty"` // aliases dropped for naming two symbols
}

func newAnnotationsLoadCommand(g *globalOptions) *cobra.Command {
	o := &annotationsLoadOptions{}
	cmd := &cobra.Command{
		Use:   "load (--gmt FILE | --gaf FILE [--aspects PFC]) --name NAME | --aliases FILE",
		Short: "Store a GMT or GAF gene-set collection, or an alias map",
		Long: `annotations load stores a gene-set collection under NAME, replacing one of the
same name: --gmt reads "ID<TAB>description<TAB>gene..." lines (MSigDB/Enrichr),
--gaf a GO Annotation File (one set per GO term, NOT qualifiers excluded,
--aspects keeps some of P, F, C). With --aliases it stores the alias map used to
resolve gene symbols: a TSV "alias_symbol<TAB>symbol[<TAB>...]" with an optional
header; aliases naming two symbols are dropped. Files may be gzipped (.gz).

It reports how many of the file's genes (or aliases' target symbols) the store's
gene vocabulary holds (any letter case). --json prints {kind, name, source, sets,
genes, in_store, ambiguous}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAnnotationsLoad(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.gmt, "gmt", "", "GMT file")
	f.StringVar(&o.gaf, "gaf", "", "GAF file")
	f.StringVar(&o.aspects, "aspects", "", "GAF aspects to keep (P, F, C; default all)")
	f.StringVar(&o.aliases, "aliases", "", "alias TSV file")
	f.StringVar(&o.name, "name", "", "collection name")
	f.BoolVar(&o.json, "json", false, "print JSON")
	cmd.MarkFlagsMutuallyExclusive("gmt", "gaf", "aliases")
	cmd.MarkFlagsOneRequired("gmt", "gaf", "aliases")
	return cmd
}

// openMaybeGzip opens path, decompressing when it ends in .gz.
func openMaybeGzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}, nil
}

func runAnnotationsLoad(cmd *cobra.Command, g *globalOptions, o *annotationsLoadOptions) error {
	src := o.gmt + o.gaf + o.aliases
	r, err := openMaybeGzip(src)
	if err != nil {
		return err
	}
	defer r.Close()
	rep := loadReport{Source: src}
	var (
		sets  []annot.GeneSet
		al    map[string]string
		genes []string
	)
	switch {
	case o.aliases != "":
		if o.name != "" {
			return fmt.Errorf("--name goes with --gmt or --gaf, not --aliases")
		}
		rep.Kind = "aliases"
		if al, rep.Ambiguous, err = backend.ParseAliases(r, src); err != nil {
			return err
		}
		rep.Genes = len(al)
		for _, s := range al {
			genes = append(genes, s)
		}
	default:
		if o.name == "" {
			return fmt.Errorf("--name is required with --gmt or --gaf")
		}
		rep.Kind, rep.Name = "collection", o.name
		if o.gmt != "" {
			sets, err = annot.ParseGMT(r, src)
		} else {
			sets, err = annot.ParseGAF(r, src, annot.GAFOptions{Aspects: o.aspects})
		}
		if err != nil {
			return err
		}
		rep.Sets = len(sets)
		for gene := range annot.GeneToSets(sets) {
			genes = append(genes, gene)
		}
		rep.Genes = len(genes)
	}
	db, err := openStore(g, false)
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.Update(func(tx *store.Tx) error {
		all, err := tx.AllGenes()
		if err != nil {
			return err
		}
		vocab := make(map[string]bool, len(all))
		for _, x := range all {
			vocab[strings.ToLower(x.Symbol)] = true
		}
		seen := map[string]bool{}
		for _, s := range genes {
			if l := strings.ToLower(s); vocab[l] && !seen[l] {
				seen[l] = true
				rep.InStore++
			}
		}
		if al != nil {
			return backend.PutAliases(tx, al)
		}
		ss := make([]store.GeneSet, len(sets))
		for i, s := range sets {
			ss[i] = store.GeneSet{ID: s.ID, Name: s.Name, Genes: s.Genes}
		}
		return tx.PutCollection(o.name, ss)
	})
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if o.json {
		return writeJSON(w, rep)
	}
	if rep.Kind == "aliases" {
		fmt.Fprintf(w, "stored %d aliases (%d ambiguous dropped); %d target symbols are in the store\n", rep.Genes, rep.Ambiguous, rep.InStore)
		return nil
	}
	fmt.Fprintf(w, "stored collection %q: %d sets over %d genes, %d of them in the store\n", rep.Name, rep.Sets, rep.Genes, rep.InStore)
	return nil
}

type annotationsListOptions struct{ json bool }

// collectionInfo is one row of annotations list --json.
type collectionInfo struct {
	Name  string `json:"name"`
	Sets  int    `json:"sets"`
	Genes int    `json:"genes"`
}

func newAnnotationsListCommand(g *globalOptions) *cobra.Command {
	o := &annotationsListOptions{}
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the stored gene-set collections",
		Long:  `annotations list prints each stored collection; --json prints [{name, sets, genes}].`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			out := []collectionInfo{}
			err = db.View(func(tx *store.Tx) error {
				names, err := tx.Collections()
				if err != nil {
					return err
				}
				for _, n := range names {
					sets, err := tx.Collection(n)
					if err != nil {
						return err
					}
					genes := map[string]bool{}
					for _, s := range sets {
						for _, x := range s.Genes {
							genes[x] = true
						}
					}
					out = append(out, collectionInfo{Name: n, Sets: len(sets), Genes: len(genes)})
				}
				return nil
			})
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSETS\tGENES")
			for _, c := range out {
				fmt.Fprintf(tw, "%s\t%d\t%d\n", c.Name, c.Sets, c.Genes)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}
