package grn

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"genestore/internal/prauc"
)

// simNet is a small simulated multi-view regulatory network: TFs 0..nTF-1
// drive targets through Hill functions (activation or repression), TF t
// sometimes regulates TF t+1 (a cascade), and the root TFs follow a shared
// cell state (so they correlate, and |Pearson| sees indirect partners).
// Each view rewires some edges to other targets and has its own cells.
type simNet struct {
	genes, tfs int
	truth      []Known // the consensus network
	views      []View
}

func simulateNet(seed uint64, genes, tfs, perTF int, cells []int, rewire, dropout float64) *simNet {
	rng := rand.New(rand.NewPCG(seed, 77))
	s := &simNet{genes: genes, tfs: tfs}
	seen := map[int64]bool{}
	add := func(r, t int, sign int8) {
		if r != t && !seen[pairKey(r, t)] {
			seen[pairKey(r, t)] = true
			s.truth = append(s.truth, Known{Regulator: int32(r), Target: int32(t), Sign: sign})
		}
	}
	sign := func() int8 {
		if rng.Float64() < 0.7 {
			return 1
		}
		return -1
	}
	for t := range tfs {
		if t+1 < tfs && rng.Float64() < 0.4 {
			add(t, t+1, 1)
		}
		for range perTF {
			add(t, tfs+rng.IntN(genes-tfs), sign())
		}
	}
	phase := make([]float64, tfs)
	for t := range phase {
		phase[t] = rng.Float64() * 2 * math.Pi
	}
	for vi, nc := range cells {
		edges := slices.Clone(s.truth)
		for i := range edges {
			if rng.Float64() < rewire {
				edges[i].Target = int32(tfs + rng.IntN(genes-tfs))
			}
		}
		regs := make([][]Known, genes)
		for _, e := range edges {
			regs[e.Target] = append(regs[e.Target], e)
		}
		weight := map[int64]float64{}
		for _, e := range edges {
			weight[pairKey(int(e.Regulator), int(e.Target))] = 1 + 2*rng.Float64()
		}
		level := make([]float64, nc*genes)
		state := make([]float64, nc)
		for c := range state {
			state[c] = rng.Float64()
		}
		med := make([]float64, genes)
		for g := range genes { // genes in index order: TFs (cascade order), then targets
			col := make([]float64, nc)
			for c := range nc {
				var x float64
				switch {
				case len(regs[g]) == 0 && g < tfs:
					x = math.Exp(1.2*math.Sin(2*math.Pi*state[c]+phase[g]) + 0.5*rng.NormFloat64())
				case len(regs[g]) == 0:
					x = math.Exp(0.5 * rng.NormFloat64())
				default:
					x = 0.1
					for _, e := range regs[g] {
						r := level[c*genes+int(e.Regulator)]
						k := med[e.Regulator]
						h := r * r / (k*k + r*r)
						if e.Sign < 0 {
							h = 1 - h
						}
						x += weight[pairKey(int(e.Regulator), g)] * h
					}
					x *= math.Exp(0.25 * rng.NormFloat64())
				}
				level[c*genes+g], col[c] = x, x
			}
			slices.Sort(col)
			med[g] = col[nc/2]
		}
		v := View{Name: string(rune('A' + vi)), Cells: nc, Genes: genes, X: make([]float32, nc*genes)}
		for c := range nc {
			lib := math.Exp(0.3 * rng.NormFloat64())
			for g := range genes {
				n := poisson(rng, 3*level[c*genes+g]*lib)
				if rng.Float64() < dropout {
					n = 0
				}
				v.X[c*genes+g] = float32(math.Log1p(float64(n)))
			}
		}
		s.views = append(s.views, v)
	}
	return s
}

func poisson(rng *rand.Rand, mean float64) int {
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p < l {
			return k
		}
		k++
	}
}

// evalSplit scores every ordered pair (r, t), r in regs, against the truth.
func evalAUPRC(truth map[int64]bool, regs []int, genes int, score func(r, t int) float64) float64 {
	var pos, neg []float64
	for _, r := range regs {
		for t := range genes {
			if t == r {
				continue
			}
			if s := score(r, t); truth[pairKey(r, t)] {
				pos = append(pos, s)
			} else {
				neg = append(neg, s)
			}
		}
	}
	return prauc.AveragePrecision(pos, neg)
}

// pearsonScore is mean |Pearson r| over the views.
func pearsonScore(views []View) func(r, t int) float64 {
	p := prepare(views, 4, 0, 1, false)
	return func(r, t int) float64 {
		s := 0.0
		for v := range p.views {
			s += math.Abs(float64(p.corr(v, r, t)))
		}
		return s / float64(len(p.views))
	}
}

// simRun trains on the edges of the first half of the TFs and returns the
// AUPRC of the model and of |Pearson| on the other half's edges.
func simRun(t *testing.T, seed uint64, o Options) (model, pearson, density float64, rep *Report) {
	return simRunCfg(t, seed, o, simCfg{perTF: 8, cells: []int{500, 400, 450}})
}

type simCfg struct {
	perTF   int
	cells   []int
	dropout float64
}

func simRunCfg(t *testing.T, seed uint64, o Options, cfg simCfg) (model, pearson, density float64, rep *Report) {
	t.Helper()
	s := simulateNet(seed, 60, 12, cfg.perTF, cfg.cells, 0.15, cfg.dropout)
	truth := map[int64]bool{}
	var known []Known
	var trainTF, testTF []int
	for tf := range s.tfs {
		if tf%2 == 0 {
			trainTF = append(trainTF, tf)
		} else {
			testTF = append(testTF, tf)
		}
	}
	for _, e := range s.truth {
		truth[pairKey(int(e.Regulator), int(e.Target))] = true
		if e.Regulator%2 == 0 {
			known = append(known, e)
		}
	}
	o.Regulators = trainTF
	o.Seed = seed
	m, rep, err := Train(context.Background(), s.views, known, o)
	if err != nil {
		t.Fatal(err)
	}
	scores := map[int64]float64{}
	err = m.Score(context.Background(), s.views, nil, testTF, nil, func(e Edge) error {
		scores[pairKey(int(e.Regulator), int(e.Target))] = e.Score
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	model = evalAUPRC(truth, testTF, s.genes, func(r, t int) float64 { return scores[pairKey(r, t)] })
	pearson = evalAUPRC(truth, testTF, s.genes, pearsonScore(s.views))
	npos := 0
	for k := range truth {
		if int(k>>32)%2 == 1 {
			npos++
		}
	}
	return model, pearson, float64(npos) / float64(len(testTF)*(s.genes-1)), rep
}

// simOptions is a small network that trains in seconds.
func simOptions() Options {
	return Options{Bins: 16, Conv1: 8, Conv2: 16, Hidden: 64, Embed: 32, Head: 16, Neighbours: -1, Epochs: 8, EpochPairs: 1024, BatchSize: 16, NegRatio: 3, LR: 2e-3}
}

// TestSimulatedQuality trains on the edges of half the TFs and scores the
// other half's. Measured (5 seeds, -long; this configuration, 18:45 UTC
// 2026-12-04): model AUPRC 0.340, 0.394, 0.322, 0.269, 0.472 (mean 0.36),
// single-view 0.225, 0.334, 0.445, 0.256, 0.321 (mean 0.32), |Pearson|
// 0.407, 0.430, 0.392, 0.338, 0.376 (mean 0.39), edge density 0.13. The
// model does NOT beat |Pearson| on held-out regulators here; the test
// asserts only what held on every seed: well above the edge density.
func TestSimulatedQuality(t *testing.T) {
	seeds := []uint64{1}
	if *long {
		seeds = []uint64{1, 2, 3, 4, 5}
	}
	for _, seed := range seeds {
		m, p, dens, rep := simRun(t, seed, simOptions())
		so := simOptions()
		so.SingleView = true
		sv, _, _, srep := simRun(t, seed, so)
		t.Logf("seed %d: AUPRC model %.3f, single-view %.3f, |Pearson| %.3f, density %.3f (epochs %d/%d best %d/%d, %.1f s + %.1f s)",
			seed, m, sv, p, dens, rep.Epochs, srep.Epochs, rep.BestEpoch, srep.BestEpoch, rep.Seconds, srep.Seconds)
		if m < 1.8*dens {
			t.Errorf("seed %d: model AUPRC %.3f < 1.8 × edge density %.3f", seed, m, dens)
		}
	}
}
