package gnn

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"time"

	"genestore/internal/sets"
	"genestore/train/optim"
)

// EpochLog is one line of the training log.
type EpochLog struct {
	Epoch    int     // 1-based
	Loss     float64 // total training loss
	BCE      float64 // edge reconstruction, summed over trained datasets
	Cosine   float64 // Jaccard-weighted cross-dataset cosine loss (unweighted by CosineWeight)
	Contrast float64 // InfoNCE loss (unweighted by ContrastWeight)
	HeldOut  float64 // held-out edge BCE before this epoch's step (NaN without hold-out)
	Seconds  float64 // wall time of the epoch
}

// Result is what Train returns besides the model.
type Result struct {
	PerDataset []Embedding // one per input, in input order
	Consensus  Embedding   // see Model.Consensus
	Log        []EpochLog
	BestEpoch  int // the epoch whose parameters were kept (early stopping)
}

// Progress is called after every epoch with the 1-based epoch, the epoch
// budget and the epoch's training loss.
type Progress func(epoch, total int, loss float64)

// run is the working state of one dataset during training.
type run struct {
	st    *datasetState
	fixed bool // vectors are constants (an existing dataset during AddDataset)
	n     int
	F     []float32 // n × p gene profiles
	p     int
	adj   *adjacency
	pos   [][2]int32 // training edges
	walk  *walker    // over pos, weighted; nil when positives are the edges themselves
	held  [][2]int32 // held-out edges
	hneg  [][2]int32 // fixed negatives for the held-out loss
	nbr   [][]uint32 // global neighbour ids per gene (all positive edges)
	local map[uint32]int32
	// grads[l] holds the (W, B) params of layer l of t.layers(r), both nil
	// when the layer is frozen; nil for a fixed run
	grads [][2]*optim.Param
	// forward buffers: Q[l] pre-activation of layer l, H[l] = relu(Q[l])
	Q, H [][]float32
	// transformer layers only (nil elsewhere): proj[l] = in·W, alpha[l] the
	// attention weights; de is backward scratch, rev the adjacency's
	// reverse index
	proj, alpha [][]float32
	de          []float32
	rev         []int32
	P           []float32 // scratch n × maxWidth
	dZ          []float32
	dQ          []float32
	dH          []float32
}

func (r *run) Z() []float32 {
	if r.fixed {
		return r.st.Vecs
	}
	return r.Q[len(r.Q)-1]
}

// crossPair couples two datasets through their shared genes.
type crossPair struct {
	a, b   *run
	ia, ib []int32   // local indices of the shared genes
	w      []float32 // Jaccard overlap of the gene's neighbourhoods
	wsum   float64
}

type trainer struct {
	opts    Options
	shared  []layer
	runs    []*run
	pairs   []crossPair
	params  []*optim.Param
	rng     *rand.Rand
	opt     *optim.Adam
	scratch []float32
	// stableBatches counts the InfoNCE batches whose softmax sums
	// underflowed at 1/τ and were recomputed per row and column maximum.
	stableBatches int
}

func (t *trainer) layers(r *run) []layer {
	return append([]layer{r.st.Layer}, t.shared...)
}

// newTrainable prepares a dataset to train: its state with a fresh input
// layer and its run, whose grads hold that layer's (W, B) params; the
// caller appends the shared layers' entries.
func newTrainable(in DatasetInput, opts Options, rng *rand.Rand) *run {
	st := &datasetState{Name: in.Name, Genes: append([]uint32(nil), in.Genes...), Cells: in.X.Rows}
	r := newRun(in, st, opts, rng)
	st.Layer = newLayer(r.p, opts.Hidden, rng)
	r.grads = [][2]*optim.Param{{optim.NewParam(st.Layer.W), optim.NewParam(st.Layer.B)}}
	return r
}

// newSharedLayers initialises the shared layers: Hidden wide, the last
// mapping to Dim.
func newSharedLayers(opts Options, rng *rand.Rand) []layer {
	out := make([]layer, opts.SharedLayers)
	for l := range out {
		in, o := opts.sharedShape(l)
		out[l] = newConvLayer(in, o, opts.sharedHeads(), rng)
	}
	return out
}

// newRun prepares one trainable dataset.
func newRun(in DatasetInput, st *datasetState, opts Options, rng *rand.Rand) *run {
	r := &run{st: st, n: in.X.Cols}
	r.F, r.p = profiles(in.X, opts.MaxProfile, rng)
	all, weight := positiveEdges(in.Edges)
	st.Edges = all
	r.setGraph(all)
	perm := rng.Perm(len(all))
	nHeld := 0
	if opts.HoldOut > 0 && len(all) >= 20 {
		nHeld = int(math.Round(opts.HoldOut * float64(len(all))))
	}
	isHeld := make([]bool, len(all))
	for _, i := range perm[:nHeld] {
		isHeld[i] = true
	}
	var posW []float32
	for i, e := range all {
		if isHeld[i] {
			r.held = append(r.held, e)
		} else {
			r.pos = append(r.pos, e)
			posW = append(posW, weight[i])
		}
	}
	r.hneg = randomPairs(rng, r.n, len(r.held))
	r.adj = normalizedAdjacency(r.n, r.pos)
	if opts.WalkRestart < 1 && len(r.pos) > 0 {
		r.walk = newWalker(r.n, r.pos, posW, opts.WalkRestart, opts.WalkSteps)
	}
	return r
}

func (r *run) setGraph(all [][2]int32) {
	r.nbr = globalNeighbours(r.st.Genes, all)
	r.local = make(map[uint32]int32, len(r.st.Genes))
	for i, g := range r.st.Genes {
		r.local[g] = int32(i)
	}
}

func randomPairs(rng *rand.Rand, n, k int) [][2]int32 {
	out := make([][2]int32, k)
	for i := range out {
		a := rng.Intn(n)
		b := rng.Intn(n - 1)
		if b >= a {
			b++
		}
		out[i] = [2]int32{int32(a), int32(b)}
	}
	return out
}

func (t *trainer) allocate(r *run) {
	ls := t.layers(r)
	r.Q = make([][]float32, len(ls))
	r.H = make([][]float32, len(ls))
	r.proj = make([][]float32, len(ls))
	r.alpha = make([][]float32, len(ls))
	width, heads := 0, 0
	for i, l := range ls {
		r.Q[i] = make([]float32, r.n*l.Out)
		if i < len(ls)-1 {
			r.H[i] = make([]float32, r.n*l.Out)
		}
		if l.Heads > 0 {
			r.proj[i] = make([]float32, r.n*l.cols())
			r.alpha[i] = make([]float32, len(r.adj.idx)*l.Heads)
			heads = max(heads, l.Heads)
		}
		width = max(width, l.cols(), l.In)
	}
	if heads > 0 {
		r.de = make([]float32, len(r.adj.idx)*heads)
		r.rev = r.adj.reverseIndex()
	}
	r.P = make([]float32, r.n*width)
	r.dQ = make([]float32, r.n*width)
	r.dH = make([]float32, r.n*width)
	r.dZ = make([]float32, r.n*t.opts.Dim)
}

// pairUp builds the cross-dataset couplings among runs where at least one
// side is trainable.
func (t *trainer) pairUp() {
	for i := 0; i < len(t.runs); i++ {
		for j := i + 1; j < len(t.runs); j++ {
			a, b := t.runs[i], t.runs[j]
			if a.fixed && b.fixed {
				continue
			}
			cp := crossPair{a: a, b: b}
			for ia, g := range a.st.Genes {
				ib, ok := b.local[g]
				if !ok {
					continue
				}
				w := sets.Jaccard(a.nbr[ia], b.nbr[ib])
				cp.ia = append(cp.ia, int32(ia))
				cp.ib = append(cp.ib, ib)
				cp.w = append(cp.w, float32(w))
				cp.wsum += w
			}
			if len(cp.ia) > 0 {
				t.pairs = append(t.pairs, cp)
			}
		}
	}
}

// forward computes every layer of a trainable run.
func (t *trainer) forward(r *run) {
	ls := t.layers(r)
	in, inDim := r.F, r.p
	for l, L := range ls {
		Q, C := r.Q[l], L.cols()
		P := r.P[:r.n*C]
		if L.Heads > 0 {
			P = r.proj[l] // kept for the backward pass
		}
		gemm(false, false, r.n, C, inDim, 1, in, inDim, L.W, C, 0, P, C)
		if L.Heads > 0 {
			r.adj.attend(L, P, r.alpha[l], Q)
		} else {
			r.adj.spmm(P, L.Out, Q)
			for i := 0; i < r.n; i++ {
				row := Q[i*L.Out : (i+1)*L.Out]
				for k, b := range L.B {
					row[k] += b
				}
			}
		}
		if l < len(ls)-1 {
			H := r.H[l]
			for i, v := range Q {
				H[i] = max(v, 0)
			}
			in, inDim = H, L.Out
		}
	}
}

// backward accumulates the gradients of r.grads from r.dZ.
func (t *trainer) backward(r *run) {
	ls := t.layers(r)
	dQ := r.dZ
	for l := len(ls) - 1; l >= 0; l-- {
		L := ls[l]
		if g := r.grads[l]; g[0] != nil {
			for i := 0; i < r.n; i++ {
				row := dQ[i*L.Out : (i+1)*L.Out]
				for k, v := range row {
					g[1].G[k] += v
				}
			}
		}
		C := L.cols()
		dP := r.P[:r.n*C]
		if L.Heads > 0 {
			r.adj.attendBack(L, r.proj[l], r.alpha[l], dQ, r.de, r.rev, dP)
		} else {
			r.adj.spmm(dQ, L.Out, dP) // Â is symmetric: Âᵀ·dQ = Â·dQ
		}
		in, inDim := r.F, r.p
		if l > 0 {
			in, inDim = r.H[l-1], ls[l-1].Out
		}
		if g := r.grads[l]; g[0] != nil {
			gemm(true, false, inDim, C, r.n, 1, in, inDim, dP, C, 1, g[0].G, C)
		}
		if l == 0 {
			break
		}
		dH := r.dH[:r.n*inDim]
		gemm(false, true, r.n, inDim, C, 1, dP, C, L.W, C, 0, dH, inDim)
		Qp := r.Q[l-1]
		next := r.dQ[:r.n*inDim]
		for i, v := range dH {
			if Qp[i] > 0 {
				next[i] = v
			} else {
				next[i] = 0
			}
		}
		dQ = next
	}
}

// bce adds the edge-reconstruction loss of pos (label 1) and neg (label 0)
// pairs, averaged over all pairs; with grad it accumulates ∂loss/∂Z into dZ.
func bce(Z []float32, dim int, pos, neg [][2]int32, dZ []float32) float64 {
	N := float64(len(pos) + len(neg))
	if N == 0 {
		return 0
	}
	loss := 0.0
	one := func(e [2]int32, y float64) {
		zi := Z[int(e[0])*dim : int(e[0]+1)*dim]
		zj := Z[int(e[1])*dim : int(e[1]+1)*dim]
		s := float64(dot(zi, zj))
		if y == 1 {
			loss += softplus(-s)
		} else {
			loss += softplus(s)
		}
		if dZ == nil {
			return
		}
		g := float32((sigmoid(s) - y) / N)
		di := dZ[int(e[0])*dim : int(e[0]+1)*dim]
		dj := dZ[int(e[1])*dim : int(e[1]+1)*dim]
		for k := range zi {
			di[k] += g * zj[k]
			dj[k] += g * zi[k]
		}
	}
	for _, e := range pos {
		one(e, 1)
	}
	for _, e := range neg {
		one(e, 0)
	}
	return loss / N
}

// cosineLoss is Σ w_g (1 − cos(z_a[g], z_b[g])) / Σ w_g over shared genes;
// gradients go to the trainable sides scaled by weight.
func cosineLoss(cp *crossPair, dim int, weight float32) float64 {
	if cp.wsum == 0 {
		return 0
	}
	Za, Zb := cp.a.Z(), cp.b.Z()
	loss := 0.0
	for k, ia := range cp.ia {
		w := float64(cp.w[k])
		if w == 0 {
			continue
		}
		ib := cp.ib[k]
		u := Za[int(ia)*dim : int(ia+1)*dim]
		v := Zb[int(ib)*dim : int(ib+1)*dim]
		nu := math.Sqrt(float64(dot(u, u)))
		nv := math.Sqrt(float64(dot(v, v)))
		if nu == 0 || nv == 0 {
			continue
		}
		c := float64(dot(u, v)) / (nu * nv)
		loss += w * (1 - c)
		if weight == 0 {
			continue
		}
		s := -float32(w/cp.wsum) * weight
		// ∂cos/∂u = v/(|u||v|) − cos·u/|u|²
		if !cp.a.fixed {
			du := cp.a.dZ[int(ia)*dim : int(ia+1)*dim]
			for j := range u {
				du[j] += s * float32(float64(v[j])/(nu*nv)-c*float64(u[j])/(nu*nu))
			}
		}
		if !cp.b.fixed {
			dv := cp.b.dZ[int(ib)*dim : int(ib+1)*dim]
			for j := range v {
				dv[j] += s * float32(float64(u[j])/(nu*nv)-c*float64(v[j])/(nv*nv))
			}
		}
	}
	return loss / cp.wsum
}

// infoNCE is the symmetric InfoNCE (NT-Xent across two views) of the shared
// genes sel of a pair: logits = ûᵢ·v̂ⱼ/τ, positives on the diagonal, the mean
// of the row-wise and column-wise cross-entropies. Gradients scaled by weight.
func (t *trainer) infoNCE(cp *crossPair, sel []int, weight float32) float64 {
	dim := t.opts.Dim
	s := len(sel)
	invT := 1 / t.opts.Temperature
	Za, Zb := cp.a.Z(), cp.b.Z()
	U := make([]float32, s*dim)
	V := make([]float32, s*dim)
	nu := make([]float64, s)
	nv := make([]float64, s)
	for i, k := range sel {
		copy(U[i*dim:(i+1)*dim], Za[int(cp.ia[k])*dim:int(cp.ia[k]+1)*dim])
		copy(V[i*dim:(i+1)*dim], Zb[int(cp.ib[k])*dim:int(cp.ib[k]+1)*dim])
		nu[i] = normalize(U[i*dim : (i+1)*dim])
		nv[i] = normalize(V[i*dim : (i+1)*dim])
	}
	if cap(t.scratch) < s*s {
		t.scratch = make([]float32, s*s)
	}
	E := t.scratch[:s*s]
	gemm(false, true, s, s, dim, float32(invT), U, dim, V, dim, 0, E, s)
	// |logit| ≤ 1/τ, so exp(logit − 1/τ) cannot overflow and needs no max.
	// It can underflow: a row or column whose logits all lie more than 87
	// below 1/τ (cosines below 1 − 87τ, reachable at small τ) sums to 0.
	// Those batches keep the logits and shift each row and each column by
	// its own maximum instead (shiftRow, shiftCol), which changes nothing
	// mathematically and keeps the usual path bit for bit.
	var logits []float32
	if invT > 40 { // τ < 0.025: logits span more than 80
		logits = slices.Clone(E)
	}
	diag := make([]float64, s)
	for i := range diag {
		diag[i] = float64(E[i*s+i])
	}
	rowSum := make([]float64, s)
	parFor(s, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := E[i*s : (i+1)*s]
			acc := 0.0
			for j, x := range row {
				e := expNeg(x - float32(invT))
				row[j] = e
				acc += float64(e)
			}
			rowSum[i] = acc
		}
	})
	colSum := make([]float64, s)
	parFor(s, func(lo, hi int) { // by column ranges: the sum order never depends on workers
		acc := colSum[lo:hi]
		for i := 0; i < s; i++ {
			for j, e := range E[i*s+lo : i*s+hi] {
				acc[j] += float64(e)
			}
		}
	})
	shiftRow, shiftCol := make([]float64, s), make([]float64, s)
	for i := range shiftRow {
		shiftRow[i], shiftCol[i] = invT, invT
	}
	stable := logits != nil && (slices.ContainsFunc(rowSum, tiny) || slices.ContainsFunc(colSum, tiny))
	if stable {
		stableSums(logits, s, E, rowSum, colSum, shiftRow, shiftCol)
		t.stableBatches++
	}
	loss := 0.0
	for i := 0; i < s; i++ {
		loss += 0.5*(math.Log(rowSum[i])+shiftRow[i]-diag[i]) + 0.5*(math.Log(colSum[i])+shiftCol[i]-diag[i])
	}
	loss /= float64(s)
	if weight == 0 {
		return loss
	}
	// G = ½(softmax_rows − I) + ½(softmax_cols − I), scaled by weight/s; then
	// ∂/∂U = G·V/τ and ∂/∂V = Gᵀ·U/τ.
	sc := float64(weight) / float64(s)
	invRow := make([]float32, s)
	invCol := make([]float32, s)
	for i := range invRow {
		invRow[i] = float32(0.5 * sc / rowSum[i])
		invCol[i] = float32(0.5 * sc / colSum[i])
	}
	parFor(s, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := E[i*s : (i+1)*s]
			ri := invRow[i]
			if stable {
				// E holds exp(logit − row max); the column softmax needs
				// exp(logit − column max).
				for j, e := range row {
					row[j] = e*ri + expNeg(logits[i*s+j]-float32(shiftCol[j]))*invCol[j]
				}
			} else {
				for j, e := range row {
					row[j] = e * (ri + invCol[j])
				}
			}
			row[i] -= float32(sc)
		}
	})
	dU := make([]float32, s*dim)
	dV := make([]float32, s*dim)
	if !cp.a.fixed {
		gemm(false, false, s, dim, s, float32(invT), E, s, V, dim, 0, dU, dim)
	}
	if !cp.b.fixed {
		gemm(true, false, s, dim, s, float32(invT), E, s, U, dim, 0, dV, dim)
	}
	for i, k := range sel {
		if !cp.a.fixed {
			backNormalize(U[i*dim:(i+1)*dim], dU[i*dim:(i+1)*dim], nu[i], cp.a.dZ[int(cp.ia[k])*dim:int(cp.ia[k]+1)*dim])
		}
		if !cp.b.fixed {
			backNormalize(V[i*dim:(i+1)*dim], dV[i*dim:(i+1)*dim], nv[i], cp.b.dZ[int(cp.ib[k])*dim:int(cp.ib[k]+1)*dim])
		}
	}
	return loss
}

// normalize scales v to unit length in place and returns its former norm.
func normalize(v []float32) float64 {
	n := math.Sqrt(float64(dot(v, v)))
	if n == 0 {
		return 0
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / n)
	}
	return n
}

// backNormalize adds to dz the gradient through û = z/|z|:
// (dû − (dû·û)û)/|z|.
func backNormalize(u, du []float32, norm float64, dz []float32) {
	if norm == 0 {
		return
	}
	p := dot(du, u)
	inv := float32(1 / norm)
	for i := range dz {
		dz[i] += (du[i] - p*u[i]) * inv
	}
}

// lossAndGrad runs one full-batch forward and backward pass. It fills
// the gradients of t.params (zeroed first) and returns the log entry.
func (t *trainer) lossAndGrad() EpochLog {
	for _, p := range t.params {
		clear(p.G)
	}
	var lg EpochLog
	dim := t.opts.Dim
	for _, r := range t.runs {
		if r.fixed {
			continue
		}
		clear(r.dZ)
		pos := r.pos
		if r.walk != nil {
			pos = r.walk.pairs(t.rng, len(r.pos))
		}
		neg := randomPairs(t.rng, r.n, t.opts.NegativeRatio*len(pos))
		lg.BCE += bce(r.Z(), dim, pos, neg, r.dZ)
	}
	for i := range t.pairs {
		cp := &t.pairs[i]
		lg.Cosine += cosineLoss(cp, dim, float32(t.opts.CosineWeight))
		if t.opts.ContrastWeight > 0 {
			sel := t.contrastSample(len(cp.ia))
			lg.Contrast += t.infoNCE(cp, sel, float32(t.opts.ContrastWeight))
		}
	}
	lg.Loss = lg.BCE + t.opts.CosineWeight*lg.Cosine + t.opts.ContrastWeight*lg.Contrast
	for _, r := range t.runs {
		if !r.fixed {
			t.backward(r)
		}
	}
	return lg
}

func (t *trainer) contrastSample(n int) []int {
	if n <= t.opts.ContrastGenes {
		sel := make([]int, n)
		for i := range sel {
			sel[i] = i
		}
		return sel
	}
	sel := t.rng.Perm(n)[:t.opts.ContrastGenes]
	return sel
}

func (t *trainer) heldOut() float64 {
	sum, n := 0.0, 0
	for _, r := range t.runs {
		if r.fixed || len(r.held) == 0 {
			continue
		}
		sum += bce(r.Z(), t.opts.Dim, r.held, r.hneg, nil)
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// fit runs the epoch loop with early stopping and leaves the best
// parameters in place and the final vectors in each trainable run's state.
func (t *trainer) fit(ctx context.Context, progress Progress) ([]EpochLog, int, error) {
	// Adam with the Kingma & Ba ε̂ placement (the form this model was tuned with).
	t.opt = optim.NewAdam(t.opts.LearningRate)
	t.opt.EpsHat = true
	for _, r := range t.runs {
		if !r.fixed {
			t.allocate(r)
		}
	}
	var log []EpochLog
	best, bestEpoch, bad := math.Inf(1), 0, 0
	var snap [][]float32
	for epoch := 1; epoch <= t.opts.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return log, bestEpoch, err
		}
		start := time.Now()
		for _, r := range t.runs {
			if !r.fixed {
				t.forward(r)
			}
		}
		held := t.heldOut()
		stop := false
		if !math.IsNaN(held) {
			if held < best-1e-4 {
				best, bestEpoch, bad = held, epoch, 0
				if snap == nil {
					snap = make([][]float32, len(t.params))
					for i, p := range t.params {
						snap[i] = make([]float32, len(p.W))
					}
				}
				for i, p := range t.params {
					copy(snap[i], p.W)
				}
			} else if bad++; bad >= t.opts.Patience {
				stop = true
			}
		}
		if stop {
			break
		}
		lg := t.lossAndGrad()
		if math.IsNaN(lg.Loss) || math.IsInf(lg.Loss, 0) {
			return log, bestEpoch, fmt.Errorf("gnn: training diverged at epoch %d (loss %v): lower LearningRate", epoch, lg.Loss)
		}
		t.opt.Step(t.params)
		lg.Epoch, lg.HeldOut, lg.Seconds = epoch, held, time.Since(start).Seconds()
		log = append(log, lg)
		if progress != nil {
			progress(epoch, t.opts.Epochs, lg.Loss)
		}
	}
	if snap != nil {
		for i, p := range t.params {
			copy(p.W, snap[i])
		}
	} else {
		bestEpoch = len(log) + 1
	}
	for _, r := range t.runs {
		if !r.fixed {
			t.forward(r)
			r.st.Vecs = append([]float32(nil), r.Z()...)
		}
	}
	return log, bestEpoch, nil
}

// tiny reports a softmax sum too small to trust: underflowed to 0, or
// subnormal-sized, where float32 exponentials have lost their digits.
func tiny(sum float64) bool { return sum < 1e-30 }

// stableSums recomputes InfoNCE's exponentials with each row of the s × s
// logits shifted by its own maximum (written to e, summed into rowSum,
// shift in shiftRow) and each column by its own (summed into colSum, shift
// in shiftCol; the column exponentials are recomputed where needed).
func stableSums(logits []float32, s int, e []float32, rowSum, colSum, shiftRow, shiftCol []float64) {
	for i := 0; i < s; i++ {
		row := logits[i*s : (i+1)*s]
		m := slices.Max(row)
		acc := 0.0
		for j, x := range row {
			v := expNeg(x - m)
			e[i*s+j] = v
			acc += float64(v)
		}
		rowSum[i], shiftRow[i] = acc, float64(m)
	}
	for j := 0; j < s; j++ {
		m := logits[j]
		for i := 1; i < s; i++ {
			m = max(m, logits[i*s+j])
		}
		acc := 0.0
		for i := 0; i < s; i++ {
			acc += float64(expNeg(logits[i*s+j] - m))
		}
		colSum[j], shiftCol[j] = acc, float64(m)
	}
}
