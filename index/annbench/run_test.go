package annbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"genestore/internal/testutil/vecgen"
)

// Driver flags: `go test ./index/annbench -run TestDataset -data DIR`
// runs the benchmark on a gen_vectors.py folder and prints its JSON lines
// (until the CLI's `genestore bench ann` is wired).
var (
	dataFlag   = flag.String("data", "", "gen_vectors.py folder for TestDataset")
	systemFlag = flag.String("system", SystemGenestore, "system for TestDataset")
	mFlag      = flag.String("M", "16", "comma list of M for TestDataset")
	efFlag     = flag.String("ef", "10,20,40,80,160,320", "comma list of ef for TestDataset")
	efcFlag    = flag.Int("efc", 200, "ef-construction for TestDataset")
	runsFlag   = flag.Int("runs", 3, "query timing runs for TestDataset")
)

func ints(t *testing.T, s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatalf("bad list %q: %v", s, err)
		}
		out = append(out, v)
	}
	return out
}

func TestDataset(t *testing.T) {
	if *dataFlag == "" {
		t.Skip("no -data folder")
	}
	opts := DefaultOptions()
	opts.Data, opts.System, opts.M, opts.Ef = *dataFlag, *systemFlag, ints(t, *mFlag), ints(t, *efFlag)
	opts.EfConstruction, opts.Runs = *efcFlag, *runsFlag
	if err := Run(context.Background(), opts, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// writeVecs writes rows of dim 4-byte words in the TEXMEX layout.
func writeVecs(t testing.TB, path string, rows, dim int, word func(r, c int) uint32) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	var b [4]byte
	for r := range rows {
		binary.LittleEndian.PutUint32(b[:], uint32(dim))
		w.Write(b[:])
		for c := range dim {
			binary.LittleEndian.PutUint32(b[:], word(r, c))
			w.Write(b[:])
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// makeDataset writes a small clustered dataset with exact cosine ground
// truth, like gen_vectors.py does.
func makeDataset(t testing.TB, n, nq, dim, gtK int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 7))
	mix := vecgen.NewMixture(rng, 20, dim, 0.4)
	base, q := mix.Draw(rng, n), mix.Draw(rng, nq)
	unit := func(v []float32) []float64 {
		s := 0.0
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x) / math.Sqrt(s)
		}
		return out
	}
	gt := make([]int, nq*gtK)
	for i := range nq {
		qu := unit(q[i*dim : (i+1)*dim])
		sims := make([]float64, n)
		ids := make([]int, n)
		for j := range n {
			bu := unit(base[j*dim : (j+1)*dim])
			for c := range dim {
				sims[j] += qu[c] * bu[c]
			}
			ids[j] = j
		}
		sort.SliceStable(ids, func(a, b int) bool { return sims[ids[a]] > sims[ids[b]] })
		copy(gt[i*gtK:], ids[:gtK])
	}
	writeVecs(t, filepath.Join(dir, "base.fvecs"), n, dim, func(r, c int) uint32 { return math.Float32bits(base[r*dim+c]) })
	writeVecs(t, filepath.Join(dir, "query.fvecs"), nq, dim, func(r, c int) uint32 { return math.Float32bits(q[r*dim+c]) })
	writeVecs(t, filepath.Join(dir, "gt.ivecs"), nq, gtK, func(r, c int) uint32 { return uint32(gt[r*gtK+c]) })
	return dir
}

func TestRunSmall(t *testing.T) {
	dir := makeDataset(t, 3000, 50, 16, 20)
	tests := []struct {
		system    string
		threads   int
		quantize  string
		minRecall float64 // at the largest ef
	}{
		{SystemGenestore, 1, "float32", 0.95},
		{SystemGenestore, 2, "float32", 0.95},
		{SystemGenestore, 1, "int8", 0.95},
		{SystemCoderHNSW, 1, "float32", 0}, // measured, not judged: it is the broken baseline
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s-%d-%s", tc.system, tc.threads, tc.quantize), func(t *testing.T) {
			opts := DefaultOptions()
			opts.Data, opts.System, opts.Ef, opts.Runs, opts.EfConstruction = dir, tc.system, []int{10, 80}, 1, 64
			opts.Threads, opts.Quantize = tc.threads, tc.quantize
			th := strconv.Itoa(tc.threads)
			var out bytes.Buffer
			if err := Run(context.Background(), opts, &out, nil); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("got %d JSON lines, want 2:\n%s", len(lines), out.String())
			}
			var last Row
			for i, l := range lines {
				var r Row
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					t.Fatal(err)
				}
				if r.System != tc.system || r.N != 3000 || r.Dim != 16 || r.NQ != 50 || r.Params.Ef != opts.Ef[i] ||
					r.Params.M != 16 || r.Params.K != 10 || r.QPS <= 0 || r.IndexBytes <= 0 ||
					r.BuildS[th] <= 0 || (tc.system == SystemGenestore && r.IndexMemBytes <= 0) || r.RecallAt10 < 0 || r.RecallAt10 > 1 {
					t.Errorf("row %d: %+v", i, r)
				}
				last = r
			}
			if last.RecallAt10 < tc.minRecall {
				t.Errorf("recall@10 at ef %d = %.3f, want ≥ %.2f", last.Params.Ef, last.RecallAt10, tc.minRecall)
			}
		})
	}
}

func TestRunFiltered(t *testing.T) {
	dir := makeDataset(t, 3000, 50, 16, 20)
	d, err := load(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Everything admitted: the filtered truth is the dataset's.
	all := filteredTruth(d, admitted(d.n, 1), 10)
	same := 0
	for i := range d.nq {
		for _, id := range all[i*10 : i*10+10] {
			if slices.Contains(d.gt[i*d.gtK:i*d.gtK+10], id) {
				same++
			}
		}
	}
	if same < d.nq*10*99/100 {
		t.Errorf("unfiltered truth shares %d of %d ids with gt.ivecs", same, d.nq*10)
	}
	opts := DefaultOptions()
	opts.Data, opts.Ef, opts.Runs, opts.EfConstruction, opts.Selectivity = dir, []int{40}, 1, 64, []float64{0.01, 0.5}
	var out bytes.Buffer
	if err := Run(context.Background(), opts, &out, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d JSON lines, want 3:\n%s", len(lines), out.String())
	}
	for i, l := range lines[1:] {
		var r Row
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Selectivity != opts.Selectivity[i] || r.QueryMode != "per-query-filtered" || r.RecallAt10 < 0.95 {
			t.Errorf("filtered row %d: %+v", i, r)
		}
	}
}

func TestValidate(t *testing.T) {
	o := Options{System: "x", K: 0, UpperBeam: -1}
	err := o.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"no dataset", "no M", "ef-construction", "no ef", "k 0", "runs", "system", "upper beam -1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	d := DefaultOptions()
	d.Data = "x"
	if err := d.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// BenchmarkSystems runs genestore and coder/hnsw on the same generated
// clustered set (5,000 × 32, ef 40) and reports recall@10 and QPS: the
// figures behind the choice of our own HNSW.
func BenchmarkSystems(b *testing.B) {
	dir := makeDataset(b, 5000, 200, 32, 10)
	d, err := load(dir, 10)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, sys := range []system{&genestoreSystem{}, &coderSystem{}} {
		b.Run(sys.name(), func(b *testing.B) {
			if err := sys.build(ctx, d, 16, 100, 1, 1); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			var qps, rec float64
			for b.Loop() {
				search := func(q []float32, out []uint64) ([]uint64, error) { return sys.search(ctx, q, 10, 40, out) }
				qps, _, rec, err = timeQueries(search, d, d.gt, d.gtK, 10, 1)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(qps, "qps")
			b.ReportMetric(rec, "recall@10")
		})
	}
}

// TestRunIndexDir: with IndexDir the first run builds and keeps the index,
// a second run loads it (build time 0) and answers alike; float32 and int8
// runs keep separate files.
func TestRunIndexDir(t *testing.T) {
	dir := makeDataset(t, 2000, 30, 16, 20)
	keep := t.TempDir()
	run := func(quantize string) Row {
		t.Helper()
		opts := DefaultOptions()
		opts.Data, opts.Ef, opts.Runs, opts.EfConstruction, opts.Quantize, opts.IndexDir = dir, []int{80}, 1, 64, quantize, keep
		var out bytes.Buffer
		if err := Run(context.Background(), opts, &out, nil); err != nil {
			t.Fatal(err)
		}
		var r Row
		if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	built := run("float32")
	loaded := run("float32")
	if built.BuildS["1"] <= 0 || loaded.BuildS["1"] != 0 || loaded.RecallAt10 != built.RecallAt10 {
		t.Fatalf("built %+v, then loaded %+v", built, loaded)
	}
	if q := run("int8"); q.BuildS["1"] <= 0 || !strings.Contains(q.Version, "int8") {
		t.Fatalf("int8 after float32 in the same folder: %+v", q)
	}
	files, _ := filepath.Glob(filepath.Join(keep, "*.index"))
	if len(files) != 2 {
		t.Fatalf("index files %v, want one float32 and one int8", files)
	}
}

// TestAB times saved indexes against each other in alternating batches:
// one row per configuration and ef, the first at ratio 1, packing and a
// re-rank window changing no recall they should not.
func TestAB(t *testing.T) {
	dir := makeDataset(t, 2000, 30, 16, 20)
	keep := t.TempDir()
	for _, q := range []string{"float32", "int8"} {
		opts := DefaultOptions()
		opts.Data, opts.Ef, opts.Runs, opts.EfConstruction, opts.Quantize, opts.IndexDir = dir, []int{80}, 1, 64, q, keep
		if err := Run(context.Background(), opts, io.Discard, nil); err != nil {
			t.Fatal(err)
		}
	}
	o := DefaultABOptions()
	o.Data, o.IndexDir, o.EfConstruction, o.Ef, o.Rounds, o.Batch = dir, keep, 64, []int{40, 80}, 3, 50
	o.Configs = []string{"float32", "int8", "int8+packed", "int8+packed+rerank15", "float32+packed"}
	var out, log bytes.Buffer
	if err := AB(context.Background(), o, &out, &log); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&out)
	var rows []ABRow
	for dec.More() {
		var r ABRow
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 10 {
		t.Fatalf("%d rows, want 2 ef × 5 configurations:\n%s", len(rows), log.String())
	}
	for i, r := range rows {
		c := i % 5
		if r.Config != o.Configs[c] || r.Ef != o.Ef[i/5] || r.QPSCPU <= 0 || r.Rounds != 3 || r.IndexMem <= 0 ||
			r.RatioMin > r.Ratio || r.Ratio > r.RatioMax || r.RecallAt10 < 0.5 {
			t.Fatalf("row %d: %+v", i, r)
		}
		if c == 0 && (r.Ratio != 1 || r.RatioMin != 1) {
			t.Fatalf("first configuration's ratio %+v, want 1", r)
		}
		first := rows[i-c]
		switch r.Config {
		case "float32+packed":
			if r.RecallAt10 != first.RecallAt10 {
				t.Errorf("packing changed float32's recall: %+v vs %+v", r, first)
			}
		case "int8+packed":
			if r.RecallAt10 != rows[i-1].RecallAt10 || r.IndexMem >= rows[i-1].IndexMem {
				t.Errorf("int8 packed %+v against int8 %+v: same recall and less memory expected", r, rows[i-1])
			}
		}
	}
	// "+upperN" sets the search's beam above layer 0.
	if sys, err := parseConfig("int8+upper4+rerank15"); err != nil || sys.upper != 4 || sys.rerank != 15 {
		t.Errorf("int8+upper4+rerank15: %+v, %v", sys, err)
	}
	for _, bad := range [][]string{{"int4"}, {"float32+rerank5"}, {"int8+fast"}, {"float32+upper0"}, {"float32+upperx"}} {
		o.Configs = bad
		if err := AB(context.Background(), o, io.Discard, io.Discard); !errors.Is(err, ErrOptions) {
			t.Errorf("configs %v: %v, want ErrOptions", bad, err)
		}
	}
	o.Configs, o.IndexDir = []string{"float32"}, t.TempDir()
	if err := AB(context.Background(), o, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "bench ann --index-dir") {
		t.Errorf("missing index: %v", err)
	}
}
