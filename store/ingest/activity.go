package ingest

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"genestore/internal/atomicfile"
)

// Gene activity from scATAC-seq peaks (Signac's GeneActivity convention):
// a gene's activity in a cell is the sum of the cell's counts in every peak
// that overlaps the gene body extended upstream (2 kb by default) of its
// transcription start, strand-aware. The result is a genes × cells count
// matrix written as a 10x folder, which `ingest --modality atac-activity`
// reads like any other.

// ActivityOptions configure GeneActivity (see DefaultActivityOptions).
type ActivityOptions struct {
	// Upstream extends each gene body this many bases before its start
	// (strand-aware); Signac's extend.upstream is 2000. Upstream and
	// Downstream are at most 2^40, like every coordinate.
	Upstream int
	// Downstream extends each gene body after its end; default 0.
	Downstream int
	// MaxNNZ bounds the peaks matrix's nonzeros (0: DefaultOptions().MaxNNZ).
	MaxNNZ int64
}

// DefaultActivityOptions returns Signac's convention: 2 kb upstream, none
// downstream.
func DefaultActivityOptions() ActivityOptions { return ActivityOptions{Upstream: 2000} }

// ActivityStats summarise one GeneActivity run.
type ActivityStats struct {
	Peaks, Cells, Genes int   // rows and columns read; genes of the annotation
	PeaksInGenes        int   // peaks overlapping at least one gene region
	GenesWithPeaks      int   // genes written (overlapped by at least one peak)
	NNZ                 int64 // nonzeros of the written genes × cells matrix
	PeaksUnknownChrom   int   // peaks on a chromosome the annotation lacks
}

// region is one interval, 0-based half-open.
type region struct {
	chrom      string
	start, end int64
}

// geneRegion is an annotated gene with its extended region.
type geneRegion struct {
	region
	id, symbol string
}

// GeneActivity converts the peaks × cells 10x folder peaksDir (matrix.mtx[.gz]
// with peaks as rows; peaks named by peaks.bed[.gz] — chrom, start, end — or by
// a features.tsv[.gz] whose ids read chrom:start-end or chrom-start-end, of
// type "Peaks" when a type column is present; barcodes.tsv[.gz]) into gene
// activity over the genes of annotation (a GTF's "gene" records, or a BED of
// chrom, start, end, name[, score, strand]) and writes matrix.mtx.gz,
// features.tsv.gz and barcodes.tsv.gz into outDir (created; files are written
// under temporary names, synced and renamed when complete, the matrix last,
// and a failed write removes those already in place; a killed run may leave
// features and barcodes without a matrix). outDir must not be
// peaksDir, nor a folder already holding a 10x matrix, features or barcodes
// file, which the output would replace or sit beside ambiguously: those are
// refused with ErrOptions before anything is read. Genes no peak overlaps are
// left out. Activities are summed and written as exact integers; a sum int64
// cannot hold is an ErrValue naming the gene and the cell, never a rounded or
// wrapped value (sums above 2^24 are written exactly, and ingest then refuses
// them as beyond float32, naming the line). The peaks matrix is held in
// memory as a sparse matrix (12 bytes per nonzero), the output one cell at a
// time.
func GeneActivity(ctx context.Context, peaksDir, annotation, outDir string, o ActivityOptions) (ActivityStats, error) {
	var st ActivityStats
	if o.Upstream < 0 || o.Downstream < 0 || int64(o.Upstream) > maxCoord || int64(o.Downstream) > maxCoord {
		return st, fmt.Errorf("%w: upstream %d and downstream %d must be between 0 and %d", ErrOptions, o.Upstream, o.Downstream, int64(maxCoord))
	}
	if o.MaxNNZ == 0 {
		o.MaxNNZ = DefaultOptions().MaxNNZ
	}
	if err := checkActivityOut(peaksDir, outDir); err != nil {
		return st, err
	}
	genes, err := readGeneRegions(annotation, int64(o.Upstream), int64(o.Downstream))
	if err != nil {
		return st, err
	}
	st.Genes = len(genes)
	peaks, keep, matrix, barcodesPath, err := readPeakNames(peaksDir)
	if err != nil {
		return st, err
	}
	barcodes, err := readBarcodes(barcodesPath, nil)
	if err != nil {
		return st, err
	}
	in, err := openText(matrix, nil)
	if err != nil {
		return st, err
	}
	x, _, err := parseMTX(ctx, &in.lr, mtxLimits{genes: int64(len(keep)), cells: int64(len(barcodes)), maxNNZ: o.MaxNNZ, maxDim: DefaultOptions().MaxDim, counts: true})
	in.close()
	if err != nil {
		return st, err
	}
	if len(peaks) != len(keep) {
		x = x.SelectCols(keepIndex(keep))
	}
	st.Peaks, st.Cells = len(peaks), len(barcodes)

	// Genes by chromosome, sorted by start, with the running maximum of their
	// ends: the overlap scan for a peak walks back from the last gene that
	// starts before the peak ends until no earlier gene can reach it.
	byChrom := map[string][]int{}
	for i, g := range genes {
		byChrom[g.chrom] = append(byChrom[g.chrom], i)
	}
	maxEnd := map[string][]int64{}
	for c, idx := range byChrom {
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(genes[a].start, genes[b].start) })
		m := make([]int64, len(idx))
		for k, gi := range idx {
			m[k] = genes[gi].end
			if k > 0 && m[k-1] > m[k] {
				m[k] = m[k-1]
			}
		}
		maxEnd[c] = m
	}
	hits := make([][]int32, len(peaks)) // genes each peak overlaps
	for p, pk := range peaks {
		idx, ok := byChrom[pk.chrom]
		if !ok {
			st.PeaksUnknownChrom++
			continue
		}
		m := maxEnd[pk.chrom]
		k, _ := slices.BinarySearchFunc(idx, pk.end, func(gi int, end int64) int { return cmp.Compare(genes[gi].start, end) })
		for k--; k >= 0 && m[k] > pk.start; k-- {
			if g := genes[idx[k]]; g.end > pk.start {
				hits[p] = append(hits[p], int32(idx[k]))
			}
		}
		if len(hits[p]) > 0 {
			st.PeaksInGenes++
		}
	}

	// Accumulate per cell in int64, checked: the counts are integers (the
	// MTX reader enforces it) but a sum can exceed what float32 holds
	// exactly (2^24) or even int64, and the output is written as exact
	// integers. Number the genes that receive any count in annotation order.
	act := make([]int64, len(genes))
	hit := make([]bool, len(genes))
	var touched []int32
	out := &activityMatrix{rows: x.Rows, indptr: make([]int64, 1, x.Rows+1)}
	for r := range x.Rows {
		if r%1024 == 0 && ctx.Err() != nil {
			return st, ctx.Err()
		}
		for k := x.Indptr[r]; k < x.Indptr[r+1]; k++ {
			v := float64(x.Data[k])
			for _, g := range hits[x.Indices[k]] {
				if !hit[g] {
					hit[g] = true
					touched = append(touched, g)
				}
				// v is a non-negative integer ≤ MaxFloat32; below 2^63 it
				// converts exactly.
				if v >= 1<<63 || act[g] > math.MaxInt64-int64(v) {
					return st, errLine(ErrValue, matrix, 0, "gene activity of gene %q in cell %q (barcode %d) is above %d: the sum of its peak counts cannot be written as an exact integer",
						genes[g].id, barcodes[r], r+1, int64(math.MaxInt64))
				}
				act[g] += int64(v)
			}
		}
		slices.Sort(touched)
		for _, g := range touched {
			if act[g] != 0 {
				out.indices = append(out.indices, g)
				out.data = append(out.data, act[g])
			}
			act[g], hit[g] = 0, false
		}
		touched = touched[:0]
		out.indptr = append(out.indptr, int64(len(out.indices)))
	}
	// Keep the genes some cell has a count for, renumbered in order (rows
	// stay sorted).
	remap := make([]int32, len(genes))
	for _, g := range out.indices {
		remap[g] = 1
	}
	var kept []geneRegion
	for g := range remap {
		if remap[g] != 0 {
			remap[g] = int32(len(kept))
			kept = append(kept, genes[g])
		}
	}
	for k, g := range out.indices {
		out.indices[k] = remap[g]
	}
	out.cols = len(kept)
	st.GenesWithPeaks, st.NNZ = len(kept), int64(len(out.data))
	return st, writeActivityDir(outDir, out, kept, barcodes)
}

// activityOutClash names the files of a 10x folder that an activity output
// folder must not already hold: writing would replace them (matrix.mtx.gz,
// features.tsv.gz, barcodes.tsv.gz) or leave two candidates for the reader
// to choose between.
var activityOutClash = []string{"matrix.mtx.gz", "matrix.mtx", "features.tsv.gz", "features.tsv",
	"genes.tsv.gz", "genes.tsv", "barcodes.tsv.gz", "barcodes.tsv"}

// checkActivityOut refuses an output folder that is the peaks folder (after
// resolving symlinks; os.SameFile also catches bind mounts and hard-linked
// paths) or that already holds 10x files the output would overwrite. A
// missing output folder is fine: GeneActivity creates it.
func checkActivityOut(peaksDir, outDir string) error {
	if outDir == "" {
		return fmt.Errorf("%w: no output folder", ErrOptions)
	}
	oi, err := os.Stat(outDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: output folder: %v", ErrOptions, err)
	}
	if !oi.IsDir() {
		return fmt.Errorf("%w: output %s exists and is not a folder", ErrOptions, outDir)
	}
	same := false
	if pi, err := os.Stat(peaksDir); err == nil && os.SameFile(pi, oi) {
		same = true
	} else if a, b := resolvedPath(peaksDir), resolvedPath(outDir); a != "" && a == b {
		same = true
	}
	if same {
		return fmt.Errorf("%w: output folder %s is the peaks folder %s: writing there would overwrite the input; choose another --out", ErrOptions, outDir, peaksDir)
	}
	var found []string
	for _, name := range activityOutClash {
		if _, err := os.Lstat(filepath.Join(outDir, name)); err == nil {
			found = append(found, name)
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("%w: output folder %s already holds %s: writing the activity there would overwrite them or mix with them; remove them or choose another --out", ErrOptions, outDir, strings.Join(found, ", "))
	}
	return nil
}

// resolvedPath is p made absolute, cleaned and with symlinks resolved, or ""
// when that fails.
func resolvedPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	r, err := filepath.EvalSymlinks(a)
	if err != nil {
		return ""
	}
	return filepath.Clean(r)
}

func keepIndex(keep []bool) []int {
	var idx []int
	for i, k := range keep {
		if k {
			idx = append(idx, i)
		}
	}
	return idx
}

// readPeakNames finds the peaks folder's files and reads the peak intervals.
// keep marks the matrix rows that are peaks (all of them unless a features
// file types some rows otherwise).
func readPeakNames(dir string) (peaks []region, keep []bool, matrix, barcodes string, err error) {
	matrix, err = findOne(dir, "matrix", "matrix.mtx.gz", "matrix.mtx")
	if err == nil && matrix == "" {
		err = errLine(ErrFormat, dir, 0, "no matrix.mtx or matrix.mtx.gz in the peaks folder")
	}
	if err != nil {
		return nil, nil, "", "", err
	}
	barcodes, err = findOne(dir, "barcodes file", "barcodes.tsv.gz", "barcodes.tsv")
	if err == nil && barcodes == "" {
		err = errLine(ErrFormat, dir, 0, "no barcodes.tsv[.gz] in the peaks folder")
	}
	if err != nil {
		return nil, nil, "", "", err
	}
	bed, err := findOne(dir, "peaks file", "peaks.bed.gz", "peaks.bed")
	if err != nil {
		return nil, nil, "", "", err
	}
	if bed != "" {
		in, err := openText(bed, nil)
		if err != nil {
			return nil, nil, "", "", err
		}
		defer in.close()
		for {
			line, err := in.lr.nextContent(true)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, "", "", err
			}
			f := strings.Fields(string(line))
			if len(f) < 3 {
				return nil, nil, "", "", errLine(ErrFormat, bed, in.lr.line, "%d fields: want chrom, start, end", len(f))
			}
			r, err := parseInterval(f[0], f[1], f[2])
			if err != nil {
				return nil, nil, "", "", errLine(ErrFormat, bed, in.lr.line, "%v", err)
			}
			peaks = append(peaks, r)
			keep = append(keep, true)
		}
		return peaks, keep, matrix, barcodes, nil
	}
	feat, err := findOne(dir, "features file", "features.tsv.gz", "features.tsv")
	if err == nil && feat == "" {
		err = errLine(ErrFormat, dir, 0, "no peaks.bed[.gz] or features.tsv[.gz] naming the peaks")
	}
	if err != nil {
		return nil, nil, "", "", err
	}
	genes, types, err := readFeatures(feat, nil)
	if err != nil {
		return nil, nil, "", "", err
	}
	for i, g := range genes {
		isPeak := types[i] == "" || strings.EqualFold(types[i], "Peaks")
		keep = append(keep, isPeak)
		if !isPeak {
			continue
		}
		r, err := parsePeakID(g.ID)
		if err != nil {
			return nil, nil, "", "", errLine(ErrFormat, feat, int64(i+1), "%v", err)
		}
		peaks = append(peaks, r)
	}
	if len(peaks) == 0 {
		return nil, nil, "", "", errLine(ErrFormat, feat, 0, "no feature of type Peaks")
	}
	return peaks, keep, matrix, barcodes, nil
}

// parsePeakID reads chrom:start-end or chrom-start-end (Signac's names).
func parsePeakID(id string) (region, error) {
	if c, rest, ok := strings.Cut(id, ":"); ok {
		if s, e, ok := strings.Cut(rest, "-"); ok {
			return parseInterval(c, s, e)
		}
	}
	if i := strings.LastIndexByte(id, '-'); i > 0 {
		if j := strings.LastIndexByte(id[:i], '-'); j > 0 {
			return parseInterval(id[:j], id[j+1:i], id[i+1:])
		}
	}
	return region{}, fmt.Errorf("peak %q: want chrom:start-end or chrom-start-end", id)
}

// maxCoord bounds every coordinate and extension (2^40, far beyond any
// chromosome) so that extending a region cannot overflow int64.
const maxCoord = 1 << 40

// parseCoord reads a non-negative coordinate no larger than maxCoord.
func parseCoord(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0 && v <= maxCoord
}

// parseInterval reads a 0-based half-open interval (BED, peak names).
func parseInterval(chrom, start, end string) (region, error) {
	s, ok1 := parseCoord(start)
	e, ok2 := parseCoord(end)
	if chrom == "" || !ok1 || !ok2 || e <= s {
		return region{}, fmt.Errorf("interval %q %q %q: want a chromosome and 0 ≤ start < end ≤ %d", chrom, start, end, int64(maxCoord))
	}
	return region{chrom: chrom, start: s, end: e}, nil
}

// parseGTFInterval reads a GTF's 1-based inclusive start and end (a 1-base
// feature has start == end) as a 0-based half-open region.
func parseGTFInterval(chrom, start, end string) (region, error) {
	s, ok1 := parseCoord(start)
	e, ok2 := parseCoord(end)
	if chrom == "" || !ok1 || !ok2 || s < 1 || e < s {
		return region{}, fmt.Errorf("gene coordinates %q-%q on %q: want a chromosome and 1 ≤ start ≤ end ≤ %d", start, end, chrom, int64(maxCoord))
	}
	return region{chrom: chrom, start: s - 1, end: e}, nil
}

// readGeneRegions reads a GTF's gene records (1-based inclusive; gene_id and
// gene_name attributes) or a BED of genes (0-based half-open; name in column
// 4, strand in column 6) and extends each region upstream/downstream of the
// gene, strand-aware. A file whose name ends in .gtf[.gz] is a GTF, anything
// else a BED.
func readGeneRegions(path string, up, down int64) ([]geneRegion, error) {
	if up < 0 || down < 0 || up > maxCoord || down > maxCoord {
		return nil, fmt.Errorf("%w: upstream %d and downstream %d must be between 0 and %d", ErrOptions, up, down, int64(maxCoord))
	}
	base := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	gtf := strings.HasSuffix(base, ".gtf") || strings.HasSuffix(base, ".gff2")
	in, err := openText(path, nil)
	if err != nil {
		return nil, err
	}
	defer in.close()
	var out []geneRegion
	seen := map[string]int64{} // gene id → line
	for {
		line, err := in.lr.nextContent(true)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(line, []byte("track")) || bytes.HasPrefix(line, []byte("browser")) {
			continue
		}
		var g geneRegion
		strand := "+"
		if gtf {
			f := strings.Split(string(line), "\t")
			if len(f) < 9 {
				return nil, errLine(ErrFormat, path, in.lr.line, "%d tab-separated fields: a GTF line has 9", len(f))
			}
			if f[2] != "gene" {
				continue
			}
			r, err := parseGTFInterval(f[0], f[3], f[4])
			if err != nil {
				return nil, errLine(ErrFormat, path, in.lr.line, "%v", err)
			}
			g.region, strand = r, f[6]
			g.id, g.symbol = gtfAttr(f[8], "gene_id"), gtfAttr(f[8], "gene_name")
			if g.id == "" {
				return nil, errLine(ErrFormat, path, in.lr.line, "gene record without a gene_id attribute")
			}
			if g.symbol == "" {
				g.symbol = g.id
			}
		} else {
			f := strings.Fields(string(line))
			if len(f) < 4 {
				return nil, errLine(ErrFormat, path, in.lr.line, "%d fields: a gene BED needs chrom, start, end, name", len(f))
			}
			r, err := parseInterval(f[0], f[1], f[2])
			if err != nil {
				return nil, errLine(ErrFormat, path, in.lr.line, "%v", err)
			}
			g.region, g.id, g.symbol = r, f[3], f[3]
			if len(f) >= 6 {
				strand = f[5]
			}
		}
		if prev, dup := seen[g.id]; dup {
			return nil, errLine(ErrDuplicate, path, in.lr.line, "gene %q already annotated on line %d", g.id, prev)
		}
		seen[g.id] = in.lr.line
		if strand == "-" {
			g.start = max(0, g.start-down)
			g.end += up
		} else {
			g.start = max(0, g.start-up)
			g.end += down
		}
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil, errLine(ErrFormat, path, 0, "no gene records")
	}
	return out, nil
}

// gtfAttr returns attribute key of a GTF attribute column (key "value"; ...).
func gtfAttr(attrs, key string) string {
	for _, a := range strings.Split(attrs, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(a), " ")
		if ok && k == key {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// activityMatrix is the cells × genes activity in CSR layout with exact
// integer values (sparse.CSR holds float32, exact only up to 2^24).
type activityMatrix struct {
	rows, cols int
	indptr     []int64
	indices    []int32
	data       []int64
}

// writeActivityDir writes x (cells × genes) as a 10x folder in dir: each file
// is written under a temporary name, synced and renamed once complete, the
// matrix last. If one fails, the files already put in place are removed, so
// a failed run leaves no part of a folder (one GeneActivity would then
// refuse as its output) behind.
func writeActivityDir(dir string, x *activityMatrix, genes []geneRegion, barcodes []string) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var written []string
	defer func() {
		if err != nil {
			for _, p := range written {
				os.Remove(p)
			}
		}
	}()
	write := func(name string, fill func(w *bufio.Writer) error) error {
		path := filepath.Join(dir, name)
		err := atomicfile.Write(path, func(f *os.File) error {
			zw := gzip.NewWriter(f)
			w := bufio.NewWriterSize(zw, 1<<20)
			if err := fill(w); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return zw.Close()
		})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		written = append(written, path)
		return nil
	}
	err = write("features.tsv.gz", func(w *bufio.Writer) error {
		for _, g := range genes {
			fmt.Fprintf(w, "%s\t%s\tGene Expression\n", g.id, g.symbol)
		}
		return nil
	})
	if err == nil {
		err = write("barcodes.tsv.gz", func(w *bufio.Writer) error {
			for _, b := range barcodes {
				w.WriteString(b)
				w.WriteByte('\n')
			}
			return nil
		})
	}
	if err == nil {
		err = write("matrix.mtx.gz", func(w *bufio.Writer) error {
			fmt.Fprintf(w, "%%%%MatrixMarket matrix coordinate integer general\n%%%% gene activity (genestore activity)\n%d %d %d\n", x.cols, x.rows, len(x.data))
			var buf []byte
			for r := range x.rows {
				for k := x.indptr[r]; k < x.indptr[r+1]; k++ {
					buf = strconv.AppendInt(buf[:0], int64(x.indices[k])+1, 10)
					buf = append(buf, ' ')
					buf = strconv.AppendInt(buf, int64(r)+1, 10)
					buf = append(buf, ' ')
					buf = strconv.AppendInt(buf, x.data[k], 10)
					buf = append(buf, '\n')
					w.Write(buf)
				}
			}
			return nil
		})
	}
	return err
}
