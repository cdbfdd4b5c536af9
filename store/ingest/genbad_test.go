package ingest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// badEntry is one malformed input: how to build it and what Read must say.
type badEntry struct {
	path, format, options, expect, sentinel, note string
	build                                         func(t *testing.T, path string)
}

// mtxCase builds a folder from the tiny 10x folder after mutate.
func mtxCase(mutate func(m *mtxDir)) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		m := tinyMTX()
		mutate(&m)
		m.write(t, path)
	}
}

// withEntries replaces the matrix with the given field, size line and entries.
func withEntries(field, size string, lines ...string) func(*testing.T, string) {
	return mtxCase(func(m *mtxDir) { m.matrix = mtxText(field, size, lines...) })
}

func entriesWith(i int, line string) []string {
	l := tinyEntryLines()
	l[i] = line
	return l
}

func fileCase(b []byte) func(*testing.T, string) {
	return func(t *testing.T, path string) { writeFile(t, path, b) }
}

func h5adCase(mutate func(s *h5adSpec)) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		s := tinyH5AD()
		mutate(&s)
		s.write(t, path)
	}
}

func tenxCase(mutate func(s *tenxSpec)) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		s := tinyTenx()
		mutate(&s)
		s.write(t, path)
	}
}

// gzipFile rewrites one file of a folder as gzip cut to half its size.
func truncateGzip(b []byte) []byte {
	z := gz(b)
	return z[:len(z)/2]
}

func badCorpus() []badEntry {
	base := tinyEntryLines()
	csv := func(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }
	hdr := "gene,AAAC-1,AAAG-1,AAAT-1,AACA-1"
	return []badEntry{
		// Matrix Market folders.
		{path: "mtx_truncated_gzip", expect: "truncated gzip", sentinel: "ErrFormat", note: "matrix.mtx.gz cut in half",
			build: func(t *testing.T, p string) {
				tinyMTX().write(t, p)
				writeFile(t, filepath.Join(p, "matrix.mtx.gz"), truncateGzip(tinyMTX().matrix))
			}},
		{path: "mtx_truncated_features_gzip", expect: "truncated gzip", sentinel: "ErrFormat",
			build: func(t *testing.T, p string) {
				tinyMTX().write(t, p)
				writeFile(t, filepath.Join(p, "features.tsv.gz"), truncateGzip(bytes.Repeat(tinyMTX().features, 50)))
			}},
		{path: "mtx_corrupt_gzip_crc", expect: "corrupt gzip", sentinel: "ErrFormat", note: "gzip CRC-32 trailer flipped",
			build: func(t *testing.T, p string) {
				tinyMTX().write(t, p)
				z := gz(tinyMTX().matrix)
				z[len(z)-8] ^= 0xff
				writeFile(t, filepath.Join(p, "matrix.mtx.gz"), z)
			}},
		{path: "mtx_no_banner", expect: "bad Matrix Market banner", sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) { m.matrix = []byte("5 4 8\n" + strings.Join(base, "\n") + "\n") })},
		{path: "mtx_array_layout", expect: "unsupported Matrix Market layout", sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) {
				m.matrix = []byte("%%MatrixMarket matrix array real general\n5 4\n1\n")
			})},
		{path: "mtx_complex_field", expect: "unsupported Matrix Market field", sentinel: "ErrFormat", build: withEntries("complex", "5 4 8", base...)},
		{path: "mtx_symmetric", expect: "unsupported Matrix Market symmetry", sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) {
				m.matrix = bytes.Replace(m.matrix, []byte("integer general"), []byte("integer symmetric"), 1)
			})},
		{path: "mtx_bad_size_line", expect: "bad size line", sentinel: "ErrFormat", build: withEntries("integer", "5 4", base...)},
		{path: "mtx_size_line_text", expect: "bad size line", sentinel: "ErrFormat", build: withEntries("integer", "five 4 8", base...)},
		{path: "mtx_empty_file", expect: "empty file", sentinel: "ErrFormat", build: mtxCase(func(m *mtxDir) { m.matrix = []byte{} })},
		{path: "mtx_entry_out_of_range", expect: "out of range", sentinel: "ErrFormat", build: withEntries("integer", "5 4 8", entriesWith(4, "6 3 7")...)},
		{path: "mtx_cell_out_of_range", expect: "out of range", sentinel: "ErrFormat", build: withEntries("integer", "5 4 8", entriesWith(7, "5 5 4")...)},
		{path: "mtx_zero_index", expect: "out of range", sentinel: "ErrFormat", build: withEntries("integer", "5 4 8", entriesWith(0, "0 1 3")...)},
		{path: "mtx_size_more_than_entries", expect: "file ends after 8 entries", sentinel: "ErrMismatch", build: withEntries("integer", "5 4 9", base...)},
		{path: "mtx_size_fewer_than_entries", expect: "more entries than the 7 declared", sentinel: "ErrMismatch", build: withEntries("integer", "5 4 7", base...)},
		{path: "mtx_nnz_exceeds_shape", expect: "more than 5 genes × 4 cells", sentinel: "ErrMismatch", build: withEntries("integer", "5 4 21", base...)},
		{path: "mtx_barcodes_count_mismatch", expect: "barcodes file lists 3", sentinel: "ErrMismatch",
			build: mtxCase(func(m *mtxDir) { m.barcodes = linesText(tinyBarcodes[:3]) })},
		{path: "mtx_features_count_mismatch", expect: "features file lists 6", sentinel: "ErrMismatch",
			build: mtxCase(func(m *mtxDir) {
				m.features = featuresText(append(append([]string{}, tinyIDs...), "ENSG6"), append(append([]string{}, tinySymbols...), "GeneF"), true)
			})},
		{path: "mtx_duplicate_barcode", expect: `barcode "AAAC-1" already on line 1`, sentinel: "ErrDuplicate",
			build: mtxCase(func(m *mtxDir) { m.barcodes = linesText([]string{"AAAC-1", "AAAG-1", "AAAC-1", "AACA-1"}) })},
		{path: "mtx_duplicate_feature_id", expect: `feature id "ENSG1" already on line 1`, sentinel: "ErrDuplicate",
			build: mtxCase(func(m *mtxDir) {
				m.features = featuresText([]string{"ENSG1", "ENSG2", "ENSG1", "ENSG4", "ENSG5"}, tinySymbols, true)
			})},
		{path: "mtx_empty_barcode", expect: "empty barcode", sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) { m.barcodes = []byte("AAAC-1\n\tx\nAAAT-1\nAACA-1\n") })},
		{path: "mtx_barcode_open_quote", expect: "barcodes.tsv.gz:1: a quote that does not close", sentinel: "ErrFormat", note: "once an index panic",
			build: mtxCase(func(m *mtxDir) { m.barcodes = []byte("\"AAAC-1\nAAAG-1\nAAAT-1\nAACA-1\n") })},
		{path: "mtx_features_open_quote", expect: "features.tsv.gz:1: a quote that does not close", sentinel: "ErrFormat", note: "once an index panic or a silent one-column read",
			build: mtxCase(func(m *mtxDir) { m.features = bytes.Replace(m.features, []byte("ENSG1\t"), []byte("ENSG1\t\""), 1) })},
		{path: "mtx_features_ragged", expect: "features.tsv.gz:3: 2 columns, the first line has 3", sentinel: "ErrFormat", note: "once read as genes with the types dropped",
			build: mtxCase(func(m *mtxDir) {
				m.features = bytes.Replace(m.features, []byte("\tGene Expression\nENSG4"), []byte("\nENSG4"), 1)
			})},
		{path: "mtx_features_blank_line", expect: "empty line", sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) { m.features = bytes.Replace(m.features, []byte("\nENSG3"), []byte("\n\nENSG3"), 1) })},
		{path: "mtx_duplicate_entry", expect: "occurs more than once (lines 4 and 5)", sentinel: "ErrDuplicate", build: withEntries("integer", "5 4 8", entriesWith(1, "1 1 2")...)},
		{path: "mtx_nan", expect: "value is NaN", sentinel: "ErrValue", build: withEntries("real", "5 4 8", entriesWith(2, "2 2 nan")...)},
		{path: "mtx_inf", expect: "value is infinite", sentinel: "ErrValue", build: withEntries("real", "5 4 8", entriesWith(2, "2 2 Inf")...)},
		{path: "mtx_float32_overflow", expect: "overflows float32", sentinel: "ErrValue", build: withEntries("real", "5 4 8", entriesWith(2, "2 2 1e39")...)},
		{path: "mtx_negative", expect: "negative value -5", sentinel: "ErrValue", build: withEntries("integer", "5 4 8", entriesWith(2, "2 2 -5")...)},
		{path: "mtx_noninteger_in_integer_field", expect: "non-integer value 2.5", sentinel: "ErrValue", build: withEntries("integer", "5 4 8", entriesWith(3, "4 2 2.5")...)},
		{path: "mtx_declared_counts_real_values", options: "values=counts", expect: "non-integer value 0.25", sentinel: "ErrValue", build: withEntries("real", "5 4 8", entriesWith(5, "1 4 0.25")...)},
		{path: "mtx_bad_value", expect: `bad value "abc"`, sentinel: "ErrFormat", build: withEntries("integer", "5 4 8", entriesWith(2, "2 2 abc")...)},
		{path: "mtx_extra_column", expect: `want "gene cell value"`, sentinel: "ErrFormat", build: withEntries("integer", "5 4 8", entriesWith(2, "2 2 5 1")...)},
		{path: "mtx_missing_value", expect: `want "gene cell value"`, sentinel: "ErrFormat", build: withEntries("integer", "5 4 8", entriesWith(2, "2 2")...)},
		{path: "mtx_zero_nnz", expect: "empty matrix", sentinel: "ErrEmpty", build: withEntries("integer", "5 4 0")},
		{path: "mtx_zero_cells", expect: "empty matrix", sentinel: "ErrEmpty",
			build: mtxCase(func(m *mtxDir) { m.matrix = mtxText("integer", "5 0 0"); m.barcodes = []byte{} })},
		{path: "mtx_huge_declared_sizes", expect: "size limit exceeded", sentinel: "ErrLimit", note: "4e9 × 4e9 × 1e12 must not be allocated",
			build: withEntries("integer", "4000000000 4000000000 1000000000000", base...)},
		{path: "mtx_huge_nnz", expect: "declares 1000000000000 nonzeros", sentinel: "ErrLimit", build: withEntries("integer", "5 4 1000000000000", base...)},
		{path: "mtx_huge_genes_within_limit", expect: "declares 2000000000 genes but the features file lists 5", sentinel: "ErrMismatch",
			build: withEntries("integer", "2000000000 4 8", base...)},
		{path: "mtx_nnz_over_option_limit", options: "maxnnz=5", expect: "the limit is 5", sentinel: "ErrLimit", build: withEntries("integer", "5 4 8", base...)},
		{path: "mtx_missing_barcodes", expect: "no barcodes.tsv", sentinel: "ErrFormat", build: mtxCase(func(m *mtxDir) { m.barcodes = nil })},
		{path: "mtx_missing_features", expect: "no features.tsv", sentinel: "ErrFormat", build: mtxCase(func(m *mtxDir) { m.features = nil })},
		{path: "mtx_obs_unknown_barcode", expect: `unknown barcode "ZZZZ-1"`, sentinel: "ErrMismatch",
			build: mtxCase(func(m *mtxDir) { m.obs = []byte("barcode,cell_type\nAAAC-1,T\nZZZZ-1,B\n") })},
		{path: "mtx_obs_duplicate_barcode", expect: `barcode "AAAC-1" already on line 2`, sentinel: "ErrDuplicate",
			build: mtxCase(func(m *mtxDir) { m.obs = []byte("barcode,cell_type\nAAAC-1,T\nAAAC-1,B\n") })},
		{path: "mtx_obs_ragged_row", expect: "2 fields, the header has 3", sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) { m.obs = []byte("barcode,cell_type,batch\nAAAC-1,T,1\nAAAG-1,B\n") })},
		{path: "mtx_obs_duplicate_column", expect: `column "batch" appears twice`, sentinel: "ErrDuplicate",
			build: mtxCase(func(m *mtxDir) { m.obs = []byte("barcode,batch,batch\nAAAC-1,1,2\n") })},
		{path: "mtx_obs_unterminated_quote", expect: "unterminated quote", sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) { m.obs = []byte("barcode,cell_type\nAAAC-1,\"T cell\nAAAG-1,B\n") })},
		{path: "mtx_obs_tab_separated", expect: `the delimiter is comma (chosen by the extension ".csv") but the line has none and holds tabs: the file looks tab-separated; name it .tsv`, sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) { m.obs = []byte("barcode\tcell_type\nAAAC-1\tT\n") })},
		{path: "mtx_obs_text_after_quote", expect: ".csv:2: unterminated quote or text after a closing quote", sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) { m.obs = []byte("barcode,cell_type\nAAAC-1,\"T\"x\n") })},
		{path: "mtx_both_matrix_files", expect: "both matrix.mtx.gz and matrix.mtx in the folder", sentinel: "ErrFormat",
			note:  "two matrices: which one goes with the features is unknown",
			build: mtxCase(func(m *mtxDir) { m.extra = map[string][]byte{"matrix.mtx": m.matrix} })},
		{path: "mtx_both_features_and_genes", expect: "both features.tsv and genes.tsv in the folder", sentinel: "ErrFormat",
			build: mtxCase(func(m *mtxDir) {
				m.gzipped = false
				m.extra = map[string][]byte{"genes.tsv": featuresText(tinyIDs, tinySymbols, false)}
			})},
		{path: "mtx_count_above_2p24", expect: "matrix.mtx.gz:4: integer value 16777217 is above 2^24 = 16777216 and float32 cannot hold it exactly", sentinel: "ErrValue",
			note: "rounded to 16777216 if stored", build: withEntries("integer", "5 4 8", entriesWith(0, "1 1 16777217")...)},
		// Dense CSV/TSV.
		{path: "csv_ragged.csv", expect: "4 fields, want 5", sentinel: "ErrMismatch",
			build: fileCase(csv(hdr, "ENSG1,3,0,0,1", "ENSG2,0,5,0"))},
		{path: "csv_nan.csv", expect: "value is NaN", sentinel: "ErrValue", build: fileCase(csv(hdr, "ENSG1,3,0,NaN,1"))},
		{path: "csv_inf.tsv", expect: "value is infinite", sentinel: "ErrValue",
			build: fileCase(csv("gene\tAAAC-1\tAAAG-1", "ENSG1\t3\t+Inf"))},
		{path: "csv_negative.csv", expect: "negative value -1", sentinel: "ErrValue", build: fileCase(csv(hdr, "ENSG1,3,0,0,-1"))},
		{path: "csv_bad_value.csv", expect: `bad value "NA"`, sentinel: "ErrFormat", build: fileCase(csv(hdr, "ENSG1,3,NA,0,1"))},
		{path: "csv_duplicate_gene.csv", expect: `row name "ENSG1" already on line 2`, sentinel: "ErrDuplicate",
			build: fileCase(csv(hdr, "ENSG1,3,0,0,1", "ENSG1,0,5,0,1"))},
		{path: "csv_duplicate_cell.csv", expect: `column name "AAAC-1" appears twice`, sentinel: "ErrDuplicate",
			build: fileCase(csv("gene,AAAC-1,AAAC-1", "ENSG1,3,0"))},
		{path: "csv_duplicate_cell_transposed.csv", options: "transpose=true", expect: `row name "AAAC-1" already on line 2`, sentinel: "ErrDuplicate",
			build: fileCase(csv("cell,ENSG1,ENSG2", "AAAC-1,3,0", "AAAC-1,0,1"))},
		{path: "csv_unnamed_row.csv", expect: "row without a name", sentinel: "ErrFormat", build: fileCase(csv(hdr, ",3,0,0,1"))},
		{path: "csv_unnamed_column.csv", expect: "column 3 of the header has no name", sentinel: "ErrFormat", build: fileCase(csv("gene,AAAC-1,,AAAT-1", "ENSG1,3,0,1"))},
		{path: "csv_header_only.csv", expect: "no data lines", sentinel: "ErrEmpty", build: fileCase(csv(hdr))},
		{path: "csv_empty.csv", expect: "empty file", sentinel: "ErrEmpty", build: fileCase([]byte{})},
		{path: "csv_all_zero.csv", expect: "empty matrix", sentinel: "ErrEmpty", build: fileCase(csv(hdr, "ENSG1,0,0,0,0"))},
		{path: "csv_truncated.csv.gz", expect: "truncated gzip", sentinel: "ErrFormat",
			build: fileCase(truncateGzip(bytes.Repeat(csv(hdr, "ENSG1,3,0,0,1"), 40)))},
		{path: "csv_declared_counts_noninteger.csv", options: "values=counts", expect: "non-integer value 0.5", sentinel: "ErrValue",
			build: fileCase(csv(hdr, "ENSG1,3,0,0.5,1"))},
		{path: "csv_count_above_2p24.csv", expect: ".csv:2: column 4 (AAAT-1): integer value 16777217 is above 2^24", sentinel: "ErrValue",
			build: fileCase(csv(hdr, "ENSG1,3,0,16777217,1"))},
		{path: "csv_tab_separated.csv", expect: `.csv:1: header has 1 column: the delimiter is comma (chosen by the extension ".csv")`, sentinel: "ErrFormat",
			build: fileCase(csv("gene\tAAAC-1\tAAAG-1", "ENSG1\t3\t0"))},
		{path: "csv_comma_separated.tsv.gz", expect: `the delimiter is tab (chosen by the extension ".tsv") but the line has none and holds commas: the file looks comma-separated; name it .csv`, sentinel: "ErrFormat",
			build: fileCase(gz(csv(hdr, "ENSG1,3,0,0,1")))},
		{path: "csv_unterminated_quote.csv", expect: "unterminated quote", sentinel: "ErrFormat", build: fileCase(csv(hdr, "\"ENSG1,3,0,0,1"))},
		{path: "csv_obs_unknown_barcode.csv", options: "obs=csv_obs_unknown_barcode.obs.csv", expect: `unknown barcode "ZZZZ-1"`, sentinel: "ErrMismatch",
			build: func(t *testing.T, p string) {
				writeFile(t, p, tinyCSV(",", false))
				writeFile(t, strings.TrimSuffix(p, ".csv")+".obs.csv", []byte("barcode,x\nZZZZ-1,1\n"))
			}},
		// AnnData.
		{path: "h5ad_missing_x.h5ad", expect: "X: missing", sentinel: "ErrFormat", build: h5adCase(func(s *h5adSpec) { s.layout = "none" })},
		{path: "h5ad_x_strings.h5ad", expect: "want a 2-D numeric dataset", sentinel: "ErrFormat", build: h5adCase(func(s *h5adSpec) { s.layout = "strings" })},
		{path: "h5ad_x_1d.h5ad", expect: "want a 2-D numeric dataset", sentinel: "ErrFormat", build: h5adCase(func(s *h5adSpec) { s.layout = "1d" })},
		{path: "h5ad_x_coo_encoding.h5ad", expect: "want csr_matrix or csc_matrix", sentinel: "ErrFormat", build: h5adCase(func(s *h5adSpec) { s.encoding = "coo_matrix" })},
		{path: "h5ad_no_shape.h5ad", expect: "shape attribute", sentinel: "ErrFormat", build: h5adCase(func(s *h5adSpec) { s.noShape = true })},
		{path: "h5ad_huge_shape.h5ad", expect: "size limit exceeded", sentinel: "ErrLimit", build: h5adCase(func(s *h5adSpec) { s.shape = []int64{4000000000, 4000000000} })},
		{path: "h5ad_indptr_short.h5ad", expect: "X/indptr: 4 entries, want 5", sentinel: "ErrMismatch", build: h5adCase(func(s *h5adSpec) { s.indptr = s.indptr[:4] })},
		{path: "h5ad_indptr_decreasing.h5ad", expect: "decreases", sentinel: "ErrFormat", build: h5adCase(func(s *h5adSpec) { s.indptr = []int32{0, 4, 2, 3, 8} })},
		{path: "h5ad_index_out_of_range.h5ad", expect: "X/indices: entry 1 is 7, outside [0, 4]", sentinel: "ErrFormat", build: h5adCase(func(s *h5adSpec) { s.indices[1] = 7 })},
		{path: "h5ad_indices_float.h5ad", expect: "want integers", sentinel: "ErrFormat", build: h5adCase(func(s *h5adSpec) { s.floatIdx = true })},
		{path: "h5ad_duplicate_entry.h5ad", expect: "cell 0 lists gene 0 twice", sentinel: "ErrDuplicate", build: h5adCase(func(s *h5adSpec) { s.indices[1] = 0 })},
		{path: "h5ad_nan.h5ad", expect: "value is NaN", sentinel: "ErrValue", build: h5adCase(func(s *h5adSpec) { s.data[2] = float32(nan()) })},
		{path: "h5ad_inf.h5ad", expect: "value is infinite", sentinel: "ErrValue", build: h5adCase(func(s *h5adSpec) { s.data[2] = float32(inf()) })},
		{path: "h5ad_negative.h5ad", expect: "negative value -5", sentinel: "ErrValue", build: h5adCase(func(s *h5adSpec) { s.data[2] = -5 })},
		{path: "h5ad_counts_layer_noninteger.h5ad", expect: "layers/counts/data: entry 2", sentinel: "ErrValue",
			build: h5adCase(func(s *h5adSpec) { s.layerCounts = true; s.data[2] = 1.5 })},
		{path: "h5ad_empty_shape.h5ad", expect: "empty matrix", sentinel: "ErrEmpty", build: h5adCase(func(s *h5adSpec) { s.shape = []int64{0, 5} })},
		{path: "h5ad_obs_index_short.h5ad", expect: "obs/_index: 3 entries for 4 cells", sentinel: "ErrMismatch",
			build: h5adCase(func(s *h5adSpec) { s.barcodes = tinyBarcodes[:3] })},
		{path: "h5ad_duplicate_barcode.h5ad", expect: `barcode "AAAC-1" at entries 0 and 2`, sentinel: "ErrDuplicate",
			build: h5adCase(func(s *h5adSpec) { s.barcodes = []string{"AAAC-1", "AAAG-1", "AAAC-1", "AACA-1"} })},
		{path: "h5ad_duplicate_gene_id.h5ad", expect: `gene id "ENSG2" at entries 1 and 2`, sentinel: "ErrDuplicate",
			build: h5adCase(func(s *h5adSpec) { s.ids = []string{"ENSG1", "ENSG2", "ENSG2", "ENSG4", "ENSG5"} })},
		{path: "h5ad_missing_obs.h5ad", expect: "obs: missing dataframe group", sentinel: "ErrFormat", build: h5adCase(func(s *h5adSpec) { s.noObs = true })},
		{path: "h5ad_category_code_out_of_range.h5ad", expect: "code 5 outside the 2 categories", sentinel: "ErrFormat",
			build: h5adCase(func(s *h5adSpec) { s.catCodes = []int8{0, 5, 1, 0} })},
		{path: "h5ad_not_hdf5.h5ad", expect: "not a readable HDF5 file", sentinel: "ErrFormat", build: fileCase([]byte("this is not an HDF5 file\n"))},
		{path: "h5ad_truncated.h5ad", expect: "ingest: malformed input", sentinel: "ErrFormat", note: "first 1 KiB of a valid file",
			build: func(t *testing.T, p string) {
				tinyH5AD().write(t, p)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, p, b[:1024])
			}},
		{path: "h5ad_global_heap_huge.h5ad", expect: "global heap collection declares a size beyond the end of the file", sentinel: "ErrFormat",
			note: "GCOL size set to 2^45: the HDF5 library would allocate it", build: corruptH5(sigGCOL)},
		{path: "h5ad_local_heap_huge.h5ad", expect: "local heap declares a data segment beyond the end of the file", sentinel: "ErrFormat",
			note: "HEAP data segment size set to 2^45", build: corruptH5(sigHeap)},
		// 10x HDF5.
		{path: "tenx_no_matrix.h5", expect: "not a 10x HDF5 matrix", sentinel: "ErrFormat", build: tenxCase(func(s *tenxSpec) { s.noMatrix = true })},
		{path: "tenx_shape_three.h5", expect: "matrix/shape: 3 entries, want 2", sentinel: "ErrFormat", build: tenxCase(func(s *tenxSpec) { s.shape = []int64{6, 4, 1} })},
		{path: "tenx_barcodes_mismatch.h5", expect: "matrix/barcodes: 3 barcodes for 4 cells", sentinel: "ErrMismatch", build: tenxCase(func(s *tenxSpec) { s.barcodes = tinyBarcodes[:3] })},
		{path: "tenx_duplicate_barcode.h5", expect: `barcode "AAAG-1" at entries 1 and 3`, sentinel: "ErrDuplicate",
			build: tenxCase(func(s *tenxSpec) { s.barcodes = []string{"AAAC-1", "AAAG-1", "AAAT-1", "AAAG-1"} })},
		{path: "tenx_empty_barcode.h5", expect: "empty barcode at entry 2", sentinel: "ErrFormat",
			build: tenxCase(func(s *tenxSpec) { s.barcodes = []string{"AAAC-1", "AAAG-1", "", "AACA-1"} })},
		{path: "tenx_duplicate_feature_id.h5", expect: `gene id "ENSG1" at entries 0 and 4`, sentinel: "ErrDuplicate",
			build: tenxCase(func(s *tenxSpec) { s.ids = []string{"ENSG1", "ENSG2", "ENSG3", "ENSG4", "ENSG1", "AB1"} })},
		{path: "tenx_features_mismatch.h5", expect: "5 feature ids for 6 genes", sentinel: "ErrMismatch", build: tenxCase(func(s *tenxSpec) { s.ids = s.ids[:5] })},
		{path: "tenx_negative.h5", expect: "negative value -9", sentinel: "ErrValue", build: tenxCase(func(s *tenxSpec) { s.data[3] = -9 })},
		{path: "tenx_data_strings.h5", expect: "matrix/data: want a numeric dataset", sentinel: "ErrFormat", build: tenxCase(func(s *tenxSpec) { s.strData = true })},
		{path: "tenx_indptr_wrong_end.h5", expect: "ends at 7", sentinel: "ErrMismatch", build: tenxCase(func(s *tenxSpec) { s.indptr[4] = 7 })},
		{path: "tenx_gene_out_of_range.h5", expect: "outside [0, 5]", sentinel: "ErrFormat", build: tenxCase(func(s *tenxSpec) { s.indices[0] = 6 })},
	}
}

// writeBadCorpus writes every entry and MANIFEST.tsv.
func writeBadCorpus(t *testing.T, dir string) {
	var b strings.Builder
	b.WriteString("# Malformed inputs for store/ingest. Regenerate: go test ./store/ingest -run TestGenerateFixtures -update\n")
	b.WriteString("# path\tformat\toptions\texpect\tsentinel\tnote\n")
	for _, e := range badCorpus() {
		e.build(t, filepath.Join(dir, e.path))
		f, o, n := e.format, e.options, e.note
		if f == "" {
			f = "auto"
		}
		if o == "" {
			o = "-"
		}
		if n == "" {
			n = "-"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\n", e.path, f, o, e.expect, e.sentinel, n)
	}
	writeFile(t, filepath.Join(dir, "MANIFEST.tsv"), []byte(b.String()))
}

// corruptH5 writes the tiny h5ad with the first length field after sig set
// to 2^45.
func corruptH5(sig []byte) func(*testing.T, string) {
	return func(t *testing.T, p string) {
		tinyH5AD().write(t, p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, sig)
		if i < 0 {
			t.Fatalf("%q not found", sig)
		}
		binary.LittleEndian.PutUint64(b[i+len(sig):], 1<<45)
		writeFile(t, p, b)
	}
}
