package annbench

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"genestore/index"
	"genestore/internal/cputime"
)

// Sentinel errors.
var (
	// ErrOptions reports invalid Options.
	ErrOptions = errors.New("annbench: invalid options")
	// ErrData reports a dataset folder that cannot be used.
	ErrData = errors.New("annbench: bad dataset")
)

// Systems that Run can measure.
const (
	SystemGenestore = "genestore"
	SystemCoderHNSW = "coder-hnsw"
)

// Options configures Run.
type Options struct {
	// Data is the folder gen_vectors.py wrote (base.fvecs, query.fvecs, gt.ivecs).
	Data string
	// M lists the graph degrees to build (one index per value).
	M []int
	// EfConstruction is the build beam width.
	EfConstruction int
	// Ef lists the query beam widths.
	Ef []int
	// K is the number of neighbours per query (recall@K).
	K int
	// Runs is how many times each query set is timed; the best is kept.
	Runs int
	// System is SystemGenestore or SystemCoderHNSW.
	System string
	// Seed seeds the level generator (peer_ann.py uses 100 for hnswlib).
	Seed uint64
	// Quantize is the genestore index's vector storage, "float32" or
	// "int8"; an int8 index re-ranks its beam with the dataset's float
	// vectors, which stay outside the index (as a store's would).
	Quantize string
	// Rerank is how many of an int8 beam's best candidates are re-ranked
	// with floats (index.SearchOptions.Rerank; 0: the whole beam).
	Rerank int
	// UpperBeam is the genestore search's beam width on the layers above 0
	// (index.SearchOptions.UpperBeam; 0: the index's default, 1: greedy).
	UpperBeam int
	// Selectivity lists shares of the rows (in (0, 1]) that filtered
	// queries admit; for each, every ef is timed again with the filter,
	// and recall is against the exact filtered top k. Genestore only.
	Selectivity []float64
	// PackLinks packs the genestore index's layer-0 links once it is
	// loaded (index.Index.PackLinks): the resident size and the queries are
	// measured packed. The saved file is the same either way.
	PackLinks bool
	// Threads is the number of goroutines the genestore build inserts with
	// (index.Options.Threads); queries stay single-threaded.
	Threads int
	// IndexDir, when set, keeps the saved index there
	// (<system>-M<M>-efc<efC>[-<quantize>].index, not removed; use one
	// folder per data set): a file already there is loaded
	// instead of building (build_s and build_cpu_s are then 0 and save_s
	// is 0), so large indexes are built once and queried in several runs.
	IndexDir string
}

// DefaultOptions matches peer_ann.py's defaults for one M.
func DefaultOptions() Options {
	return Options{M: []int{16}, EfConstruction: 200, Ef: []int{10, 20, 40, 80, 160, 320}, K: 10,
		Runs: 3, System: SystemGenestore, Seed: 100, Threads: 1, Quantize: "float32"}
}

// Validate reports every problem at once.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrOptions}, args...)...))
	}
	if o.Data == "" {
		bad("no dataset folder")
	}
	if len(o.M) == 0 {
		bad("no M")
	}
	for _, m := range o.M {
		if m < 2 || m > 512 {
			bad("M %d not in [2, 512]", m)
		}
	}
	if o.EfConstruction < 1 {
		bad("ef-construction %d < 1", o.EfConstruction)
	}
	if len(o.Ef) == 0 {
		bad("no ef")
	}
	for _, ef := range o.Ef {
		if ef < 1 {
			bad("ef %d < 1", ef)
		}
	}
	if o.K < 1 {
		bad("k %d < 1", o.K)
	}
	if o.Runs < 1 {
		bad("runs %d < 1", o.Runs)
	}
	if o.Threads < 1 {
		bad("threads %d < 1", o.Threads)
	}
	if o.Quantize != "float32" && o.Quantize != "int8" {
		bad("quantize %q (want float32 or int8)", o.Quantize)
	}
	if o.UpperBeam < 0 || (o.UpperBeam > 0 && o.System != SystemGenestore) {
		bad("upper beam %d (≥ 0, for %q only)", o.UpperBeam, SystemGenestore)
	}
	if o.Rerank < 0 || (o.Rerank > 0 && o.Quantize != "int8") {
		bad("rerank %d (a window ≥ 0, for quantize int8 only)", o.Rerank)
	}
	if o.PackLinks && o.System != SystemGenestore {
		bad("packed links: only %q packs", SystemGenestore)
	}
	if o.Quantize == "int8" && o.System != SystemGenestore {
		bad("quantize int8: only %q quantizes", SystemGenestore)
	}
	for _, s := range o.Selectivity {
		if !(s > 0 && s <= 1) {
			bad("selectivity %v not in (0, 1]", s)
		}
	}
	if len(o.Selectivity) > 0 && o.System != SystemGenestore {
		bad("selectivity: only %q filters", SystemGenestore)
	}
	if o.Threads > 1 && o.System != SystemGenestore {
		bad("threads %d: only %q builds with several threads", o.Threads, SystemGenestore)
	}
	if o.System != SystemGenestore && o.System != SystemCoderHNSW {
		bad("system %q (want %q or %q)", o.System, SystemGenestore, SystemCoderHNSW)
	}
	return errors.Join(errs...)
}

// Params is the "params" object of a Row.
type Params struct {
	M              int `json:"M"`
	EfConstruction int `json:"ef_construction"`
	Ef             int `json:"ef"`
	K              int `json:"k"`
	// Rerank (not in peer_ann.py) is the int8 re-ranking window; absent
	// when it is the whole beam.
	Rerank int `json:"rerank,omitempty"`
	// UpperBeam (not in peer_ann.py) is the genestore search's beam width
	// above layer 0, the default filled in (1: greedy descent).
	UpperBeam int `json:"upper_beam,omitempty"`
}

// Row is one JSON line, with the fields and meanings of peer_ann.py's.
type Row struct {
	System     string             `json:"system"`
	Params     Params             `json:"params"`
	N          int                `json:"n"`
	Dim        int                `json:"dim"`
	NQ         int                `json:"nq"`
	BuildS     map[string]float64 `json:"build_s"`
	BuildCPUS  map[string]float64 `json:"build_cpu_s"`
	QPS        float64            `json:"qps"`
	QPSCPU     float64            `json:"qps_cpu"`
	RecallAt10 float64            `json:"recall_at_10"`
	IndexBytes int64              `json:"index_bytes"`
	SaveS      float64            `json:"save_s"`
	LoadS      float64            `json:"load_s"`
	LoadCPUS   float64            `json:"load_cpu_s"` // not in peer_ann.py: CPU seconds of the load
	// IndexMemBytes (not in peer_ann.py) is how much the Go heap grew when
	// the index was loaded, after a GC: its resident size, the key map
	// included, the dataset's vectors excluded.
	IndexMemBytes int64 `json:"index_mem_bytes"`
	// Selectivity (not in peer_ann.py) is the share of rows a filtered
	// query admits (query_mode "per-query-filtered"); absent unfiltered.
	Selectivity     float64            `json:"selectivity,omitempty"`
	QueryThreads    int                `json:"query_threads"`
	QueryMode       string             `json:"query_mode"`
	Version         string             `json:"version"`
	CPUs            int                `json:"cpus"`
	BusyOthers      float64            `json:"busy_others"`
	BuildBusyOthers map[string]float64 `json:"build_busy_others"`
}

// Dataset is a loaded benchmark folder.
type dataset struct {
	base, query []float32
	gt          []int32
	n, nq, dim  int
	gtK         int
}

func load(dir string, k int) (*dataset, error) {
	base, n, dim, err := readFvecs(filepath.Join(dir, "base.fvecs"))
	if err != nil {
		return nil, err
	}
	q, nq, qdim, err := readFvecs(filepath.Join(dir, "query.fvecs"))
	if err != nil {
		return nil, err
	}
	gt, ngt, gtK, err := readIvecs(filepath.Join(dir, "gt.ivecs"))
	if err != nil {
		return nil, err
	}
	switch {
	case qdim != dim:
		return nil, fmt.Errorf("%w: queries of dimension %d, base %d", ErrData, qdim, dim)
	case ngt != nq || gtK < k:
		return nil, fmt.Errorf("%w: gt.ivecs has %d rows of %d for %d queries and k %d", ErrData, ngt, gtK, nq, k)
	}
	for _, id := range gt {
		if id < 0 || int(id) >= n {
			return nil, fmt.Errorf("%w: ground truth id %d outside [0, %d)", ErrData, id, n)
		}
	}
	// Huge pages for the base vectors too: an int8 index re-ranks from
	// them, and the float32 index's own copy gets them when it loads.
	index.CollapseHugePages(base)
	return &dataset{base: base, query: q, gt: gt, n: n, nq: nq, dim: dim, gtK: gtK}, nil
}

// system is one ANN implementation under test.
type system interface {
	name() string
	version() string
	build(ctx context.Context, d *dataset, M, efc int, seed uint64, threads int) error
	save(path string) error
	load(path string, d *dataset) error
	// search answers query i with up to k row ids, written into out.
	search(ctx context.Context, q []float32, k, ef int, out []uint64) ([]uint64, error)
	drop()
}

// Run measures opts.System on opts.Data and writes one JSON Row per (M, ef)
// to w, progress to log (may be nil). Builds use opts.Threads; the built
// index is saved to a temporary file, dropped and loaded back, and every
// query number comes from the loaded index, one query at a time on one
// goroutine, best of opts.Runs.
func Run(ctx context.Context, opts Options, w io.Writer, log io.Writer) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	if log == nil {
		log = io.Discard
	}
	d, err := load(opts.Data, opts.K)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "dataset %s: n=%d dim=%d nq=%d\n", opts.Data, d.n, d.dim, d.nq)
	tmp, err := os.MkdirTemp("", "annbench-")
	if err != nil {
		return fmt.Errorf("annbench: %w", err)
	}
	defer os.RemoveAll(tmp)
	enc := json.NewEncoder(w)
	for _, M := range opts.M {
		var sys system
		if opts.System == SystemCoderHNSW {
			sys = &coderSystem{}
		} else {
			sys = &genestoreSystem{quantize: opts.Quantize, rerank: opts.Rerank, pack: opts.PackLinks, upper: opts.UpperBeam}
		}
		dir := tmp
		if opts.IndexDir != "" {
			dir = opts.IndexDir
		}
		path := indexFile(dir, sys.name(), M, opts.EfConstruction, opts.Quantize)
		var buildS, buildCPU, buildBusy, saveS float64
		if _, err := os.Stat(path); opts.IndexDir != "" && err == nil {
			fmt.Fprintf(log, "%s M=%d: loading the saved %s instead of building\n", sys.name(), M, path)
		} else {
			runtime.GC()
			s0, t0, c0 := cpuSample(), time.Now(), cputime.Seconds()
			if err := sys.build(ctx, d, M, opts.EfConstruction, opts.Seed, opts.Threads); err != nil {
				return err
			}
			buildS, buildCPU = time.Since(t0).Seconds(), cputime.Seconds()-c0
			buildBusy = othersBusy(s0)
			fmt.Fprintf(log, "%s M=%d: built with %d thread(s) in %.2fs (%.2f CPU-s; others used %.0f%% of the CPU)\n",
				sys.name(), M, opts.Threads, buildS, buildCPU, 100*buildBusy)
			t0 = time.Now()
			if err := sys.save(path); err != nil {
				return err
			}
			saveS = time.Since(t0).Seconds()
			sys.drop()
		}
		heap0 := heapBytes()
		t0, c0 := time.Now(), cputime.Seconds()
		if err := sys.load(path, d); err != nil {
			return err
		}
		loadS, loadCPU := time.Since(t0).Seconds(), cputime.Seconds()-c0
		memBytes := int64(heapBytes()) - int64(heap0)
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("annbench: %w", err)
		}
		fmt.Fprintf(log, "%s M=%d: saved %.1f MiB in %.3fs, loaded in %.3fs (%.3f CPU-s), %.1f MiB resident\n",
			sys.name(), M, float64(st.Size())/(1<<20), saveS, loadS, loadCPU, float64(memBytes)/(1<<20))
		upper := 0
		if sys.name() == SystemGenestore {
			upper = cmp.Or(opts.UpperBeam, index.DefaultUpperBeam)
		}
		th := strconv.Itoa(opts.Threads)
		var last Row
		for _, ef := range opts.Ef {
			s0 := cpuSample()
			search := func(q []float32, out []uint64) ([]uint64, error) { return sys.search(ctx, q, opts.K, ef, out) }
			qps, qpsCPU, rec, err := timeQueries(search, d, d.gt, d.gtK, opts.K, opts.Runs)
			if err != nil {
				return err
			}
			busy := othersBusy(s0)
			row := Row{System: sys.name(), Params: Params{M: M, EfConstruction: opts.EfConstruction, Ef: ef, K: opts.K, Rerank: opts.Rerank, UpperBeam: upper},
				N: d.n, Dim: d.dim, NQ: d.nq,
				BuildS: map[string]float64{th: round(buildS, 3)}, BuildCPUS: map[string]float64{th: round(buildCPU, 3)},
				QPS: round(qps, 1), QPSCPU: round(qpsCPU, 1), RecallAt10: round(rec, 4),
				IndexBytes: st.Size(), SaveS: round(saveS, 3), LoadS: round(loadS, 3), LoadCPUS: round(loadCPU, 3),
				IndexMemBytes: memBytes,
				QueryThreads:  1, QueryMode: "per-query", Version: sys.version(), CPUs: runtime.NumCPU(),
				BusyOthers: busy, BuildBusyOthers: map[string]float64{th: buildBusy}}
			if err := enc.Encode(row); err != nil {
				return fmt.Errorf("annbench: %w", err)
			}
			fmt.Fprintf(log, "%s M=%d ef=%d: recall@%d %.4f, %.0f QPS (%.0f per CPU-s), others %.0f%%\n",
				sys.name(), M, ef, opts.K, rec, qps, qpsCPU, 100*busy)
			last = row
		}
		if len(opts.Selectivity) > 0 {
			if err := timeFiltered(ctx, opts, sys, d, last, enc, log); err != nil {
				return err
			}
		}
		sys.drop()
	}
	return nil
}

// timeFiltered times every ef again per selectivity, with a filter; base
// gives the fields of the rows that do not change.
func timeFiltered(ctx context.Context, opts Options, sys system, d *dataset, base Row, enc *json.Encoder, log io.Writer) error {
	fs, ok := sys.(filterSearcher)
	if !ok {
		return fmt.Errorf("%w: %s cannot filter", ErrOptions, sys.name())
	}
	for _, sel := range opts.Selectivity {
		allowed := admitted(d.n, sel)
		gt := filteredTruth(d, allowed, opts.K)
		filter := func(key uint64) bool { return key < uint64(len(allowed)) && allowed[key] }
		for _, ef := range opts.Ef {
			s0 := cpuSample()
			search := func(q []float32, out []uint64) ([]uint64, error) {
				return fs.searchFiltered(ctx, q, opts.K, ef, filter, out)
			}
			qps, qpsCPU, rec, err := timeQueries(search, d, gt, opts.K, opts.K, opts.Runs)
			if err != nil {
				return err
			}
			row := base
			row.Params.Ef = ef
			row.QPS, row.QPSCPU, row.RecallAt10 = round(qps, 1), round(qpsCPU, 1), round(rec, 4)
			row.BusyOthers, row.Selectivity, row.QueryMode = othersBusy(s0), sel, "per-query-filtered"
			if err := enc.Encode(row); err != nil {
				return fmt.Errorf("annbench: %w", err)
			}
			fmt.Fprintf(log, "%s M=%d ef=%d selectivity %g: recall@%d %.4f, %.0f QPS (%.0f per CPU-s), others %.0f%%\n",
				sys.name(), base.Params.M, ef, sel, opts.K, rec, qps, qpsCPU, 100*row.BusyOthers)
		}
	}
	return nil
}

// timeQueries runs every query Runs times through search; it returns the
// best wall and CPU rates and the recall@k of the last run against gt
// (gtK ids per query; ids < 0 are padding).
func timeQueries(search func(q []float32, out []uint64) ([]uint64, error), d *dataset, gt []int32, gtK, k, runs int) (qps, qpsCPU, recall float64, err error) {
	found := make([][]uint64, d.nq)
	bestWall, bestCPU := math.Inf(1), math.Inf(1)
	for range runs {
		t0, c0 := time.Now(), cputime.Seconds()
		for i := range d.nq {
			found[i], err = search(d.query[i*d.dim:(i+1)*d.dim], found[i][:0])
			if err != nil {
				return 0, 0, 0, err
			}
		}
		bestWall = min(bestWall, time.Since(t0).Seconds())
		bestCPU = min(bestCPU, cputime.Seconds()-c0)
	}
	hits, total := 0, 0
	for i, f := range found {
		truth := gt[i*gtK : i*gtK+k]
		for _, t := range truth {
			if t >= 0 {
				total++
			}
		}
		for _, id := range f[:min(len(f), k)] {
			for _, t := range truth {
				if t >= 0 && uint64(t) == id {
					hits++
					break
				}
			}
		}
	}
	return float64(d.nq) / bestWall, float64(d.nq) / max(bestCPU, 1e-9), float64(hits) / float64(max(total, 1)), nil
}

// indexFile is where Run keeps a system's index of degree M and build beam
// efc in dir; genestore's name carries its quantization too (a float32 and
// an int8 run must not share a file).
func indexFile(dir, system string, M, efc int, quantize string) string {
	file := fmt.Sprintf("%s-M%d-efc%d", system, M, efc)
	if system == SystemGenestore {
		file += "-" + quantize
	}
	return filepath.Join(dir, file+".index")
}

// heapBytes returns the live Go heap after full collections. It collects
// three times: a dropped index stays reachable for two collections through
// its sync.Pool, which the runtime keeps in its list of pools until then.
func heapBytes() uint64 {
	runtime.GC()
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// writeFile creates path and streams f into it through a buffer.
func writeFile(path string, f func(io.Writer) error) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("annbench: %w", err)
	}
	bw := bufio.NewWriterSize(file, 1<<20)
	if err := f(bw); err != nil {
		file.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		file.Close()
		return fmt.Errorf("annbench: %w", err)
	}
	return file.Close()
}
