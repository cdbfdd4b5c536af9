package annbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"genestore/index"
	"genestore/internal/cputime"
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
	// of "+packed" (index.Index.PackLinks) and "+rerankN" (an int8
	// re-rank window of N), e.g. "int8+packed+rerank15".
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

type abConfig struct {
	name   string
	ix     *index.Index
	rerank int
	mem    int64
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
	floats := baseVectors{d.base, d.dim}
	var cs []abConfig
	for _, name := range o.Configs {
		parts := strings.Split(name, "+")
		q, err := index.ParseQuantization(parts[0])
		if err != nil {
			return fmt.Errorf("%w: configuration %q: %v", ErrOptions, name, err)
		}
		c := abConfig{name: name}
		pack := false
		for _, p := range parts[1:] {
			switch {
			case p == "packed":
				pack = true
			case strings.HasPrefix(p, "rerank") && q == index.Int8:
				if c.rerank, err = strconv.Atoi(strings.TrimPrefix(p, "rerank")); err != nil || c.rerank < 0 {
					return fmt.Errorf("%w: configuration %q: bad re-rank window", ErrOptions, name)
				}
			default:
				return fmt.Errorf("%w: configuration %q: unknown part %q (want packed, or rerankN under int8)", ErrOptions, name, p)
			}
		}
		path := filepath.Join(o.IndexDir, fmt.Sprintf("%s-M%d-efc%d-%s.index", SystemGenestore, o.M, o.EfConstruction, q))
		heap0 := heapBytes()
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("annbench: %w (build it first with bench ann --index-dir)", err)
		}
		c.ix, err = index.Read(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("annbench: %s: %w", path, err)
		}
		if c.ix.Dim() != d.dim || c.ix.Len() != d.n {
			return fmt.Errorf("%w: %s holds %d vectors of dim %d, the data %d of dim %d", ErrData, path, c.ix.Len(), c.ix.Dim(), d.n, d.dim)
		}
		if pack {
			c.ix.PackLinks()
		}
		c.mem = int64(heapBytes()) - int64(heap0)
		cs = append(cs, c)
	}
	enc := json.NewEncoder(out)
	for _, ef := range o.Ef {
		perRound := make([][]float64, len(cs)) // queries per CPU-s
		recall := make([]float64, len(cs))
		for c := range cs {
			opts := index.SearchOptions{Ef: ef}
			if cs[c].ix.Options().Quantize == index.Int8 {
				opts.Floats, opts.Rerank = floats, cs[c].rerank
			}
			hits := 0
			for i := range d.nq {
				res, err := cs[c].ix.Search(ctx, d.query[i*d.dim:(i+1)*d.dim], o.K, opts)
				if err != nil {
					return err
				}
				for _, r := range res {
					if slices.Contains(d.gt[i*d.gtK:i*d.gtK+o.K], int32(r.Key)) {
						hits++
					}
				}
			}
			recall[c] = float64(hits) / float64(d.nq*o.K)
		}
		for range o.Rounds {
			for c := range cs {
				opts := index.SearchOptions{Ef: ef}
				if cs[c].ix.Options().Quantize == index.Int8 {
					opts.Floats, opts.Rerank = floats, cs[c].rerank
				}
				c0 := cputime.Seconds()
				t0 := time.Now()
				for j := range o.Batch {
					i := j % d.nq
					if _, err := cs[c].ix.Search(ctx, d.query[i*d.dim:(i+1)*d.dim], o.K, opts); err != nil {
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
		for c := range cs {
			ratios := make([]float64, o.Rounds)
			for r := range ratios {
				ratios[r] = perRound[c][r] / perRound[0][r]
			}
			slices.Sort(ratios)
			qps := slices.Sorted(slices.Values(perRound[c]))
			row := ABRow{Config: cs[c].name, Ef: ef, K: o.K, Rounds: o.Rounds, Batch: o.Batch,
				QPSCPU: round(median(qps), 1), Ratio: round(median(ratios), 3),
				RatioMin: round(ratios[0], 3), RatioMax: round(ratios[len(ratios)-1], 3),
				RecallAt10: round(recall[c], 4), IndexMem: cs[c].mem}
			if err := enc.Encode(row); err != nil {
				return fmt.Errorf("annbench: %w", err)
			}
			fmt.Fprintf(log, "ef %d %-24s recall@%d %.4f  %8.0f queries per CPU-s  ×%.3f of %s (rounds %.2f–%.2f)  %.1f MiB\n",
				ef, cs[c].name, o.K, recall[c], row.QPSCPU, row.Ratio, cs[0].name, row.RatioMin, row.RatioMax, float64(cs[c].mem)/(1<<20))
		}
	}
	return nil
}

// median of sorted values.
func median(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
