package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
)

// Read reads the dataset at path. path is a 10x Matrix Market folder (or
// its matrix.mtx[.gz]), an AnnData .h5ad, a 10x .h5, or a dense CSV/TSV.
// Every error wraps one of the package's sentinel errors and names the file
// and line or HDF5 object at fault. Read never modifies its inputs.
func Read(ctx context.Context, path string, opts Options) (*Dataset, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	format, path, err := detectFormat(path, opts.Format)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	var ds *Dataset
	switch format {
	case FormatMTX:
		ds, err = readMTXDir(ctx, path, opts, h)
		if err == nil && opts.Obs == "" {
			if f, _ := findMTXFiles(path); f.obs != "" {
				opts.Obs = f.obs
			}
		}
	case FormatH5AD:
		ds, err = readH5AD(ctx, path, opts, h)
	case FormatTenxH5:
		ds, err = readTenxH5(ctx, path, opts, h)
	case FormatCSV:
		ds, err = readCSV(ctx, path, opts, h)
	}
	if err != nil {
		return nil, err
	}
	if opts.Obs != "" {
		cols, err := readObs(opts.Obs, delimiterFor(opts.Obs, 0), ds.Barcodes, h)
		if err != nil {
			return nil, err
		}
		mergeObs(ds, cols)
	}
	switch {
	case opts.Coords[0] != "":
		if ds.Coords, err = coordsFromObs(ds, opts.Coords); err != nil {
			return nil, err
		}
	case ds.Coords == nil && (format == FormatMTX || format == FormatTenxH5):
		if p := spaceRangerPositions(path); p != "" {
			if ds.Coords, err = readPositions(p, ds.Barcodes, h); err != nil {
				return nil, err
			}
		}
	}
	if err := finalCheck(ds); err != nil {
		return nil, err
	}
	if opts.Progress != nil && (format == FormatH5AD || format == FormatTenxH5) {
		if st, err := os.Stat(path); err == nil {
			opts.Progress(st.Size(), st.Size())
		}
	}
	ds.SHA256 = hex.EncodeToString(h.Sum(nil))
	return ds, nil
}

// finalCheck applies the invariants every reader must meet.
func finalCheck(ds *Dataset) error {
	x := ds.X
	switch {
	case x.Rows == 0 || x.Cols == 0 || x.NNZ() == 0:
		return errLine(ErrEmpty, ds.Source, 0, "%d cells × %d genes with %d stored values", x.Rows, x.Cols, x.NNZ())
	case len(ds.Barcodes) != x.Rows:
		return errLine(ErrMismatch, ds.Source, 0, "%d barcodes for %d matrix rows", len(ds.Barcodes), x.Rows)
	case len(ds.Genes) != x.Cols:
		return errLine(ErrMismatch, ds.Source, 0, "%d genes for %d matrix columns", len(ds.Genes), x.Cols)
	}
	if err := x.Validate(); err != nil {
		return errLine(ErrFormat, ds.Source, 0, "%v", err)
	}
	return nil
}

// detectFormat resolves "auto" and normalises path (a matrix.mtx[.gz] file
// stands for its folder).
func detectFormat(path, format string) (string, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", path, errLine(ErrFormat, path, 0, "%v", err)
	}
	lower := strings.ToLower(path)
	if format == FormatMTX || format == FormatAuto {
		if !st.IsDir() && (strings.HasSuffix(lower, ".mtx") || strings.HasSuffix(lower, ".mtx.gz")) {
			return FormatMTX, filepath.Dir(path), nil
		}
	}
	if format != FormatAuto {
		if st.IsDir() != (format == FormatMTX) {
			if st.IsDir() {
				return "", path, errLine(ErrFormat, path, 0, "format %s wants a file, got a folder", format)
			}
			return "", path, errLine(ErrFormat, path, 0, "format mtx wants a folder, got a file")
		}
		return format, path, nil
	}
	if st.IsDir() {
		if findFirst(path, "matrix.mtx.gz", "matrix.mtx") != "" {
			return FormatMTX, path, nil
		}
		return "", path, errLine(ErrFormat, path, 0, "folder has no matrix.mtx[.gz]: cannot detect the format")
	}
	base := strings.TrimSuffix(lower, ".gz")
	switch {
	case strings.HasSuffix(lower, ".h5ad"):
		return FormatH5AD, path, nil
	case strings.HasSuffix(lower, ".h5"), strings.HasSuffix(lower, ".hdf5"):
		return FormatTenxH5, path, nil
	case strings.HasSuffix(base, ".csv"), strings.HasSuffix(base, ".tsv"), strings.HasSuffix(base, ".txt"):
		return FormatCSV, path, nil
	}
	return "", path, errLine(ErrFormat, path, 0, "cannot detect the format from the name: use .h5ad, .h5, .csv, .tsv or a 10x folder, or set the format")
}
