package ingest

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The annotation: G1 on + (body 1,000–2,000, 1-based), G2 on − (body
// 10,001–11,000: its 2 kb upstream lies after the body), G3 on chr2.
const activityGTF = "#!genome-build test\n" +
	"chr1\ttest\tgene\t1001\t2000\t.\t+\t.\tgene_id \"E1\"; gene_name \"G1\";\n" +
	"chr1\ttest\texon\t1001\t1200\t.\t+\t.\tgene_id \"E1\"; gene_name \"G1\";\n" +
	"chr1\ttest\tgene\t10001\t11000\t.\t-\t.\tgene_id \"E2\"; gene_name \"G2\";\n" +
	"chr2\ttest\tgene\t5001\t6000\t.\t+\t.\tgene_id \"E3\"; gene_name \"G3\";\n" +
	"chr3\ttest\tgene\t5001\t6000\t.\t+\t.\tgene_id \"E4\"; gene_name \"G4\";\n"

// Peaks (0-based half-open): p1 in G1's upstream 2 kb, p2 in G1's body, p3
// after G2's body (its upstream), p4 between genes, p5 on G3, p6 on chrM.
const activityPeaks = "chr1\t100\t300\nchr1\t1500\t1600\nchr1\t12000\t12500\nchr1\t4000\t4200\nchr2\t5500\t5600\nchrM\t10\t50\n"

// Cells: c1 has p1×2, p2×1, p3×4; c2 has p4×5, p6×1; c3 has p5×3, p2×2.
const activityMTX = "%%MatrixMarket matrix coordinate integer general\n6 3 7\n" +
	"1 1 2\n2 1 1\n3 1 4\n4 2 5\n6 2 1\n5 3 3\n2 3 2\n"

func TestGeneActivity(t *testing.T) {
	dir := t.TempDir()
	peaks, out := filepath.Join(dir, "peaks"), filepath.Join(dir, "act")
	writeFiles(t, peaks, map[string]string{"peaks.bed": activityPeaks, "matrix.mtx": activityMTX, "barcodes.tsv": "c1\nc2\nc3\n"})
	writeFiles(t, dir, map[string]string{"genes.gtf": activityGTF})
	st, err := GeneActivity(context.Background(), peaks, filepath.Join(dir, "genes.gtf"), out, DefaultActivityOptions())
	if err != nil {
		t.Fatal(err)
	}
	if st.Peaks != 6 || st.Cells != 3 || st.Genes != 4 || st.PeaksInGenes != 4 || st.GenesWithPeaks != 3 || st.PeaksUnknownChrom != 1 {
		t.Errorf("stats %+v", st)
	}
	ds, err := Read(context.Background(), out, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]float32{"G1": {3, 0, 2}, "G2": {4, 0, 0}, "G3": {0, 0, 3}}
	if len(ds.Genes) != 3 || ds.X.Rows != 3 {
		t.Fatalf("read back %d genes, %d cells", len(ds.Genes), ds.X.Rows)
	}
	for j, g := range ds.Genes {
		w, ok := want[g.Symbol]
		if !ok {
			t.Errorf("unexpected gene %q", g.Symbol)
			continue
		}
		for c := range 3 {
			if got := csrAt(ds.X.Indptr, ds.X.Indices, ds.X.Data, c, j); got != w[c] {
				t.Errorf("%s in cell %d: %v, want %v", g.Symbol, c+1, got, w[c])
			}
		}
	}

	// Gene bodies alone: p1 and p3 (upstream of G1 and G2) no longer count.
	st0, err := GeneActivity(context.Background(), peaks, filepath.Join(dir, "genes.gtf"), filepath.Join(dir, "act0"), ActivityOptions{})
	if err != nil || st0.PeaksInGenes != 2 || st0.GenesWithPeaks != 2 {
		t.Errorf("no upstream: %+v, %v", st0, err)
	}
	if bad, err := GeneActivity(context.Background(), peaks, filepath.Join(dir, "genes.gtf"), filepath.Join(dir, "act0"), ActivityOptions{Upstream: -1}); err == nil {
		t.Errorf("negative upstream accepted: %+v", bad)
	}

	// A multiome features file: peaks named chrom:start-end beside genes.
	multi := filepath.Join(dir, "multi")
	var feat strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(activityPeaks), "\n") {
		f := strings.Fields(l)
		id := f[0] + ":" + f[1] + "-" + f[2]
		feat.WriteString(id + "\t" + id + "\tPeaks\n")
	}
	feat.WriteString("ENSG1\tCD3E\tGene Expression\n")
	mtx := strings.Replace(activityMTX, "6 3 7", "7 3 8", 1) + "7 1 9\n"
	writeFiles(t, multi, map[string]string{"features.tsv": feat.String(), "matrix.mtx": mtx, "barcodes.tsv": "c1\nc2\nc3\n"})
	st2, err := GeneActivity(context.Background(), multi, filepath.Join(dir, "genes.gtf"), filepath.Join(dir, "act2"), DefaultActivityOptions())
	if err != nil {
		t.Fatal(err)
	}
	if st2.Peaks != 6 || st2.GenesWithPeaks != 3 || st2.NNZ != st.NNZ {
		t.Errorf("multiome stats %+v", st2)
	}
}

func TestGeneActivityBadInput(t *testing.T) {
	dir := t.TempDir()
	gtf := filepath.Join(dir, "genes.gtf")
	writeFiles(t, dir, map[string]string{"genes.gtf": activityGTF, "bad.gtf": "chr1\tt\tgene\t10\t5\t.\t+\t.\tgene_id \"X\";\n",
		"dup.bed": "chr1\t0\t10\tA\nchr1\t20\t30\tA\n"})
	cases := map[string]struct {
		files map[string]string
		annot string
		want  string
	}{
		"no matrix":     {map[string]string{"peaks.bed": activityPeaks, "barcodes.tsv": "c1\nc2\nc3\n"}, gtf, "no matrix"},
		"bad peak":      {map[string]string{"peaks.bed": "chr1\t300\t100\n", "matrix.mtx": activityMTX, "barcodes.tsv": "c1\nc2\nc3\n"}, gtf, "peaks.bed:1"},
		"no peak names": {map[string]string{"matrix.mtx": activityMTX, "barcodes.tsv": "c1\nc2\nc3\n"}, gtf, "no peaks.bed"},
		"shape":         {map[string]string{"peaks.bed": activityPeaks, "matrix.mtx": activityMTX, "barcodes.tsv": "c1\nc2\n"}, gtf, "matrix.mtx"},
		"bad gene":      {map[string]string{"peaks.bed": activityPeaks, "matrix.mtx": activityMTX, "barcodes.tsv": "c1\nc2\nc3\n"}, filepath.Join(dir, "bad.gtf"), "bad.gtf:1"},
		"duplicate":     {map[string]string{"peaks.bed": activityPeaks, "matrix.mtx": activityMTX, "barcodes.tsv": "c1\nc2\nc3\n"}, filepath.Join(dir, "dup.bed"), "dup.bed:2"},
		"fractional":    {map[string]string{"peaks.bed": activityPeaks, "matrix.mtx": strings.Replace(activityMTX, "1 1 2\n", "1 1 2.5\n", 1), "barcodes.tsv": "c1\nc2\nc3\n"}, gtf, "matrix.mtx"},
	}
	for name, c := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		writeFiles(t, p, c.files)
		out := filepath.Join(p, "out")
		_, err := GeneActivity(context.Background(), p, c.annot, out, DefaultActivityOptions())
		if err == nil || !errors.Is(err, ErrFormat) && !errors.Is(err, ErrDuplicate) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (want an error naming %q)", name, err, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output folder written", name)
		}
	}
}

func csrAt(indptr []int64, indices []int32, data []float32, r, c int) float32 {
	for k := indptr[r]; k < indptr[r+1]; k++ {
		if int(indices[k]) == c {
			return data[k]
		}
	}
	return 0
}

// The output folder must not be the peaks folder (by name, by another
// spelling or through a symlink) nor a folder already holding 10x files:
// either would overwrite files, the input among them.
func TestGeneActivityRefusesOutput(t *testing.T) {
	dir := t.TempDir()
	peaks := filepath.Join(dir, "peaks")
	files := map[string]string{"peaks.bed": activityPeaks, "matrix.mtx": activityMTX, "barcodes.tsv": "c1\nc2\nc3\n"}
	writeFiles(t, peaks, files)
	writeFiles(t, dir, map[string]string{"genes.gtf": activityGTF})
	if err := os.Symlink(peaks, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	writeFiles(t, other, map[string]string{"features.tsv.gz": "x", "barcodes.tsv": "x", "notes.txt": "x"})
	for _, c := range []struct{ out, want string }{
		{peaks, "is the peaks folder"},
		{peaks + "/.", "is the peaks folder"},
		{filepath.Join(dir, "link"), "is the peaks folder"},
		{other, "already holds features.tsv.gz, barcodes.tsv"},
	} {
		_, err := GeneActivity(context.Background(), peaks, filepath.Join(dir, "genes.gtf"), c.out, DefaultActivityOptions())
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("out %s: %v (want an error saying %q)", c.out, err, c.want)
		}
	}
	for name, body := range files {
		if b, err := os.ReadFile(filepath.Join(peaks, name)); err != nil || string(b) != body {
			t.Errorf("input %s changed: %v", name, err)
		}
	}
	if ents, _ := os.ReadDir(peaks); len(ents) != len(files) {
		t.Errorf("peaks folder holds %d entries, want %d", len(ents), len(files))
	}
	// An existing folder without 10x files is fine.
	empty := filepath.Join(dir, "empty")
	writeFiles(t, empty, map[string]string{"README": "x"})
	if _, err := GeneActivity(context.Background(), peaks, filepath.Join(dir, "genes.gtf"), empty, DefaultActivityOptions()); err != nil {
		t.Errorf("existing folder without 10x files: %v", err)
	}
}

// Per-gene sums are exact: 16777216 + 1 is written as 16777217 (float32
// would round it to 16777216) and 2^127 + 2^127, which int64 cannot hold, is
// an error naming the gene and the cell rather than a wrapped value.
func TestGeneActivityExactSums(t *testing.T) {
	for _, c := range []struct{ a, b, want, wantErr string }{
		{"16777216", "1", "1 1 16777217\n", ""},
		{"3", "4", "1 1 7\n", ""},
		{"9223372036854775807", "1", "", `gene "G1" in cell "AAAC-1"`},
		{"170141183460469231731687303715884105728", "170141183460469231731687303715884105728", "", `gene "G1" in cell "AAAC-1"`},
	} {
		dir := t.TempDir()
		peaks := filepath.Join(dir, "peaks")
		writeFiles(t, peaks, map[string]string{"peaks.bed": "chr1\t100\t200\nchr1\t300\t400\n", "barcodes.tsv": "AAAC-1\n",
			"matrix.mtx": "%%MatrixMarket matrix coordinate integer general\n2 1 2\n1 1 " + c.a + "\n2 1 " + c.b + "\n"})
		writeFiles(t, dir, map[string]string{"genes.bed": "chr1\t0\t1000\tG1\t0\t+\n"})
		out := filepath.Join(dir, "out")
		_, err := GeneActivity(context.Background(), peaks, filepath.Join(dir, "genes.bed"), out, DefaultActivityOptions())
		if c.wantErr != "" {
			if !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), "matrix.mtx") {
				t.Errorf("%s + %s: %v (want an error naming %s)", c.a, c.b, err, c.wantErr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s + %s: output folder written", c.a, c.b)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s + %s: %v", c.a, c.b, err)
			continue
		}
		f, err := os.Open(filepath.Join(out, "matrix.mtx.gz"))
		if err != nil {
			t.Fatal(err)
		}
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(z)
		f.Close()
		if !strings.HasSuffix(string(b), "\n1 1 1\n"+c.want) {
			t.Errorf("%s + %s: matrix.mtx.gz\n%s\nwant last entry %q", c.a, c.b, b, c.want)
		}
	}
}

// A GTF gene of one base (start == end, 1-based inclusive) is valid and
// becomes [start−1, end); coordinates beyond 2^40 are refused so that the
// upstream extension cannot overflow.
func TestGeneRegionsCoordinates(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.gtf")
	writeFiles(t, dir, map[string]string{"a.gtf": "chr1\tsrc\tgene\t100\t100\t.\t+\t.\tgene_id \"G1\"; gene_name \"A\";\n" +
		"chr1\tsrc\tgene\t3000\t3000\t.\t-\t.\tgene_id \"G2\";\n"})
	g, err := readGeneRegions(p, 2000, 5)
	if err != nil {
		t.Fatalf("1-base GTF genes: %v", err)
	}
	if len(g) != 2 || g[0].start != 0 || g[0].end != 105 || g[1].start != 2994 || g[1].end != 5000 {
		t.Errorf("1-base GTF genes: %+v", g)
	}
	for name, body := range map[string]string{
		"huge.gtf": "chr1\tsrc\tgene\t100\t9223372036854775807\t.\t+\t.\tgene_id \"G1\";\n",
		"past.gtf": "chr1\tsrc\tgene\t100\t1099511627777\t.\t-\t.\tgene_id \"G1\";\n",
		"zero.gtf": "chr1\tsrc\tgene\t0\t10\t.\t+\t.\tgene_id \"G1\";\n",
		"back.gtf": "chr1\tsrc\tgene\t10\t9\t.\t+\t.\tgene_id \"G1\";\n",
		"huge.bed": "chr1\t0\t9223372036854775807\tG1\t0\t-\n",
	} {
		writeFiles(t, dir, map[string]string{name: body})
		g, err := readGeneRegions(filepath.Join(dir, name), 2000, 5)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), name+":1") {
			t.Errorf("%s: %+v, %v (want an error naming %s:1)", name, g, err, name)
		}
	}
	if _, err := readGeneRegions(p, 1<<62, 0); !errors.Is(err, ErrOptions) {
		t.Errorf("upstream 2^62: %v", err)
	}
	if _, err := GeneActivity(context.Background(), dir, p, filepath.Join(dir, "out"), ActivityOptions{Downstream: 1 << 62}); !errors.Is(err, ErrOptions) {
		t.Errorf("downstream 2^62: %v", err)
	}
}

// TestGeneActivityFailedWriteLeavesNothing: when the output folder's last
// file cannot be put in place (here a folder named matrix.mtx.gz blocks the
// rename), the files already written are removed: a partial folder would
// make the retry refuse its output folder.
func TestGeneActivityFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "matrix.mtx.gz", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	x := &activityMatrix{rows: 1, cols: 1, indptr: []int64{0, 1}, indices: []int32{0}, data: []int64{3}}
	genes := []geneRegion{{id: "E1", symbol: "G1"}}
	if err := writeActivityDir(dir, x, genes, []string{"c1"}); err == nil {
		t.Fatal("writing over a folder named matrix.mtx.gz succeeded")
	}
	for _, name := range []string{"features.tsv.gz", "barcodes.tsv.gz"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			t.Errorf("a failed write left %s", name)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the folder holds %d entries, want the blocking folder alone", len(ents))
	}
}
