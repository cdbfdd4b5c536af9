package export

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"genestore/store"
	"genestore/store/h5ad"
	"genestore/vocab"
)

// Report says what an export wrote.
type Report struct {
	Space  string `json:"space"`
	Format string `json:"format"`
	Rows   int    `json:"rows"`   // vectors (obs rows)
	Dim    int    `json:"dim"`    // dimensions of each vector
	Genes  int    `json:"genes"`  // var columns of the counts (WithCounts), else 0
	Path   string `json:"path"`   // "" for a stream
	Counts bool   `json:"counts"` // X holds the raw counts
	// Layers are the derived layers written to obsm (cells as h5ad).
	Layers []LayerReport `json:"layers,omitempty"`
}

// LayerReport is one layer an export wrote: obsm[LayerObsmPrefix+Name],
// Genes columns.
type LayerReport struct {
	Name  string `json:"name"`
	Genes int    `json:"genes"`
}

// Write writes a space as TSV to w (h5ad needs a file: use WriteFile).
func Write(ctx context.Context, db *store.DB, w io.Writer, opts Options) (Report, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return Report{}, err
	}
	if opts.Format != FormatTSV {
		return Report{}, fmt.Errorf("%w: format %s needs a file", ErrOptions, opts.Format)
	}
	var s *snapshot
	err := db.View(func(tx *store.Tx) (err error) {
		s, err = readSnapshot(ctx, tx, opts.Space)
		return err
	})
	if err != nil {
		return Report{}, err
	}
	return s.report(opts, ""), writeTSV(w, s)
}

// WriteFile writes a space to path in opts.Format, read from one snapshot
// of the store. The file appears whole or not at all: a failed export
// leaves a previous file as it was. Without opts.Force an existing file is
// refused with ErrExists.
func WriteFile(ctx context.Context, db *store.DB, path string, opts Options) (Report, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return Report{}, err
	}
	var (
		s *snapshot
		a *h5ad.AnnData
	)
	err := db.View(func(tx *store.Tx) (err error) {
		if s, err = readSnapshot(ctx, tx, opts.Space); err != nil {
			return err
		}
		if opts.Format == FormatH5AD {
			a, err = buildAnnData(ctx, tx, s, opts)
		}
		return err
	})
	if err != nil {
		return Report{}, err
	}
	rep := s.report(opts, path)
	if a != nil && a.XSparse != nil {
		rep.Genes = a.XSparse.Cols
	}
	if a != nil {
		for _, m := range a.Obsm {
			if name, ok := strings.CutPrefix(m.Name, LayerObsmPrefix); ok {
				rep.Layers = append(rep.Layers, LayerReport{Name: name, Genes: m.M.Cols})
			}
		}
	}
	err = writeFileAtomic(path, opts.Force, func(f *os.File) error {
		if a != nil {
			if err := h5ad.Encode(f, a); err != nil {
				return fmt.Errorf("export %s: %w", path, err)
			}
			return nil
		}
		return writeTSV(f, s)
	})
	return rep, err
}

func (s *snapshot) report(opts Options, path string) Report {
	return Report{Space: s.space, Format: opts.Format, Rows: len(s.names), Dim: s.dim, Path: path, Counts: opts.WithCounts}
}

// writeTSV writes "gene|barcode\tdataset\tdim0…" rows; values are float32
// in the shortest form that reads back exactly.
func writeTSV(w io.Writer, s *snapshot) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	first := "gene"
	if vocab.IsCellSpace(s.space) {
		first = "barcode"
	}
	bw.WriteString(first + "\tdataset")
	for d := 0; d < s.dim; d++ {
		fmt.Fprintf(bw, "\tdim%d", d)
	}
	bw.WriteByte('\n')
	var buf []byte
	for i, name := range s.names {
		buf = append(buf[:0], name...)
		buf = append(buf, '\t')
		buf = append(buf, s.datasets[i]...)
		for _, v := range s.vecs[i*s.dim : (i+1)*s.dim] {
			buf = append(buf, '\t')
			buf = strconv.AppendFloat(buf, float64(v), 'g', -1, 32)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
