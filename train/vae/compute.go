package vae

import (
	"math"
	"runtime"

	"genestore/internal/par"
)

// denseCutoff is the share of non-zeros in a mini-batch from which the
// encoder's first layer densifies it and uses the gemm kernel (about 3×
// faster per flop than walking non-zeros one axpy at a time).
var denseCutoff = 0.25

// lgTable is how many small counts get a per-step table of
// lgamma(x+θ)−lgamma(θ) and ψ(x+θ)−ψ(θ) per gene, built by recurrence.
const lgTable = 32

// work holds the buffers of one mini-batch of at most cap cells; it is
// reused across steps so a step allocates no buffer.
type work struct {
	m       *Model
	cap     int
	threads int
	beta    float32 // KL weight

	h1, zs, z, eps, h2, logits, dense, dlog, dh2, dz, dzs, dh1 []float32
	pi, dpi                                                    []float32   // ZINB: zero-inflation logits and their gradient
	lossNLL, lossKL                                            []float64   // per cell of the batch
	dispG                                                      [][]float32 // per part: d loss / d disp
	theta, logTheta                                            []float64
	theta32, logTheta32                                        []float32
	lgT, dgT                                                   []float64 // genes × lgTable
	csc                                                        []csc     // the mini-batch by gene, one per part of w.parallel
	xdense                                                     []float32 // dense encoder input of the mini-batch (cap × genes), when denseEnc
	denseEnc, sparseOnly, denseOnly                            bool
}

func newWork(m *Model, capacity, threads int) *work {
	G, H, L := m.hp.Genes, m.hp.Hidden, m.hp.Latent
	if threads <= 0 {
		threads = defaultThreads()
	}
	w := &work{m: m, cap: capacity, threads: threads, beta: 1,
		h1: make([]float32, capacity*H), zs: make([]float32, capacity*2*L),
		z: make([]float32, capacity*L), eps: make([]float32, capacity*L),
		logits: make([]float32, capacity*G), dense: make([]float32, capacity*G),
		dlog: make([]float32, capacity*G), dz: make([]float32, capacity*L),
		dzs: make([]float32, capacity*2*L), dh1: make([]float32, capacity*H),
		lossNLL: make([]float64, capacity), lossKL: make([]float64, capacity),
		theta: make([]float64, G), logTheta: make([]float64, G),
		theta32: make([]float32, G), logTheta32: make([]float32, G),
	}
	if !m.hp.LinearDecoder {
		w.h2 = make([]float32, capacity*H)
		w.dh2 = make([]float32, capacity*H)
	}
	w.dispG = make([][]float32, threads)
	for i := range w.dispG {
		w.dispG[i] = make([]float32, G)
	}
	if m.hp.Likelihood.counts() {
		w.lgT = make([]float64, G*lgTable)
		w.dgT = make([]float64, G*lgTable)
	}
	if m.hp.Likelihood == ZINB {
		w.pi = make([]float32, capacity*G)
		w.dpi = make([]float32, capacity*G)
	}
	return w
}

// parallel runs fn over [0, n) split into at most w.threads contiguous parts;
// fn gets the part number as well.
func (w *work) parallel(n int, fn func(part, lo, hi int)) {
	par.For(w.threads, n, fn)
}

// encode computes h1 (after ReLU) and zs = [μ | log σ²] for the cells rows.
func (w *work) encode(d *data, rows []int) {
	m := w.m
	M, H, L := len(rows), m.hp.Hidden, m.hp.Latent
	G := m.hp.Genes
	X := d.X
	nnz := 0
	for _, r := range rows {
		nnz += int(X.Indptr[r+1] - X.Indptr[r])
	}
	// Dense mini-batches go through the gemm kernel; sparse ones walk their
	// non-zeros. Embed fixes the path (see newEncodeWork) so that a cell's
	// embedding does not depend on the cells encoded with it.
	switch {
	case w.denseOnly:
		w.denseEnc = true
	case w.sparseOnly:
		w.denseEnc = false
	default:
		w.denseEnc = float64(nnz) >= denseCutoff*float64(M*G)
	}
	if !w.denseEnc {
		w.buildCSC(d, rows)
	} else if len(w.xdense) < M*G {
		w.xdense = make([]float32, w.cap*G)
	}
	w.parallel(M, func(part, lo, hi int) {
		for i := lo; i < hi; i++ {
			r := rows[i]
			h := w.h1[i*H : (i+1)*H]
			copy(h, m.encb.W)
			bw := m.encB.W[int(d.batch[r])*H : int(d.batch[r]+1)*H]
			for j := range h {
				h[j] += bw[j]
			}
			if w.denseEnc {
				xr := w.xdense[i*G : (i+1)*G]
				clear(xr)
				for k := X.Indptr[r]; k < X.Indptr[r+1]; k++ {
					xr[X.Indices[k]] = d.enc[k]
				}
			}
		}
		if w.denseEnc {
			return
		}
		// Gene by gene, so W's row stays in L1 while the part's hidden rows
		// (M × H floats) stay in L2.
		c := &w.csc[part]
		for g := range G {
			wg := m.encW.W[g*H : (g+1)*H]
			for k := c.ptr[g]; k < c.ptr[g+1]; k++ {
				i := int(c.cell[k])
				axpy(c.val[k], wg, w.h1[i*H:(i+1)*H])
			}
		}
	})
	if w.denseEnc {
		gemm(w.threads, false, false, M, H, G, w.xdense, G, m.encW.W, H, true, w.h1, H)
	}
	for j, v := range w.h1[:M*H] {
		if v < 0 {
			w.h1[j] = 0
		}
	}
	for i := range M {
		copy(w.zs[i*2*L:(i+1)*2*L], m.encZb.W)
	}
	gemm(w.threads, false, false, M, 2*L, H, w.h1, H, m.encZ.W, 2*L, true, w.zs, 2*L)
	// Clamp log σ² to a range where exp stays finite in float32.
	for i := range M {
		lv := w.zs[i*2*L+L : (i+1)*2*L]
		for j, v := range lv {
			lv[j] = min(max(v, -20), 20)
		}
	}
}

// decode computes logits from w.z for the cells rows.
func (w *work) decode(d *data, rows []int) {
	m := w.m
	M, G, H, L := len(rows), m.hp.Genes, m.hp.Hidden, m.hp.Latent
	if m.hp.LinearDecoder {
		for i, r := range rows {
			copy(w.logits[i*G:(i+1)*G], m.linB.W[int(d.batch[r])*G:int(d.batch[r]+1)*G])
		}
		gemm(w.threads, false, false, M, G, L, w.z, L, m.linW.W, G, true, w.logits, G)
		return
	}
	for i, r := range rows {
		h := w.h2[i*H : (i+1)*H]
		copy(h, m.d1b.W)
		bw := m.d1B.W[int(d.batch[r])*H : int(d.batch[r]+1)*H]
		for j := range h {
			h[j] += bw[j]
		}
		copy(w.logits[i*G:(i+1)*G], m.d2b.W)
	}
	gemm(w.threads, false, false, M, H, L, w.z, L, m.d1W.W, H, true, w.h2, H)
	for j, v := range w.h2[:M*H] {
		if v < 0 {
			w.h2[j] = 0
		}
	}
	gemm(w.threads, false, false, M, G, H, w.h2, H, m.d2W.W, G, true, w.logits, G)
	if m.hp.Likelihood == ZINB {
		for i := range M {
			copy(w.pi[i*G:(i+1)*G], m.dpb.W)
		}
		gemm(w.threads, false, false, M, G, H, w.h2, H, m.dpW.W, G, true, w.pi, G)
	}
}

// step runs a forward pass over rows and, when train is set, the backward
// pass, accumulating gradients (mean over the rows) into the model's
// parameters. sample chooses z = μ + σ·ε (w.eps must hold ε) instead of
// z = μ. It returns the summed negative log-likelihood and KL over rows.
func (w *work) step(d *data, rows []int, train, sample bool) (nll, kl float64) {
	m := w.m
	M, G, L := len(rows), m.hp.Genes, m.hp.Latent
	w.encode(d, rows)
	for i := range M {
		mu := w.zs[i*2*L : i*2*L+L]
		lv := w.zs[i*2*L+L : (i+1)*2*L]
		z := w.z[i*L : (i+1)*L]
		klc := 0.0
		for j := range z {
			s2 := math.Exp(float64(lv[j]))
			if sample {
				z[j] = mu[j] + float32(math.Sqrt(s2))*w.eps[i*L+j]
			} else {
				z[j] = mu[j]
			}
			klc += 0.5 * (float64(mu[j])*float64(mu[j]) + s2 - 1 - float64(lv[j]))
		}
		w.lossKL[i] = klc
	}
	w.decode(d, rows)

	// Scatter targets into the dense buffer.
	clear(w.dense[:M*G])
	X := d.X
	for i, r := range rows {
		row := w.dense[i*G : (i+1)*G]
		for k := X.Indptr[r]; k < X.Indptr[r+1]; k++ {
			row[X.Indices[k]] = d.target[k]
		}
	}
	scale := float32(1) / float32(M)
	switch m.hp.Likelihood {
	case ZINB:
		w.nbPrepare()
		w.parallel(M, func(part, lo, hi int) {
			for i := lo; i < hi; i++ {
				w.lossNLL[i] = w.zinbCell(d, rows[i], i, scale, w.dispG[part])
			}
		})
	case NB:
		w.nbPrepare()
		w.parallel(M, func(part, lo, hi int) {
			for i := lo; i < hi; i++ {
				w.lossNLL[i] = w.nbCell(d, rows[i], i, scale, w.dispG[part])
			}
		})
	default:
		for g, p := range m.disp.W {
			w.theta[g] = math.Exp(-float64(p)) // precision
		}
		w.parallel(M, func(part, lo, hi int) {
			for i := lo; i < hi; i++ {
				w.lossNLL[i] = w.gaussCell(i, scale, w.dispG[part])
			}
		})
	}
	for i := range M {
		nll += w.lossNLL[i]
		kl += w.lossKL[i]
	}
	for _, acc := range w.dispG {
		if train {
			for g, v := range acc {
				m.disp.G[g] += v
			}
		}
		clear(acc)
	}
	if !train {
		return nll, kl
	}
	w.backward(d, rows, scale, sample)
	return nll, kl
}

// nbPrepare computes θ and, per gene, the tables of
// lgamma(x+θ)−lgamma(θ) and ψ(x+θ)−ψ(θ) for x < lgTable.
func (w *work) nbPrepare() {
	for g, p := range w.m.disp.W {
		lt := float64(p)
		th := math.Exp(lt)
		w.theta[g], w.logTheta[g] = th, lt
		w.theta32[g], w.logTheta32[g] = float32(th), float32(lt)
		lg, dg := w.lgT[g*lgTable:(g+1)*lgTable], w.dgT[g*lgTable:(g+1)*lgTable]
		lg[0], dg[0] = 0, 0
		for x := 1; x < lgTable; x++ {
			a := th + float64(x-1)
			lg[x] = lg[x-1] + math.Log(a)
			dg[x] = dg[x-1] + 1/a
		}
	}
}

// nbCell computes the NB negative log-likelihood of batch row i (data row r)
// from w.logits, writes d(loss·scale)/d logits into w.dlog and accumulates
// d(loss·scale)/d log θ into dacc. The dense part runs 8 genes at a time in
// assembly where available (nbRow); the lgamma(x+θ) − lgamma(θ) terms and
// their digamma gradients are added only for the cell's non-zero counts,
// since they vanish at x = 0.
func (w *work) nbCell(d *data, r, i int, scale float32, dacc []float32) float64 {
	G := w.m.hp.Genes
	lrow := w.logits[i*G : (i+1)*G]
	xrow := w.dense[i*G : (i+1)*G]
	drow := w.dlog[i*G : (i+1)*G]
	mx := float32(math.Inf(-1))
	for _, v := range lrow {
		mx = max(mx, v)
	}
	n8 := 0
	if haveAVX2FMA {
		n8 = G &^ 7
	}
	// e_g = exp(l_g − max) kept in drow, s = Σ e_g.
	s := 0.0
	if n8 > 0 {
		s = float64(expShiftSum(n8, &lrow[0], &drow[0], mx))
	}
	for g := n8; g < G; g++ {
		e := fastExp(float64(lrow[g] - mx))
		drow[g] = float32(e)
		s += e
	}
	logZ := float64(mx) + fastLog(s)
	invS := 1 / s
	lib := float64(d.lib[r])
	logLib := 0.0
	if lib > 0 {
		logLib = fastLog(lib)
	}
	ll, sumR := 0.0, 0.0
	if n8 > 0 {
		a := nbArgs{invS: float32(invS), lib: float32(lib), cst: float32(logLib - logZ), negScale: -scale}
		nbRow(n8, &lrow[0], &xrow[0], &w.theta32[0], &w.logTheta32[0], &drow[0], &dacc[0], &a)
		ll, sumR = float64(a.ll), float64(a.sumR)
	}
	for g := n8; g < G; g++ {
		rho := float64(drow[g]) * invS
		mu := lib * rho
		th := w.theta[g]
		tpm := th + mu
		ltpm := fastLog(tpm)
		inv := 1 / tpm
		x := float64(xrow[g])
		ll += th * (w.logTheta[g] - ltpm)
		if x != 0 {
			ll += x * (logLib + float64(lrow[g]) - logZ - ltpm)
		}
		dth := w.logTheta[g] - ltpm + (mu-x)*inv
		rg := x - (th+x)*mu*inv
		sumR += rg
		drow[g] = float32(rg)
		lrow[g] = float32(rho)
		dacc[g] -= scale * float32(th*dth)
	}
	ll = w.nbNonZero(d, r, scale, dacc, ll)
	logitGrad(drow, lrow, sumR, scale)
	return -ll
}

// zinbCell is nbCell for the zero-inflated NB, written as scvi-tools'
// log_zinb_positive: with π the zero-inflation logit and
// t = θ(log θ − log(θ+μ)) the NB's log-probability of zero,
//
//	x = 0:  log p = softplus(t − π) − softplus(−π)
//	x > 0:  log p = −softplus(π) + log NB(x)
//
// The NB's gradients at x = 0 all flow through t, so the zero entries give
// the NB's gradient weighted by σ(t − π), the posterior probability that
// the zero came from the NB. It also writes d(loss·scale)/dπ into w.dpi.
// It is scalar Go over every gene (no assembly kernel).
func (w *work) zinbCell(d *data, r, i int, scale float32, dacc []float32) float64 {
	G := w.m.hp.Genes
	lrow := w.logits[i*G : (i+1)*G]
	xrow := w.dense[i*G : (i+1)*G]
	drow := w.dlog[i*G : (i+1)*G]
	prow := w.pi[i*G : (i+1)*G]
	dprow := w.dpi[i*G : (i+1)*G]
	mx := float32(math.Inf(-1))
	for _, v := range lrow {
		mx = max(mx, v)
	}
	s := 0.0
	for g, v := range lrow {
		e := fastExp(float64(v - mx))
		drow[g] = float32(e)
		s += e
	}
	logZ := float64(mx) + fastLog(s)
	invS := 1 / s
	lib := float64(d.lib[r])
	logLib := 0.0
	if lib > 0 {
		logLib = fastLog(lib)
	}
	ll, sumR := 0.0, 0.0
	for g := range G {
		rho := float64(drow[g]) * invS
		mu := lib * rho
		th, lt := w.theta[g], w.logTheta[g]
		tpm := th + mu
		ltpm := fastLog(tpm)
		inv := 1 / tpm
		x := float64(xrow[g])
		p := float64(prow[g])
		t := th * (lt - ltpm)
		var rg, dth, dp float64
		if x == 0 {
			a := t - p
			ll += softplus(a) - softplus(-p)
			w0 := sigmoid(a)
			dp = sigmoid(-p) - w0
			rg = -w0 * th * mu * inv
			dth = w0 * th * (lt - ltpm + mu*inv)
		} else {
			ll += -softplus(p) + t + x*(logLib+float64(lrow[g])-logZ-ltpm)
			dp = -sigmoid(p)
			rg = x - (th+x)*mu*inv
			dth = th * (lt - ltpm + (mu-x)*inv)
		}
		sumR += rg
		drow[g] = float32(rg)
		lrow[g] = float32(rho)
		dacc[g] -= scale * float32(dth)
		dprow[g] = -scale * float32(dp)
	}
	ll = w.nbNonZero(d, r, scale, dacc, ll)
	logitGrad(drow, lrow, sumR, scale)
	return -ll
}

// nbNonZero adds to ll the part of the NB (and ZINB, for x > 0)
// log-likelihood of data row r that only the non-zero counts have:
// Σ lgamma(x+θ) − lgamma(θ) − lgamma(x+1), with the digamma gradients of
// log θ added into dacc.
func (w *work) nbNonZero(d *data, r int, scale float32, dacc []float32, ll float64) float64 {
	X := d.X
	for k := X.Indptr[r]; k < X.Indptr[r+1]; k++ {
		g := int(X.Indices[k])
		x := float64(d.target[k])
		th := w.theta[g]
		var lg, dg float64
		if xi := int(x); float64(xi) == x && xi < lgTable {
			lg, dg = w.lgT[g*lgTable+xi], w.dgT[g*lgTable+xi]
		} else {
			lg, dg = lgamma(x+th)-lgamma(th), digamma(x+th)-digamma(th)
		}
		ll += lg
		dacc[g] -= scale * float32(th*dg)
	}
	return ll - d.lgx1[r]
}

// logitGrad turns drow (each gene's gradient r_g with respect to its mean
// share) and lrow (the shares ρ_g) into d(loss·scale)/d logits through the
// softmax: −scale · (r_g − ρ_g Σ r).
func logitGrad(drow, lrow []float32, sumR float64, scale float32) {
	sr := float32(sumR)
	for g := range drow {
		drow[g] = -scale * (drow[g] - lrow[g]*sr)
	}
}

// softplus returns log(1 + eˣ) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(fastExp(-x))
	}
	return math.Log1p(fastExp(x))
}

// sigmoid returns 1 / (1 + e⁻ˣ) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + fastExp(-x))
	}
	e := fastExp(x)
	return e / (1 + e)
}

// gaussCell is nbCell for the Gaussian likelihood: w.theta holds the
// per-gene precision exp(−log σ²).
func (w *work) gaussCell(i int, scale float32, dacc []float32) float64 {
	G := w.m.hp.Genes
	lrow := w.logits[i*G : (i+1)*G]
	yrow := w.dense[i*G : (i+1)*G]
	drow := w.dlog[i*G : (i+1)*G]
	nll := 0.0
	for g, mean := range lrow {
		e := float64(yrow[g] - mean)
		prec := w.theta[g]
		lv := float64(w.m.disp.W[g])
		nll += 0.5*e*e*prec + 0.5*lv + lnSqrt2Pi
		drow[g] = float32(-e*prec) * scale
		dacc[g] += scale * float32(0.5-0.5*e*e*prec)
	}
	return nll
}

// backward propagates w.dlog (and the KL term) to the parameter gradients.
func (w *work) backward(d *data, rows []int, scale float32, sample bool) {
	m := w.m
	M, G, H, L := len(rows), m.hp.Genes, m.hp.Hidden, m.hp.Latent
	if m.hp.LinearDecoder {
		if m.linW.Hi > 0 { // frozen during AddBatches
			gemm(w.threads, true, false, L, G, M, w.z, L, w.dlog, G, true, m.linW.G, G)
		}
		for i, r := range rows {
			axpy(1, w.dlog[i*G:(i+1)*G], m.linB.G[int(d.batch[r])*G:int(d.batch[r]+1)*G])
		}
		gemm(w.threads, false, true, M, L, G, w.dlog, G, m.linW.W, G, false, w.dz, L)
	} else {
		if m.d2W.Hi > 0 { // frozen during AddBatches
			gemm(w.threads, true, false, H, G, M, w.h2, H, w.dlog, G, true, m.d2W.G, G)
		}
		colSum(w.dlog, M, G, m.d2b.G)
		gemm(w.threads, false, true, M, H, G, w.dlog, G, m.d2W.W, G, false, w.dh2, H)
		if m.hp.Likelihood == ZINB {
			if m.dpW.Hi > 0 {
				gemm(w.threads, true, false, H, G, M, w.h2, H, w.dpi, G, true, m.dpW.G, G)
			}
			colSum(w.dpi, M, G, m.dpb.G)
			gemm(w.threads, false, true, M, H, G, w.dpi, G, m.dpW.W, G, true, w.dh2, H)
		}
		for j, v := range w.h2[:M*H] {
			if v <= 0 {
				w.dh2[j] = 0
			}
		}
		if m.d1W.Hi > 0 {
			gemm(w.threads, true, false, L, H, M, w.z, L, w.dh2, H, true, m.d1W.G, H)
		}
		colSum(w.dh2, M, H, m.d1b.G)
		for i, r := range rows {
			axpy(1, w.dh2[i*H:(i+1)*H], m.d1B.G[int(d.batch[r])*H:int(d.batch[r]+1)*H])
		}
		gemm(w.threads, false, true, M, L, H, w.dh2, H, m.d1W.W, H, false, w.dz, L)
	}
	// dz → dμ, d log σ²; plus the KL gradient.
	beta := w.beta * scale
	for i := range M {
		mu := w.zs[i*2*L : i*2*L+L]
		lv := w.zs[i*2*L+L : (i+1)*2*L]
		dmu := w.dzs[i*2*L : i*2*L+L]
		dlv := w.dzs[i*2*L+L : (i+1)*2*L]
		dz := w.dz[i*L : (i+1)*L]
		for j := range dz {
			s2 := float32(math.Exp(float64(lv[j])))
			dmu[j] = dz[j] + beta*mu[j]
			dlv[j] = beta * 0.5 * (s2 - 1)
			if sample {
				dlv[j] += dz[j] * 0.5 * sqrt32(s2) * w.eps[i*L+j]
			}
			if lv[j] <= -20 || lv[j] >= 20 {
				dlv[j] = 0 // clamped
			}
		}
	}
	if m.encZ.Hi > 0 {
		gemm(w.threads, true, false, H, 2*L, M, w.h1, H, w.dzs, 2*L, true, m.encZ.G, 2*L)
	}
	colSum(w.dzs, M, 2*L, m.encZb.G)
	gemm(w.threads, false, true, M, H, 2*L, w.dzs, 2*L, m.encZ.W, 2*L, false, w.dh1, H)
	for j, v := range w.h1[:M*H] {
		if v <= 0 {
			w.dh1[j] = 0
		}
	}
	colSum(w.dh1, M, H, m.encb.G)
	for i, r := range rows {
		axpy(1, w.dh1[i*H:(i+1)*H], m.encB.G[int(d.batch[r])*H:int(d.batch[r]+1)*H])
	}
	if m.encW.Hi == 0 {
		return // frozen (AddBatches)
	}
	if w.denseEnc {
		gemm(w.threads, true, false, G, H, M, w.xdense, G, w.dh1, H, true, m.encW.G, H)
		return
	}
	// enc.W gradient: x̃ᵀ·dh1, gene by gene from the batch's column lists.
	// Workers own gene ranges so they never write the same row.
	w.parallel(G, func(_, glo, ghi int) {
		for g := glo; g < ghi; g++ {
			dw := m.encW.G[g*H : (g+1)*H]
			for p := range w.csc {
				c := &w.csc[p]
				for k := c.ptr[g]; k < c.ptr[g+1]; k++ {
					i := int(c.cell[k])
					axpy(c.val[k], w.dh1[i*H:(i+1)*H], dw)
				}
			}
		}
	})
}

// csc is one part's mini-batch in compressed sparse column form: for gene g,
// entries ptr[g]..ptr[g+1] give the batch row (cell) and encoder input value.
type csc struct {
	ptr  []int32
	cell []int32
	val  []float32
	next []int32 // scratch for the counting sort
}

// buildCSC transposes the rows of the mini-batch into one csc per part of
// w.parallel(len(rows)) by a counting sort.
func (w *work) buildCSC(d *data, rows []int) {
	M, G := len(rows), w.m.hp.Genes
	parts := max(1, min(w.threads, M))
	if len(w.csc) != parts {
		w.csc = make([]csc, parts)
	}
	X := d.X
	w.parallel(M, func(part, lo, hi int) {
		c := &w.csc[part]
		if len(c.ptr) != G+1 {
			c.ptr = make([]int32, G+1)
		}
		clear(c.ptr)
		n := 0
		for i := lo; i < hi; i++ {
			r := rows[i]
			for _, g := range X.Indices[X.Indptr[r]:X.Indptr[r+1]] {
				c.ptr[g+1]++
			}
			n += int(X.Indptr[r+1] - X.Indptr[r])
		}
		for g := range G {
			c.ptr[g+1] += c.ptr[g]
		}
		if cap(c.cell) < n {
			c.cell = make([]int32, n)
			c.val = make([]float32, n)
		}
		c.cell, c.val = c.cell[:n], c.val[:n]
		c.next = append(c.next[:0], c.ptr[:G]...)
		next := c.next
		for i := lo; i < hi; i++ {
			r := rows[i]
			for k := X.Indptr[r]; k < X.Indptr[r+1]; k++ {
				g := X.Indices[k]
				p := next[g]
				c.cell[p] = int32(i)
				c.val[p] = d.enc[k]
				next[g]++
			}
		}
	})
}

// colSum adds the column sums of the rows × cols matrix a into dst.
func colSum(a []float32, rows, cols int, dst []float32) {
	for i := range rows {
		axpy(1, a[i*cols:(i+1)*cols], dst)
	}
}

// defaultThreads is the worker count when Options.MaxThreads is 0.
func defaultThreads() int { return runtime.GOMAXPROCS(0) }
