package expr

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"genestore/internal/f32"
)

// Kind names one of the fitted predictors.
type Kind int

const (
	// Chosen is the per-gene convex blend picked on the validation split.
	Chosen Kind = iota
	// MLP is the D-GEX network.
	MLP
	// Ridge is ridge regression with a cross-validated penalty per target.
	Ridge
	// KNN is k-nearest-neighbour regression over landmark profiles.
	KNN
	// LeastSquares is plain (minimum-norm) linear regression, the D-GEX
	// paper's baseline.
	LeastSquares
)

// NumKinds is the number of Kinds; arrays indexed by Kind have this length.
const NumKinds = 5

var kindNames = [NumKinds]string{"chosen", "mlp", "ridge", "knn", "lstsq"}

// String returns the kind's short name ("chosen", "mlp", "ridge", "knn",
// "lstsq").
func (k Kind) String() string {
	if k < 0 || int(k) >= NumKinds {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n == s {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown model %q", ErrOptions, s)
}

// components are the models the blend mixes, in blend-weight order.
var components = [4]Kind{MLP, Ridge, KNN, LeastSquares}

// minLandmarks is the fewest landmarks a model is fitted on or predicts from.
const minLandmarks = 10

// Validation holds the scores of every model on the validation split of
// Fit. MAE values are in log-expression units.
type Validation struct {
	Rows   int      // validation samples
	Groups []string // held-out groups ("dataset/group"), empty for a row split
	// MeanMAE is the mean over targets of each model's validation MAE;
	// GeneMAE has the per-target values (nil for a model not fitted). The
	// Chosen figures are optimistic: the blend was picked on these rows.
	MeanMAE [NumKinds]float64
	GeneMAE [NumKinds][]float32
	// MLP training: epochs run, the epoch whose weights were kept and its
	// validation MSE on standardised targets.
	MLPEpochs, MLPBestEpoch int
	MLPValMSE               float64
	// K is the kNN neighbour count chosen.
	K int
	// PerGene reports whether the blend was chosen per gene (true) or one
	// blend for all genes (false). SelectionMAE holds the two-fold
	// cross-validated MAE of the two strategies on the validation rows
	// (one blend for all, per gene) that decided it.
	PerGene      bool
	SelectionMAE [2]float64
}

// Model is a fitted predictor of target genes from landmark genes: the
// MLP, ridge, kNN and least-squares models and the per-gene blend of them.
// It is safe for concurrent use by Predict and Evaluate.
type Model struct {
	landmarks, targets []string
	lMean, lScale      []float32 // pooled raw mean, sd after per-dataset centring
	tMean, tScale      []float32
	lCorr              []float32 // L × L correlation of centred landmarks
	net                *mlp      // nil when fitted with NoMLP
	hidden             []int
	dropout            float64
	ridgeW, lsW        []float32 // L × T, standardised units
	alpha              []float32 // per-target ridge penalty, multiple of the mean eigenvalue
	nn                 *knn
	blend              []float32 // T × 4 weights over components
	val                Validation
	threads            int
}

// Landmarks returns the model's input genes (a copy).
func (m *Model) Landmarks() []string { return append([]string(nil), m.landmarks...) }

// Targets returns the genes the model predicts (a copy).
func (m *Model) Targets() []string { return append([]string(nil), m.targets...) }

// Validation returns the validation scores recorded by Fit.
func (m *Model) Validation() Validation { return m.val }

// HasMLP reports whether the model includes the MLP.
func (m *Model) HasMLP() bool { return m.net != nil }

// Blend returns target t's weights over MLP, Ridge, KNN and LeastSquares
// (they sum to 1; all zero when t is out of range).
func (m *Model) Blend(t int) [4]float32 {
	var w [4]float32
	if t >= 0 && t < len(m.targets) {
		copy(w[:], m.blend[t*4:(t+1)*4])
	}
	return w
}

// Alpha returns target t's ridge penalty as a multiple of the mean
// eigenvalue of the standardised landmark Gram matrix (NaN when t is out
// of range).
func (m *Model) Alpha(t int) float64 {
	if t < 0 || t >= len(m.alpha) {
		return math.NaN()
	}
	return float64(m.alpha[t])
}

// Fit trains every model on the datasets and picks the per-gene blend on a
// validation split. See the package documentation for the recipe.
func Fit(ctx context.Context, data []Dataset, opts Options) (*Model, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: no datasets", ErrInput)
	}
	for i := range data {
		if err := data[i].check(); err != nil {
			return nil, err
		}
	}
	common, err := commonGenes(data)
	if err != nil {
		return nil, err
	}
	inAll := make(map[string]bool, len(common))
	for _, g := range common {
		inAll[g] = true
	}
	var lm []string
	if len(o.Landmarks) == 0 {
		n := o.AutoLandmarks
		if len(o.Targets) == 0 {
			// Leave at least half the shared genes to predict.
			n = min(n, max(len(common)/2, minLandmarks))
		}
		// Named targets are what the user wants predicted: not inputs,
		// unless they cover so much of the shared genes (a "predict any of
		// these" list, such as the cell model's genes) that too few
		// others are left; then the landmarks come from them as well.
		named := make(map[string]bool, len(o.Targets))
		for _, g := range o.Targets {
			named[g] = true
		}
		others := 0
		for _, g := range common {
			if !named[g] {
				others++
			}
		}
		if others < minLandmarks {
			named = nil
		}
		if lm, err = selectLandmarks(ctx, data, n, named); err != nil {
			return nil, err
		}
	} else {
		lm = keep(o.Landmarks, inAll, nil)
	}
	if len(lm) < minLandmarks {
		return nil, fmt.Errorf("%w: %d landmarks measured in every dataset, need %d", ErrLandmarks, len(lm), minLandmarks)
	}
	isL := map[string]bool{}
	for _, g := range lm {
		isL[g] = true
	}
	src := o.Targets
	if len(src) == 0 {
		src = mostVariable(data, keep(common, inAll, isL), o.MaxTargets)
	}
	tg := keep(src, inAll, isL)
	if len(tg) == 0 {
		return nil, fmt.Errorf("%w: no target gene is measured in every dataset besides the %d landmarks (%d genes are shared by all); name fewer landmarks or other targets", ErrInput, len(lm), len(common))
	}
	L, T := len(lm), len(tg)
	lMean, lSD, N := pooledStats(data, lm)
	tMean, tSD, _ := pooledStats(data, tg)
	if N < 4 {
		return nil, fmt.Errorf("%w: %d samples, need at least 4", ErrInput, N)
	}
	m := &Model{landmarks: lm, targets: tg, lMean: f32s(lMean), tMean: f32s(tMean),
		lScale: scales(lSD), tScale: scales(tSD), hidden: o.Hidden, dropout: o.Dropout, threads: o.Threads}
	x, y := make([]float32, N*L), make([]float32, N*T)
	keys := make([]string, N)
	row := 0
	for di := range data {
		d := &data[di]
		n := d.Rows()
		centre(d, lm, m.lScale, x[row*L:], n)
		centre(d, tg, m.tScale, y[row*T:], n)
		for r := range n {
			if len(d.Groups) > 0 {
				keys[row+r] = d.Name + "/" + d.Groups[r]
			}
		}
		row += n
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x65787072)) // "expr"
	tr, va, held := split(keys, o.ValFraction, rng)
	m.val.Rows, m.val.Groups = len(va), held
	if err := m.fitAll(ctx, x, y, tr, va, o, rng); err != nil {
		return nil, err
	}
	return m, nil
}

// fitAll fits the models on rows tr, scores them on va, picks the blend,
// then refits the linear and kNN models on every row.
func (m *Model) fitAll(ctx context.Context, x, y []float32, tr, va []int, o Options, rng *rand.Rand) error {
	L, T := len(m.landmarks), len(m.targets)
	N, nv := len(x)/L, len(va)
	xtr, ytr := gatherRows(x, L, tr), gatherRows(y, T, tr)
	xva, yva := gatherRows(x, L, va), gatherRows(y, T, va)
	dec, err := decompose(ctx, xtr, len(tr), L, ytr, T, o.Threads)
	if err != nil {
		return err
	}
	var preds [NumKinds][]float32
	m.alpha = make([]float32, T)
	if nv > 0 {
		alpha, rp, lp, err := dec.ridgeCV(ctx, xva, yva, nv, o.RidgeAlphas, o.Threads)
		if err != nil {
			return err
		}
		for t, a := range alpha {
			m.alpha[t] = float32(a)
		}
		preds[Ridge], preds[LeastSquares] = rp, lp
	} else {
		mid := o.RidgeAlphas[len(o.RidgeAlphas)/2]
		for t := range m.alpha {
			m.alpha[t] = float32(mid)
		}
	}
	m.nn = newKNN(dec, x, y, tr, o, rng)
	m.nn.setK(o.KNNKs[0])
	if nv > 0 {
		m.val.K, preds[KNN] = m.nn.chooseK(xva, yva, nv, o.KNNKs, o.Threads)
	}
	m.val.K = m.nn.k
	if !o.NoMLP {
		sizes := append(append([]int{L}, o.Hidden...), T)
		m.net = newMLP(sizes, rng)
		fit, err := trainMLP(ctx, m.net, x, y, tr, va, o, rng)
		if err != nil {
			return err
		}
		m.val.MLPEpochs, m.val.MLPBestEpoch, m.val.MLPValMSE = fit.epochs, fit.bestEpoch, fit.bestVal
		if nv > 0 {
			preds[MLP] = make([]float32, nv*T)
			m.net.predict(xva, nv, preds[MLP], o.Threads)
		}
	}
	m.chooseBlend(preds, yva, nv)
	// Refit the closed-form models on all rows with the chosen penalties.
	if err := ctx.Err(); err != nil {
		return err
	}
	all := make([]int, N)
	for i := range all {
		all[i] = i
	}
	full, err := decompose(ctx, x, N, L, y, T, o.Threads)
	if err != nil {
		return err
	}
	unit := full.meanLam()
	if unit <= 0 {
		unit = 1 // no landmark varies: as ridgeCV, else 1/(0+0) makes NaN weights
	}
	m.ridgeW = full.weights(func(k, t int) float64 { return 1 / (full.lam[k] + float64(m.alpha[t])*unit) }, o.Threads)
	m.lsW = full.weights(full.lsFilter(), o.Threads)
	k := m.nn.k
	m.nn = newKNN(full, x, y, all, o, rng)
	m.nn.setK(k)
	m.lCorr = make([]float32, L*L)
	f32.Gemm(o.Threads, true, false, L, L, N, x, L, x, L, false, m.lCorr, L)
	for i := range m.lCorr {
		m.lCorr[i] /= float32(N)
	}
	return ctx.Err()
}

// newKNN builds a kNN model on the principal axes of dec with reference
// rows drawn from rows (a seeded subset when there are more than
// o.KNNMaxRef).
func newKNN(dec *decomp, x, y []float32, rows []int, o Options, rng *rand.Rand) *knn {
	L, T := dec.L, dec.T
	ref := rows
	if len(ref) > o.KNNMaxRef {
		perm := rng.Perm(len(ref))[:o.KNNMaxRef]
		sub := make([]int, len(perm))
		for i, p := range perm {
			sub[i] = ref[p]
		}
		ref = sub
	}
	p := min(o.KNNDims, dec.r)
	n := &knn{L: L, T: T, p: p, proj: dec.projection(p)}
	n.ref = n.project(gatherRows(x, L, ref), len(ref), o.Threads)
	n.refY = gatherRows(y, T, ref)
	return n
}

// blendGrid lists the convex weights tried: every point of the simplex
// over the components marked in have, with steps of 1/4, the pure models
// first (ridge before the others, so that ties keep ridge).
func blendGrid(have [4]bool) [][4]float32 {
	var g [][4]float32
	order := [4]int{1, 0, 2, 3}
	for _, c := range order {
		if have[c] {
			var w [4]float32
			w[c] = 1
			g = append(g, w)
		}
	}
	for a := 0; a <= 4; a++ {
		for b := 0; a+b <= 4; b++ {
			for c := 0; a+b+c <= 4; c++ {
				d := 4 - a - b - c
				w := [4]float32{float32(a) / 4, float32(b) / 4, float32(c) / 4, float32(d) / 4}
				ok, pure := true, false
				for i := range w {
					if w[i] > 0 && !have[i] {
						ok = false
					}
					if w[i] == 1 {
						pure = true
					}
				}
				if ok && !pure {
					g = append(g, w)
				}
			}
		}
	}
	return g
}

// chooseBlend scores every model and every blend on the validation rows
// and keeps the best blend, per gene or one for all genes, whichever wins
// a two-fold cross-validation on the validation rows (ridge alone when
// there are no validation rows).
func (m *Model) chooseBlend(preds [NumKinds][]float32, yva []float32, nv int) {
	T := len(m.targets)
	m.blend = make([]float32, T*4)
	var have [4]bool
	for c, k := range components {
		// Least squares stays out of the blend: it is the baseline, and its
		// behaviour changes the most between the validation fit and the
		// refit on all rows (near n = L it goes from regularised by the
		// minimum norm to barely determined).
		have[c] = preds[k] != nil && k != LeastSquares
	}
	if nv == 0 || !have[1] {
		for t := range T {
			m.blend[t*4+1] = 1
		}
		return
	}
	for _, k := range components {
		if preds[k] == nil {
			continue
		}
		g := make([]float32, T)
		var s float64
		for t := range T {
			var e float64
			for i := range nv {
				e += math.Abs(float64(preds[k][i*T+t] - yva[i*T+t]))
			}
			g[t] = float32(e / float64(nv) * float64(m.tScale[t]))
			s += float64(g[t])
		}
		m.val.GeneMAE[k], m.val.MeanMAE[k] = g, s/float64(T)
	}
	grid := blendGrid(have)
	// e[h][g*T+t]: absolute error of blend g on target t summed over the
	// validation rows of half h (even and odd positions).
	var e [2][]float64
	e[0], e[1] = make([]float64, len(grid)*T), make([]float64, len(grid)*T)
	for gi, w := range grid {
		for i := range nv {
			row := e[i%2][gi*T : (gi+1)*T]
			for t := range T {
				var p float32
				for c, k := range components {
					if w[c] != 0 {
						p += w[c] * preds[k][i*T+t]
					}
				}
				row[t] += math.Abs(float64(p - yva[i*T+t]))
			}
		}
	}
	sum := func(h int, gi, t int) float64 {
		v := 0.0
		if h != 1 {
			v += e[0][gi*T+t]
		}
		if h != 0 {
			v += e[1][gi*T+t]
		}
		return v * float64(m.tScale[t])
	}
	// pick returns the blend per target chosen on half h (2: all rows),
	// per gene or one for all genes.
	pick := func(h int, perGene bool) []int {
		ch := make([]int, T)
		if perGene {
			for t := range T {
				bestE := math.Inf(1)
				for gi := range grid {
					if v := sum(h, gi, t); v < bestE-1e-9 {
						bestE, ch[t] = v, gi
					}
				}
			}
			return ch
		}
		bg, bestE := 0, math.Inf(1)
		for gi := range grid {
			var v float64
			for t := range T {
				v += sum(h, gi, t)
			}
			if v < bestE-1e-9 {
				bg, bestE = gi, v
			}
		}
		for t := range ch {
			ch[t] = bg
		}
		return ch
	}
	// Two-fold check of the strategy: choose on one half, score on the
	// other. Per-gene choice wins only if it generalises.
	var cv [2]float64
	for s, perGene := range []bool{false, true} {
		for h := range 2 {
			for t, gi := range pick(h, perGene) {
				cv[s] += sum(1-h, gi, t)
			}
		}
	}
	m.val.PerGene = nv >= 2 && cv[1] < cv[0]
	m.val.SelectionMAE = [2]float64{cv[0] / float64(nv*T), cv[1] / float64(nv*T)}
	best := make([]float32, T)
	var s float64
	for t, gi := range pick(2, m.val.PerGene) {
		copy(m.blend[t*4:(t+1)*4], grid[gi][:])
		best[t] = float32(sum(2, gi, t) / float64(nv))
		s += float64(best[t])
	}
	m.val.GeneMAE[Chosen], m.val.MeanMAE[Chosen] = best, s/float64(T)
}

// split holds out a share frac of the rows for validation: whole groups
// when keys has any (rows with an empty key are units of their own), else
// single rows. Units are shuffled by rng and taken until the share is
// reached, skipping a unit that would take the held-out rows past 1.5×
// the share (a large group drawn first once held out most of the data);
// when every unit is that large the smallest is held out. At least one
// unit stays in training and, with two or more rows, at least one row is
// held out.
func split(keys []string, frac float64, rng *rand.Rand) (tr, va []int, held []string) {
	N := len(keys)
	unitOf := map[string]int{}
	var units [][]int
	var names []string
	for r, k := range keys {
		if k == "" {
			units = append(units, []int{r})
			names = append(names, "")
			continue
		}
		u, ok := unitOf[k]
		if !ok {
			u = len(units)
			unitOf[k] = u
			units = append(units, nil)
			names = append(names, k)
		}
		units[u] = append(units[u], r)
	}
	if len(units) < 2 { // one group: fall back to single rows
		units, names = units[:0], names[:0]
		for r := range N {
			units = append(units, []int{r})
			names = append(names, "")
		}
	}
	perm := rng.Perm(len(units))
	want := int(math.Round(frac * float64(N)))
	if N >= 2 {
		want = max(want, 1)
	}
	isVal := make([]bool, N)
	n, taken := 0, 0
	limit := want + want/2
	take := func(u int) {
		for _, r := range units[u] {
			isVal[r] = true
		}
		n += len(units[u])
		taken++
		if names[u] != "" {
			held = append(held, names[u])
		}
	}
	for _, u := range perm {
		if n >= want || taken == len(units)-1 {
			break
		}
		if n+len(units[u]) > limit {
			continue
		}
		take(u)
	}
	if n == 0 && want > 0 && len(units) >= 2 {
		smallest := perm[0]
		for _, u := range perm {
			if len(units[u]) < len(units[smallest]) {
				smallest = u
			}
		}
		take(smallest)
	}
	for r := range N {
		if isVal[r] {
			va = append(va, r)
		} else {
			tr = append(tr, r)
		}
	}
	return tr, va, held
}

// centre writes rows × len(genes) values of d: each gene minus the
// dataset's mean, divided by scale.
func centre(d *Dataset, genes []string, scale []float32, dst []float32, rows int) {
	cols := d.columns(genes)
	mean := d.colMeans(cols)
	n := len(genes)
	d.gather(dst, cols, 0, rows, nil)
	for r := range rows {
		v := dst[r*n : (r+1)*n]
		for j := range n {
			v[j] = float32((float64(v[j]) - mean[j]) / float64(scale[j]))
		}
	}
}

// keep returns the names in src that are in in and not in out, without
// duplicates, in src's order.
// mostVariable returns the n genes of largest pooled standard deviation
// (ties: the earlier gene), in genes' order; all of genes when n is 0 or
// not below len(genes).
func mostVariable(data []Dataset, genes []string, n int) []string {
	if n <= 0 || n >= len(genes) {
		return genes
	}
	_, sd, _ := pooledStats(data, genes)
	idx := make([]int, len(genes))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return sd[idx[a]] > sd[idx[b]] })
	idx = idx[:n]
	sort.Ints(idx)
	out := make([]string, n)
	for i, j := range idx {
		out[i] = genes[j]
	}
	return out
}

func keep(src []string, in, out map[string]bool) []string {
	seen := map[string]bool{}
	var k []string
	for _, g := range src {
		if in[g] && !out[g] && !seen[g] {
			seen[g] = true
			k = append(k, g)
		}
	}
	return k
}

func f32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// scales turns standard deviations into divisors: 1 for genes that do not
// vary (they are predicted at their mean).
func scales(sd []float64) []float32 {
	out := make([]float32, len(sd))
	for i, s := range sd {
		if s > 1e-6 {
			out[i] = float32(s)
		} else {
			out[i] = 1
		}
	}
	return out
}
