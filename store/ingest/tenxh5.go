package ingest

import (
	"context"
	"genestore/vocab"
	"hash"

	"github.com/scigolib/hdf5"
)

// readTenxH5 reads a 10x Genomics HDF5 matrix. The v3 layout (Cell Ranger
// ≥ 3) is matrix/{data,indices,indptr,shape,barcodes} with
// matrix/features/{id,name,feature_type}; the v2 layout is one group per
// genome with {data,indices,indptr,shape,barcodes,genes,gene_names}. Both
// store genes × cells in CSC, which is cells × genes in CSR. Only "Gene
// Expression" features are kept when feature types are present.
func readTenxH5(ctx context.Context, path string, opts Options, h hash.Hash) (*Dataset, error) {
	hf, err := openH5(path, opts.MaxNNZ, h, opts.Progress)
	if err != nil {
		return nil, err
	}
	defer hf.close()
	g := "matrix"
	idPath, namePath, typePath := "matrix/features/id", "matrix/features/name", "matrix/features/feature_type"
	if hf.group(g) == nil {
		// v2: the single genome group.
		var groups []string
		_ = guard(path, "/", func() error {
			for _, c := range hf.f.Root().Children() {
				if _, ok := c.(*hdf5.Group); ok {
					groups = append(groups, trimSlash(c.Name()))
				}
			}
			return nil
		})
		if len(groups) != 1 || hf.dataset(groups[0]+"/genes") == nil {
			return nil, errObj(ErrFormat, path, "/matrix", "missing: not a 10x HDF5 matrix (want group matrix, or one genome group with genes)")
		}
		g = groups[0]
		idPath, namePath, typePath = g+"/genes", g+"/gene_names", ""
	}
	shape, err := hf.readIndex(g+"/shape", opts.MaxDim)
	if err != nil {
		return nil, err
	}
	if len(shape) != 2 {
		return nil, errObj(ErrFormat, path, g+"/shape", "%d entries, want 2 (genes, cells)", len(shape))
	}
	nGenes, nCells := shape[0], shape[1]
	if nGenes == 0 || nCells == 0 {
		return nil, errObj(ErrEmpty, path, g+"/shape", "%d genes × %d cells", nGenes, nCells)
	}
	x, allInt, err := hf.compressed(ctx, g, nCells, nGenes, opts.Values == vocab.Counts, "cell", "gene")
	if err != nil {
		return nil, err
	}
	barcodes, err := hf.readStrings(g + "/barcodes")
	if err != nil {
		return nil, err
	}
	if int64(len(barcodes)) != nCells {
		return nil, errObj(ErrMismatch, path, g+"/barcodes", "%d barcodes for %d cells in shape", len(barcodes), nCells)
	}
	if err := uniqueStrings(path, g+"/barcodes", barcodes, "barcode"); err != nil {
		return nil, err
	}
	ids, err := hf.readStrings(idPath)
	if err != nil {
		return nil, err
	}
	if int64(len(ids)) != nGenes {
		return nil, errObj(ErrMismatch, path, idPath, "%d feature ids for %d genes in shape", len(ids), nGenes)
	}
	names := ids
	if hf.dataset(namePath) != nil {
		if names, err = hf.readStrings(namePath); err != nil {
			return nil, err
		}
		if len(names) != len(ids) {
			return nil, errObj(ErrMismatch, path, namePath, "%d names for %d feature ids", len(names), len(ids))
		}
	}
	genes := make([]Gene, len(ids))
	for i := range ids {
		genes[i] = Gene{ID: ids[i], Symbol: names[i]}
	}
	if err := uniqueGeneIDs(path, idPath, genes); err != nil {
		return nil, err
	}
	if typePath != "" && hf.dataset(typePath) != nil {
		types, err := hf.readStrings(typePath)
		if err != nil {
			return nil, err
		}
		if len(types) != len(ids) {
			return nil, errObj(ErrMismatch, path, typePath, "%d feature types for %d feature ids", len(types), len(ids))
		}
		if keep := keepGeneExpression(types); keep != nil {
			x = x.SelectCols(keep)
			kept := make([]Gene, len(keep))
			for i, k := range keep {
				kept[i] = genes[k]
			}
			genes = kept
		}
	}
	values := opts.Values
	if values == "" {
		values = vocab.Normalized
		if allInt {
			values = vocab.Counts
		}
	}
	return &Dataset{Format: FormatTenxH5, Source: path, Values: values, X: x, Genes: genes, Barcodes: barcodes}, nil
}
