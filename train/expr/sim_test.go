package expr

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var long = flag.Bool("long", false, "run long tests")

// simData generates datasets whose genes are driven by P shared latent
// programs: landmarks are noisy, mildly nonlinear mixtures of the
// programs; targets are strongly nonlinear functions of them (products,
// rectified sums, saturations), so a linear map from landmarks misses
// part of each target. Each dataset adds its own per-gene offset (a batch
// effect) that dataset-specific centring must remove.
func simData(seed uint64, datasets, cells, L, T, P int) []Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	wl := make([]float64, L*P)
	for i := range wl {
		wl[i] = rng.NormFloat64() / math.Sqrt(float64(P))
	}
	type tgt struct {
		a, b     int
		kind     int
		wa, wb   float64
		lin      []float64
		amp, off float64
	}
	ts := make([]tgt, T)
	for t := range ts {
		x := tgt{a: rng.IntN(P), b: rng.IntN(P), kind: t % 3, wa: 1 + rng.Float64(), wb: 1 + rng.Float64(), amp: 0.5 + rng.Float64(), off: 2 * rng.Float64()}
		for x.b == x.a {
			x.b = rng.IntN(P)
		}
		x.lin = make([]float64, P)
		for p := range x.lin {
			x.lin[p] = 0.3 * rng.NormFloat64() / math.Sqrt(float64(P))
		}
		ts[t] = x
	}
	genes := make([]string, L+T)
	for j := range L {
		genes[j] = fmt.Sprintf("L%03d", j)
	}
	for t := range T {
		genes[L+t] = fmt.Sprintf("T%04d", t)
	}
	var out []Dataset
	z := make([]float64, P)
	for d := range datasets {
		off := make([]float64, L+T)
		for j := range off {
			off[j] = 0.5 * rng.NormFloat64()
		}
		x := make([]float32, cells*(L+T))
		for c := range cells {
			for p := range z {
				z[p] = rng.NormFloat64()
			}
			row := x[c*(L+T) : (c+1)*(L+T)]
			for j := range L {
				var s float64
				for p := range P {
					s += wl[j*P+p] * z[p]
				}
				row[j] = float32(2 + off[j] + math.Tanh(s) + 0.15*rng.NormFloat64())
			}
			for t, g := range ts {
				za, zb := z[g.a], z[g.b]
				var v float64
				switch g.kind {
				case 0:
					v = 0.6 * za * zb
				case 1:
					v = math.Max(0, g.wa*za+g.wb*zb) - 0.6
				default:
					v = math.Tanh(2*za) * math.Tanh(2*zb)
				}
				for p := range P {
					v += g.lin[p] * z[p]
				}
				row[L+t] = float32(g.off + off[L+t] + g.amp*v + 0.15*rng.NormFloat64())
			}
		}
		out = append(out, Dataset{Name: fmt.Sprintf("D%d", d), Genes: genes, X: x})
	}
	return out
}

func simLandmarks(L int) []string {
	var s []string
	for j := range L {
		s = append(s, fmt.Sprintf("L%03d", j))
	}
	return s
}

// TestSimulatedBeatsLinear is the done-when of the package: on held-out
// cells of an unseen batch, the MLP or the chosen blend has MAE ≤ 0.9× plain
// linear regression's and beats it on ≥ 80% of targets.
func TestSimulatedBeatsLinear(t *testing.T) {
	start := time.Now()
	data := simData(1, 3, 1500, 60, 200, 6)
	train, test := data[:2], data[2]
	o := DefaultOptions()
	o.Landmarks = simLandmarks(60)
	o.Hidden = []int{256}
	o.Epochs = 150
	o.Seed = 3
	m, err := Fit(context.Background(), train, o)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := m.Evaluate(context.Background(), &test, PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Validation()
	t.Logf("val: rows %d, K %d, MLP epochs %d (best %d, mse %.4f), per-gene blend %v", v.Rows, v.K, v.MLPEpochs, v.MLPBestEpoch, v.MLPValMSE, v.PerGene)
	for k := range Kind(NumKinds) {
		t.Logf("%-7s test MAE %.4f  r %.3f  beats linear %.1f%%  (val MAE %.4f)", k, ev.MeanMAE[k], ev.MeanR[k], 100*ev.BeatsLinear[k], v.MeanMAE[k])
	}
	t.Logf("took %v", time.Since(start))
	lin := ev.MeanMAE[LeastSquares]
	ok := false
	for _, k := range []Kind{MLP, Chosen} {
		if ev.MeanMAE[k] <= 0.9*lin && ev.BeatsLinear[k] >= 0.8 {
			ok = true
		}
	}
	if !ok {
		t.Errorf("neither MLP (%.4f, %.0f%%) nor chosen (%.4f, %.0f%%) reaches 0.9× linear MAE %.4f on ≥ 80%% of targets",
			ev.MeanMAE[MLP], 100*ev.BeatsLinear[MLP], ev.MeanMAE[Chosen], 100*ev.BeatsLinear[Chosen], lin)
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 2)) }
