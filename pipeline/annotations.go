package pipeline

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"genestore/query/annot"
	"genestore/query/backend"
	"genestore/store"
)

// AnnotationOptions choose what LoadAnnotations reads: exactly one of GMT,
// GAF and Aliases (a file path, gzipped when it ends in .gz); Name names
// the collection of a GMT or GAF file and must be empty for aliases.
type AnnotationOptions struct {
	GMT, GAF, Aliases string
	Name              string
	Aspects           string // GAF: aspects to keep (P, F, C; empty keeps all)
}

// ErrAnnotationOptions reports invalid AnnotationOptions.
var ErrAnnotationOptions = errors.New("pipeline: invalid annotation options")

// Validate reports every problem of o at once.
func (o AnnotationOptions) Validate() error {
	var errs []error
	n := 0
	for _, p := range []string{o.GMT, o.GAF, o.Aliases} {
		if p != "" {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, fmt.Errorf("%w: give exactly one of a GMT, a GAF or an alias file", ErrAnnotationOptions))
	}
	if o.Aliases != "" && o.Name != "" {
		errs = append(errs, fmt.Errorf("%w: --name goes with --gmt or --gaf, not --aliases", ErrAnnotationOptions))
	}
	if (o.GMT != "" || o.GAF != "") && o.Name == "" {
		errs = append(errs, fmt.Errorf("%w: --name is required with --gmt or --gaf", ErrAnnotationOptions))
	}
	return errors.Join(errs...)
}

// AnnotationReport is what LoadAnnotations stored (the --json of
// "annotations load").
type AnnotationReport struct {
	Kind      string `json:"kind"` // "collection" or "aliases"
	Name      string `json:"name,omitempty"`
	Source    string `json:"source"`
	Sets      int    `json:"sets,omitempty"`
	Genes     int    `json:"genes"`               // distinct genes (collection) or aliases
	InStore   int    `json:"in_store"`            // of those, found in the store's vocabulary
	Ambiguous int    `json:"ambiguous,omitempty"` // aliases dropped for naming two symbols
}

// LoadAnnotations parses a gene-set collection (GMT or GAF) or an alias map
// and stores it in one write transaction, replacing a collection of the
// same name (or the alias map). It reports how many of the file's genes
// (or the aliases' target symbols) the store's vocabulary holds, in any
// letter case.
func LoadAnnotations(ctx context.Context, db *store.DB, o AnnotationOptions) (AnnotationReport, error) {
	if err := o.Validate(); err != nil {
		return AnnotationReport{}, err
	}
	src := o.GMT + o.GAF + o.Aliases
	r, err := openMaybeGzip(src)
	if err != nil {
		return AnnotationReport{}, err
	}
	defer r.Close()
	rep := AnnotationReport{Source: src}
	var (
		sets  []annot.GeneSet
		al    map[string]string
		genes []string
	)
	if o.Aliases != "" {
		rep.Kind = "aliases"
		if al, rep.Ambiguous, err = backend.ParseAliases(r, src); err != nil {
			return rep, err
		}
		if len(al) == 0 {
			return rep, fmt.Errorf("%w: %s: no aliases (every line blank, a comment, the header or ambiguous); the stored aliases are unchanged", backend.ErrAliases, src)
		}
		rep.Genes = len(al)
		for _, s := range al {
			genes = append(genes, s)
		}
	} else {
		rep.Kind, rep.Name = "collection", o.Name
		if o.GMT != "" {
			sets, err = annot.ParseGMT(r, src)
		} else {
			sets, err = annot.ParseGAF(r, src, annot.GAFOptions{Aspects: o.Aspects})
		}
		if err != nil {
			return rep, err
		}
		if len(sets) == 0 {
			return rep, fmt.Errorf("%w: %s: no gene sets (every line blank, a comment, NOT-qualified or outside the chosen aspects); collection %q is unchanged", annot.ErrParse, src, o.Name)
		}
		rep.Sets = len(sets)
		for gene := range annot.GeneToSets(sets) {
			genes = append(genes, gene)
		}
		rep.Genes = len(genes)
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
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
		return tx.PutCollection(o.Name, ss)
	})
	return rep, err
}

// CollectionInfo is one stored gene-set collection (a row of
// "annotations list --json").
type CollectionInfo struct {
	Name  string `json:"name"`
	Sets  int    `json:"sets"`
	Genes int    `json:"genes"` // distinct genes over its sets
}

// Collections lists the stored gene-set collections in name order.
func Collections(ctx context.Context, db *store.DB) ([]CollectionInfo, error) {
	out := []CollectionInfo{}
	err := db.View(func(tx *store.Tx) error {
		names, err := tx.Collections()
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return err
			}
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
			out = append(out, CollectionInfo{Name: n, Sets: len(sets), Genes: len(genes)})
		}
		return nil
	})
	return out, err
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
