package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"genestore/index"
	"genestore/store"
	"genestore/vecindex"
	"genestore/vocab"
)

type verifyOptions struct {
	json bool
}

// verifyReport is verify's --json output.
type verifyReport struct {
	Path     string   `json:"path"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems"` // one line per bad record or disagreement
	Notes    []string `json:"notes"`    // not errors: e.g. a stale snapshot, rebuilt on load
}

// errVerify makes verify exit non-zero after printing its report.
var errVerify = errors.New("verify: the store has problems")

func newVerifyCommand(g *globalOptions) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [--json]",
		Short: "Check every record of the store",
		Long: `verify opens the store read-only and checks it record by record: bbolt's page
structure and free list, every record's version, layout and CRC-32C (datasets,
matrix chunks, barcodes, obs columns, genes, edges, vectors, blobs, clusterings,
predictions), that each dataset's parts agree with its record, and that each
index snapshot holds exactly the vectors of its space (same keys, same values)
when it is current. It prints every problem (at most 100 from the record
check), one per line, and exits non-zero when there is any. A file too damaged
to open gives that error instead. The record check reads in one transaction,
then each index snapshot is compared in one of its own: writers wait for each
(up to their --lock-timeout).

With --json it prints {"path", "ok", "problems": [...], "notes": [...]}; notes
are not errors (a stale snapshot is rebuilt when next loaded).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := verifyStore(cmd.Context(), db)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.json {
				if err := writeJSON(w, rep); err != nil {
					return err
				}
			} else {
				for _, n := range rep.Notes {
					fmt.Fprintf(w, "note: %s\n", n)
				}
				for _, p := range rep.Problems {
					fmt.Fprintf(w, "BAD: %s\n", p)
				}
				if rep.OK {
					fmt.Fprintf(w, "%s: ok\n", rep.Path)
				} else {
					fmt.Fprintf(w, "%s: %d problem(s)\n", rep.Path, len(rep.Problems))
				}
			}
			if !rep.OK {
				return fmt.Errorf("%w: %s: %d problem(s)", errVerify, rep.Path, len(rep.Problems))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the report as JSON")
	return cmd
}

// verifyStore runs store.Verify and checks the index snapshots.
func verifyStore(ctx context.Context, db *store.DB) (*verifyReport, error) {
	rep := &verifyReport{Path: db.Path(), Problems: []string{}, Notes: []string{}}
	if err := db.Verify(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if line != "" {
				rep.Problems = append(rep.Problems, line)
			}
		}
	}
	var spaces []store.SpaceInfo
	if err := db.View(func(tx *store.Tx) (err error) { spaces, err = tx.Spaces(); return err }); err != nil {
		rep.Problems = append(rep.Problems, err.Error())
	}
	for _, s := range spaces {
		problems, note, err := checkSnapshot(ctx, db, s.Name)
		if err != nil {
			return nil, err
		}
		rep.Problems = append(rep.Problems, problems...)
		if note != "" {
			rep.Notes = append(rep.Notes, note)
		}
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

// checkSnapshot compares the index snapshot of space with the space's
// vectors, read in one transaction: a current snapshot must hold exactly
// the stored keys, and each vector as stored (normalised under cosine).
func checkSnapshot(ctx context.Context, db *store.DB, space string) (problems []string, note string, err error) {
	var (
		blob []byte
		v    *vecindex.Vectors
	)
	bad := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf("index snapshot %q: ", space)+fmt.Sprintf(format, args...))
		}
	}
	err = db.View(func(tx *store.Tx) error {
		var err error
		blob, err = tx.Blob(vocab.BlobIndex, space)
		switch {
		case errors.Is(err, store.ErrNotFound):
			blob = nil
			return nil
		case err != nil:
			bad("%v", err)
			blob = nil
			return nil
		}
		v, err = vecindex.ReadVectors(tx, space)
		if err != nil {
			// A bad vector record is reported by the record check.
			note = fmt.Sprintf("index snapshot %q not compared: its vectors are unreadable", space)
			blob = nil
		}
		return nil
	})
	if err != nil || blob == nil {
		if err == nil && len(problems) == 0 && note == "" {
			note = fmt.Sprintf("space %q has no index snapshot (built when first queried)", space)
		}
		return problems, note, err
	}
	ix, rerr := index.Read(bytes.NewReader(blob))
	switch {
	case rerr != nil:
		bad("unreadable: %v", rerr)
		return problems, "", nil
	case ix.Generation() != v.Generation:
		return nil, fmt.Sprintf("index snapshot %q is stale (generation %d, vectors at %d): rebuilt when next loaded", space, ix.Generation(), v.Generation), nil
	}
	if ix.Len() != len(v.Keys) {
		bad("holds %d vectors, the space %d", ix.Len(), len(v.Keys))
	}
	for i, key := range v.Keys {
		if i%65536 == 0 && ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		got, ok := ix.Get(key)
		if !ok {
			ds, id := vocab.SplitEntityKey(key)
			bad("vector (dataset %d, entity %d) missing", ds, id)
			continue
		}
		// What the index holds of the stored vector: normalised under
		// cosine, and under int8 its codes decoded.
		want, err := ix.Stored(v.Vecs[i*v.Dim : (i+1)*v.Dim])
		if err != nil {
			ds, id := vocab.SplitEntityKey(key)
			bad("vector (dataset %d, entity %d): %v", ds, id, err)
			continue
		}
		for j := range want {
			if d := math.Abs(float64(got[j] - want[j])); d > 1e-5*(1+math.Abs(float64(want[j]))) {
				ds, id := vocab.SplitEntityKey(key)
				bad("vector (dataset %d, entity %d) differs from the stored one at element %d (%g vs %g)", ds, id, j, got[j], want[j])
				break
			}
		}
	}
	return problems, "", nil
}
