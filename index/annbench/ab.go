package annbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"genestore/index"
	"genestore/internal/cputime"
	"genestore/internal/stats"
)

// ABOptions configures AB: saved genestore indexes of one dataset, queried
// in one process in alternating batches, so that a drifting machine slows
// every configuration alike.
type ABOptions struct {
	// Data is the gen_vectors.py folder the indexes were built from.
	Data string
	// IndexDir holds the indexes Run saved with IndexDir set
	// (genestore-M<M>-efc<efC>-<quantize>.index).
	IndexDir string
	// M and EfConstruction name the saved indexes.
	M, EfConstruction int
	// Configs are compared with the first: "float32" or "int8", then any
	// of "+packed" (index.Index.PackLinks), "+rerankN" (an int8
	// re-rank window of N) and "+upperN" (a beam of N on the layers above
	// 0), e.g. "int8+packed+rerank15".
	Configs []string
	// Ef lists the query beam widths; K is the number of neighbours.
	Ef []int
	K  int
	// Rounds is how many batches each configuration runs per ef; Batch is
	// the queries per batch (the query set repeated as needed).
	Rounds, Batch int
}

// DefaultABOptions compares float32 with int8, packed or not.
func DefaultABOptions() ABOptions {
	return ABOptions{M: 16, EfConstruction: 200, Configs: []string{"float32", "int8", "int8+packed"},
		Ef: []int{20, 40}, K: 10, Rounds: 15, Batch: 5000}
}

// ABRow is one configuration at one ef: its median queries per CPU-s over
// the rounds, and the median, lowest and highest of its per-round ratio
// to the first configuration's queries per CPU-s (above 1: faster).
type ABRow struct {
	Config     string  `json:"config"`
	Ef         int     `json:"ef"`
	K          int     `json:"k"`
	Rounds     int     `json:"rounds"`
	Batch      int     `json:"batch"`
	QPSCPU     float64 `json:"qps_cpu"`
	Ratio      float64 `json:"ratio"`
	RatioMin   float64 `json:"ratio_min"`
	RatioMax   float64 `json:"ratio_max"`
	RecallAt10 float64 `json:"recall_at_10"`
	IndexMem   int64   `json:"index_mem_bytes"`
}

// AB loads every configuration's index and times them in alternating
// batches (round r runs every configuration's batch r before round r+1),
// one thread, writing one JSON line per (ef, configuration) to out and a
// table to log.
func AB(ctx context.Context, o ABOptions, out, log io.Writer) error {
	if len(o.Configs) == 0 || len(o.Ef) == 0 || o.K <= 0 || o.Rounds <= 0 || o.Batch <= 0 {
		return fmt.Errorf("%w: ab needs configurations, ef values, k, rounds and a batch size", ErrOptions)
	}
	d, err := load(o.Data, o.K)
	if err != nil {
		return err
	}
	systems := make([]*genestoreSystem, len(o.Configs))
	mem := make([]int64, len(o.Configs))
	for c, name := range o.Configs {
		if systems[c], err = parseConfig(name); err != nil {
			return err
		}
		path := indexFile(o.IndexDir, SystemGenestore, o.M, o.EfConstruction, systems[c].quantize)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("annbench: %w (build it first with bench ann --index-dir)", err)
		}
		heap0 := heapBytes()
		if err := systems[c].load(path, d); err != nil {
			return fmt.Errorf("annbench: %s: %w", path, err)
		}
		if ix := systems[c].ix; ix.Dim() != d.dim || ix.Len() != d.n {
			return fmt.Errorf("%w: %s holds %d vectors of dim %d, the data %d of dim %d", ErrData, path, ix.Len(), ix.Dim(), d.n, d.dim)
		}
		mem[c] = int64(heapBytes()) - int64(heap0)
	}
	enc := json.NewEncoder(out)
	var found []uint64
	for _, ef := range o.Ef {
		perRound := make([][]float64, len(systems)) // queries per CPU-s
		recall := make([]float64, len(systems))
		for c, sys := range systems {
			search := func(q []float32, out []uint64) ([]uint64, error) { return sys.search(ctx, q, o.K, ef, out) }
			if _, _, recall[c], err = timeQueries(search, d, d.gt, d.gtK, o.K, 1); err != nil {
				return err
			}
		}
		for range o.Rounds {
			for c, sys := range systems {
				c0, t0 := cputime.Seconds(), time.Now()
				for j := range o.Batch {
					i := j % d.nq
					if found, err = sys.search(ctx, d.query[i*d.dim:(i+1)*d.dim], o.K, ef, found[:0]); err != nil {
						return err
					}
				}
				sec := cputime.Seconds() - c0
				if sec <= 0 {
					sec = time.Since(t0).Seconds()
				}
				perRound[c] = append(perRound[c], float64(o.Batch)/sec)
			}
		}
		for c := range systems {
			ratios := make([]float64, o.Rounds)
			for r := range ratios {
				ratios[r] = perRound[c][r] / perRound[0][r]
			}
			slices.Sort(ratios)
			qps := slices.Sorted(slices.Values(perRound[c]))
			row := ABRow{Config: o.Configs[c], Ef: ef, K: o.K, Rounds: o.Rounds, Batch: o.Batch,
				QPSCPU: round(stats.MedianSorted(qps), 1), Ratio: round(stats.MedianSorted(ratios), 3),
				RatioMin: round(ratios[0], 3), RatioMax: round(ratios[len(ratios)-1], 3),
				RecallAt10: round(recall[c], 4), IndexMem: mem[c]}
			if err := enc.Encode(row); err != nil {
				return fmt.Errorf("annbench: %w", err)
			}
			fmt.Fprintf(log, "ef %d %-24s recall@%d %.4f  %8.0f queries per CPU-s  ×%.3f of %s (rounds %.2f–%.2f)  %.1f MiB\n",
				ef, o.Configs[c], o.K, recall[c], row.QPSCPU, row.Ratio, o.Configs[0], row.RatioMin, row.RatioMax, float64(mem[c])/(1<<20))
		}
	}
	return nil
}

// parseConfig reads a configuration ("int8+packed+rerank15") into the
// genestore system that runs it.
func parseConfig(name string) (*genestoreSystem, error) {
	parts := strings.Split(name, "+")
	q, err := index.ParseQuantization(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: configuration %q: %v", ErrOptions, name, err)
	}
	sys := &genestoreSystem{quantize: q.String()}
	for _, p := range parts[1:] {
		switch {
		case p == "packed":
			sys.pack = true
		case strings.HasPrefix(p, "upper"):
			if sys.upper, err = strconv.Atoi(strings.TrimPrefix(p, "upper")); err != nil || sys.upper < 1 {
				return nil, fmt.Errorf("%w: configuration %q: bad upper beam", ErrOptions, name)
			}
		case strings.HasPrefix(p, "rerank") && q == index.Int8:
			if sys.rerank, err = strconv.Atoi(strings.TrimPrefix(p, "rerank")); err != nil || sys.rerank < 0 {
				return nil, fmt.Errorf("%w: configuration %q: bad re-rank window", ErrOptions, name)
			}
		default:
			return nil, fmt.Errorf("%w: configuration %q: unknown part %q (want packed, upperN, or rerankN under int8)", ErrOptions, name, p)
		}
	}
	return sys, nil
}
