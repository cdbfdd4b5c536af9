package grn

import (
	"math"

	"genestore/internal/f32"
	"genestore/internal/par"
)

// chunkImages is how many images one worker pushes through the
// convolutions at a time: big enough for a good matrix product
// (4·32·32 = 4096 rows), small enough that the im2col scratch stays in
// cache.
const chunkImages = 4

// work holds the activations of one batch of up to maxPairs pairs, kept
// for the backward pass, and per-worker scratch. Pairs are laid out
// [pair][view][image].
type work struct {
	hp               hyper
	maxPairs         int
	threads          int
	x                []float32 // images, nImg × Bins²
	a1, p1, a3, feat []float32
	arg1, arg2       []uint8
	h, e             []float32 // nImg × Hidden (after ReLU), nImg × Embed
	alpha            []float32 // nPairs × V × N image attention
	u                []float32 // nPairs × V × Embed view embeddings
	u0               []float32 // with evidence: u before the evidence is added (else nil: u)
	beta             []float32 // nPairs × V view attention
	pooled, hh       []float32 // nPairs × Embed, nPairs × Head (after ReLU)
	logit            []float32 // nPairs
	f, fb            []float32 // nPairs × V × Evidence pair evidence, nPairs × Evidence its view-attention mean
	de, dh, dfeat    []float32
	scr              []scratch
}

type scratch struct {
	col, dcol, z     []float32
	dz2, da1, dp1    []float32
	dz4, da3         []float32
	dw, db           [4][]float32
	convGradsTouched bool
}

func newWork(hp hyper, maxPairs, threads int) *work {
	V, N := hp.attViews(), hp.images()
	nImg := maxPairs * V * N
	S, S2 := hp.Bins, hp.Bins/2
	w := &work{hp: hp, maxPairs: maxPairs, threads: max(1, threads),
		x:  make([]float32, nImg*S*S),
		a1: make([]float32, nImg*S*S*hp.Conv1), p1: make([]float32, nImg*S2*S2*hp.Conv1),
		arg1: make([]uint8, nImg*S2*S2*hp.Conv1),
		a3:   make([]float32, nImg*S2*S2*hp.Conv2),
		feat: make([]float32, nImg*hp.feat()), arg2: make([]uint8, nImg*hp.feat()),
		h: make([]float32, nImg*hp.Hidden), e: make([]float32, nImg*hp.Embed),
		alpha: make([]float32, nImg), u: make([]float32, maxPairs*V*hp.Embed),
		beta: make([]float32, maxPairs*V), pooled: make([]float32, maxPairs*hp.Embed),
		hh: make([]float32, maxPairs*hp.Head), logit: make([]float32, maxPairs),
		f: make([]float32, maxPairs*V*hp.Evidence), fb: make([]float32, maxPairs*hp.Evidence),
	}
	w.u0 = w.u
	if hp.Evidence > 0 {
		w.u0 = make([]float32, len(w.u))
	}
	parts := min(w.threads, (nImg+chunkImages-1)/chunkImages)
	w.scr = make([]scratch, max(1, parts))
	g := chunkImages
	colN := max(g*S*S*9*hp.Conv1, g*S2*S2*9*hp.Conv2)
	for i := range w.scr {
		s := &w.scr[i]
		s.col = make([]float32, colN)
		s.z = make([]float32, g*S*S*max(hp.Conv1, hp.Conv2))
	}
	return w
}

// ensureGrad allocates the backward buffers on first use (Score never
// needs them).
func (w *work) ensureGrad() {
	if w.de != nil {
		return
	}
	hp := w.hp
	nImg := w.maxPairs * hp.attViews() * hp.images()
	S, S2 := hp.Bins, hp.Bins/2
	w.de, w.dh, w.dfeat = make([]float32, nImg*hp.Embed), make([]float32, nImg*hp.Hidden), make([]float32, nImg*hp.feat())
	g := chunkImages
	c := [5]int{1, hp.Conv1, hp.Conv1, hp.Conv2, hp.Conv2}
	for i := range w.scr {
		s := &w.scr[i]
		s.dcol = make([]float32, len(s.col))
		s.dz2, s.da1 = make([]float32, g*S*S*hp.Conv1), make([]float32, g*S*S*hp.Conv1)
		s.dp1 = make([]float32, g*S2*S2*hp.Conv1)
		s.dz4, s.da3 = make([]float32, g*S2*S2*hp.Conv2), make([]float32, g*S2*S2*hp.Conv2)
		for l := range 4 {
			s.dw[l], s.db[l] = make([]float32, 9*c[l]*c[l+1]), make([]float32, c[l+1])
		}
	}
}

// forward runs the network on the first n pairs of w.x and leaves every
// activation and the logits in w.
func (w *work) forward(m *Model, n int) {
	hp := m.hp
	V, N, E := hp.attViews(), hp.images(), hp.Embed
	nImg := n * V * N
	w.convForward(m, nImg)
	F, H := hp.feat(), hp.Hidden
	f32.Gemm(w.threads, false, false, nImg, H, F, w.feat, F, m.fc1W.W, H, false, w.h, H)
	addBias(w.h[:nImg*H], m.fc1B.W, true)
	f32.Gemm(w.threads, false, false, nImg, E, H, w.h, H, m.fc2W.W, E, false, w.e, E)
	addBias(w.e[:nImg*E], m.fc2B.W, false)
	for r := range nImg { // the image's role: pair image or which neighbour
		axpy(w.e[r*E:][:E], 1, m.slot.W[(r%N)*E:][:E])
	}

	qi, qv := m.qImg.W, m.qView.W
	nf := hp.Evidence
	for i := range n {
		for v := range V {
			iv := i*V + v
			u := w.u[iv*E:][:E]
			attendPool(w.alpha[iv*N:][:N], w.e[iv*N*E:][:N*E], E, qi, hp.SingleView, u)
			if nf > 0 {
				copy(w.u0[iv*E:][:E], u)
			}
			for k, x := range w.f[iv*nf:][:nf] { // the view's evidence, projected
				axpy(u, x, m.evW.W[k*E:][:E])
			}
		}
		attendPool(w.beta[i*V:][:V], w.u[i*V*E:][:V*E], E, qv, hp.SingleView, w.pooled[i*E:][:E])
		if nf > 0 {
			fb := w.fb[i*nf:][:nf]
			clear(fb)
			for v, b := range w.beta[i*V:][:V] {
				axpy(fb, b, w.f[(i*V+v)*nf:][:nf])
			}
		}
	}
	Hd := hp.Head
	f32.Gemm(1, false, false, n, Hd, E, w.pooled, E, m.h1W.W, Hd, false, w.hh, Hd)
	addBias(w.hh[:n*Hd], m.h1B.W, true)
	for i := range n {
		w.logit[i] = dot(w.hh[i*Hd:][:Hd], m.h2W.W) + m.h2B.W[0]
		if nf > 0 {
			w.logit[i] += dot(m.evLin.W, w.fb[i*nf:][:nf])
		}
		if hp.Blend && nf > 0 && m.blend != blendIdentity {
			w.logit[i] = m.blend[0]*w.logit[i] + m.blend[1]*w.ensembleEvidence(hp, i) + m.blend[2]
		}
	}
}

// forwardCommittee runs every network of m's committee on the first n
// pairs of w.x and leaves in w.logit and w.beta the means of the members'
// logits and view attention (the other activations are the last
// member's).
func (w *work) forwardCommittee(m *Model, n int) {
	if len(m.members) == 0 {
		w.forward(m, n)
		return
	}
	V := m.hp.attViews()
	logit := make([]float32, n)
	beta := make([]float32, n*V)
	for _, c := range m.committee() {
		w.forward(c, n)
		axpy(logit, 1, w.logit[:n])
		axpy(beta, 1, w.beta[:n*V])
	}
	k := float32(len(m.members) + 1)
	for i := range logit {
		w.logit[i] = logit[i] / k
	}
	for i := range beta {
		w.beta[i] = beta[i] / k
	}
}

// loss returns the mean BCE of the first n logits against labels y (0 or
// 1) and the NT-Xent loss of the view embeddings, and, when grad is set,
// adds d(bce + contrast·ntx)/dθ into every parameter's G.
func (w *work) loss(m *Model, n int, y []float32, contrast, tau float64, grad bool) (bce, ntx float64) {
	hp := m.hp
	V, N, E, Hd := hp.attViews(), hp.images(), hp.Embed, hp.Head
	dlogit := make([]float32, n)
	for i := range n {
		z := float64(w.logit[i])
		bce += softplus(z) - float64(y[i])*z
		dlogit[i] = float32((sigmoid(z) - float64(y[i])) / float64(n))
	}
	bce /= float64(n)
	// The contrastive loss compares the views' pictures: the image-only
	// view embeddings, before the evidence is added.
	var dun []float32
	if contrast > 0 && V > 1 && n > 1 {
		dun = make([]float32, n*V*E)
		ntx = ntXent(dun, w.u0[:n*V*E], n*V, V, E, tau, grad)
		for i := range dun {
			dun[i] *= float32(contrast)
		}
	}
	if !grad {
		return bce, ntx
	}
	w.ensureGrad()
	// Head.
	F := hp.Evidence
	dhh := make([]float32, n*Hd)
	for i := range n {
		if F > 0 {
			axpy(m.evLin.G, dlogit[i], w.fb[i*F:][:F])
		}
		m.h2B.G[0] += dlogit[i]
		axpy(m.h2W.G, dlogit[i], w.hh[i*Hd:][:Hd])
		axpy(dhh[i*Hd:][:Hd], dlogit[i], m.h2W.W)
	}
	reluMask(dhh, w.hh[:n*Hd])
	f32.Gemm(1, true, false, E, Hd, n, w.pooled, E, dhh, Hd, true, m.h1W.G, Hd)
	colSum(m.h1B.G, dhh, n, Hd)
	dpool := make([]float32, n*E)
	f32.Gemm(1, false, true, n, E, Hd, dhh, Hd, m.h1W.W, Hd, false, dpool, E)
	// View attention, then image attention.
	du := make([]float32, n*V*E)
	qi, qv := m.qImg.W, m.qView.W
	dbe := make([]float32, V)
	dal := make([]float32, N)
	for i := range n {
		dp := dpool[i*E:][:E]
		be := w.beta[i*V:][:V]
		us := w.u[i*V*E:][:V*E]
		for v, b := range be {
			axpy(du[(i*V+v)*E:][:E], b, dp)
			dbe[v] = dot(dp, us[v*E:][:E])
			if F > 0 { // the logit's direct evidence term
				dbe[v] += dlogit[i] * dot(m.evLin.W, w.f[(i*V+v)*F:][:F])
			}
		}
		if !hp.SingleView {
			s := float32(0)
			for v, b := range be {
				s += b * dbe[v]
			}
			for v, b := range be {
				dt := b * (dbe[v] - s)
				axpy(m.qView.G, dt, us[v*E:][:E])
				axpy(du[(i*V+v)*E:][:E], dt, qv)
			}
		}
		for v := range V { // the evidence projection, then the contrastive term
			d := du[(i*V+v)*E:][:E]
			for k, x := range w.f[(i*V+v)*F:][:F] {
				axpy(m.evW.G[k*E:][:E], x, d)
			}
			if dun != nil {
				axpy(d, 1, dun[(i*V+v)*E:][:E])
			}
		}
		for v := range V {
			iv := i*V + v
			al := w.alpha[iv*N:][:N]
			es := w.e[iv*N*E:][:N*E]
			des := w.de[iv*N*E:][:N*E]
			d := du[iv*E:][:E]
			for k, a := range al {
				dk := des[k*E:][:E]
				clear(dk)
				axpy(dk, a, d)
				dal[k] = dot(d, es[k*E:][:E])
			}
			if hp.SingleView {
				continue
			}
			s := float32(0)
			for k, a := range al {
				s += a * dal[k]
			}
			for k, a := range al {
				ds := a * (dal[k] - s)
				axpy(m.qImg.G, ds, es[k*E:][:E])
				axpy(des[k*E:][:E], ds, qi)
			}
		}
	}
	w.backwardImages(m, n)
	return bce, ntx
}

// backwardImages propagates w.de (the embedding gradients of the first n
// pairs' images) through the dense layers and the convolutions.
func (w *work) backwardImages(m *Model, n int) {
	hp := m.hp
	nImg := n * hp.attViews() * hp.images()
	F, H, E := hp.feat(), hp.Hidden, hp.Embed
	T := w.threads
	N := hp.images()
	for r := range nImg {
		axpy(m.slot.G[(r%N)*E:][:E], 1, w.de[r*E:][:E])
	}
	f32.Gemm(T, true, false, H, E, nImg, w.h, H, w.de, E, true, m.fc2W.G, E)
	colSum(m.fc2B.G, w.de, nImg, E)
	f32.Gemm(T, false, true, nImg, H, E, w.de, E, m.fc2W.W, E, false, w.dh, H)
	reluMask(w.dh[:nImg*H], w.h[:nImg*H])
	f32.Gemm(T, true, false, F, H, nImg, w.feat, F, w.dh, H, true, m.fc1W.G, H)
	colSum(m.fc1B.G, w.dh, nImg, H)
	f32.Gemm(T, false, true, nImg, F, H, w.dh, H, m.fc1W.W, H, false, w.dfeat, F)

	w.convBackward(m, nImg)
}

// ntXent computes the NT-Xent loss over the rows of u (rows = pairs·V,
// [pair][view]): each row's positives are the other views of its pair, its
// negatives every other row; cosine similarity over temperature tau. With
// grad it writes dLoss/du into du.
func ntXent(du, u []float32, rows, V, E int, tau float64, grad bool) float64 {
	z := make([]float64, rows*E)
	norm := make([]float64, rows)
	for r := range rows {
		s := 0.0
		for _, x := range u[r*E : (r+1)*E] {
			s += float64(x) * float64(x)
		}
		nr := math.Sqrt(s) + 1e-12
		norm[r] = nr
		for j, x := range u[r*E : (r+1)*E] {
			z[r*E+j] = float64(x) / nr
		}
	}
	sim := make([]float64, rows*rows)
	for a := range rows {
		for b := a; b < rows; b++ {
			s := 0.0
			za, zb := z[a*E:(a+1)*E], z[b*E:(b+1)*E]
			for j := range za {
				s += za[j] * zb[j]
			}
			sim[a*rows+b], sim[b*rows+a] = s/tau, s/tau
		}
	}
	loss := 0.0
	dS := make([]float64, rows*rows)
	npos := float64(V - 1)
	for a := range rows {
		row := sim[a*rows : (a+1)*rows]
		mx := math.Inf(-1)
		for k, s := range row {
			if k != a && s > mx {
				mx = s
			}
		}
		sum := 0.0
		for k, s := range row {
			if k != a {
				sum += math.Exp(s - mx)
			}
		}
		lse := mx + math.Log(sum)
		pair := a / V
		for k := pair * V; k < (pair+1)*V; k++ {
			if k != a {
				loss += (lse - row[k]) / npos
			}
		}
		if grad {
			d := dS[a*rows : (a+1)*rows]
			for k, s := range row {
				if k == a {
					continue
				}
				d[k] = math.Exp(s-lse) / float64(rows)
				if k/V == pair {
					d[k] -= 1 / npos / float64(rows)
				}
			}
		}
	}
	loss /= float64(rows)
	if !grad {
		return loss
	}
	dz := make([]float64, E)
	for a := range rows {
		clear(dz)
		for k := range rows {
			c := (dS[a*rows+k] + dS[k*rows+a]) / tau
			if c == 0 {
				continue
			}
			zk := z[k*E : (k+1)*E]
			for j := range dz {
				dz[j] += c * zk[j]
			}
		}
		za := z[a*E : (a+1)*E]
		dot := 0.0
		for j := range dz {
			dot += za[j] * dz[j]
		}
		for j := range dz {
			du[a*E+j] = float32((dz[j] - za[j]*dot) / norm[a])
		}
	}
	return loss
}

func addBias(x, b []float32, relu bool) {
	n := len(b)
	for r := 0; r+n <= len(x); r += n {
		o := x[r : r+n]
		for j, bj := range b {
			v := o[j] + bj
			if relu && v < 0 {
				v = 0
			}
			o[j] = v
		}
	}
}

func colSum(dst, x []float32, rows, cols int) {
	for r := range rows {
		axpy(dst, 1, x[r*cols:][:cols])
	}
}

func dot(a, b []float32) float32 {
	s := float32(0)
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

func axpy(y []float32, a float32, x []float32) {
	for i, v := range x {
		y[i] += a * v
	}
}

func softmax(x []float32) {
	mx := x[0]
	for _, v := range x {
		mx = max(mx, v)
	}
	s := float32(0)
	for i, v := range x {
		x[i] = float32(math.Exp(float64(v - mx)))
		s += x[i]
	}
	for i := range x {
		x[i] /= s
	}
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// softplus is log(1 + e^z), computed without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// convForward runs the convolutions on the first nImg images of w.x,
// leaving the pooled features in w.feat.
func (w *work) convForward(m *Model, nImg int) {
	hp := m.hp
	S, S2, S4 := hp.Bins, hp.Bins/2, hp.Bins/4
	C1, C2 := hp.Conv1, hp.Conv2
	L := m.convs()
	chunks := (nImg + chunkImages - 1) / chunkImages
	par.For(len(w.scr), chunks, func(part, lo, hi int) {
		s := &w.scr[part]
		for ch := lo; ch < hi; ch++ {
			i0 := ch * chunkImages
			g := min(chunkImages, nImg-i0)
			xs := w.x[i0*S*S:]
			a1 := w.a1[i0*S*S*C1:]
			p1, arg1 := w.p1[i0*S2*S2*C1:], w.arg1[i0*S2*S2*C1:]
			a3 := w.a3[i0*S2*S2*C2:]
			ft, arg2 := w.feat[i0*S4*S4*C2:], w.arg2[i0*S4*S4*C2:]
			L[0].forward(a1, xs, s.col, g, S, S, true)
			L[1].forward(s.z, a1, s.col, g, S, S, false)
			reluPool(p1, arg1, s.z, g, S, S, C1)
			L[2].forward(a3, p1, s.col, g, S2, S2, true)
			L[3].forward(s.z, a3, s.col, g, S2, S2, false)
			reluPool(ft, arg2, s.z, g, S2, S2, C2)
		}
	})
}

// convBackward propagates w.dfeat through the convolutions of the first
// nImg images and adds the weight gradients into the model's G.
func (w *work) convBackward(m *Model, nImg int) {
	hp := m.hp
	S, S2, S4 := hp.Bins, hp.Bins/2, hp.Bins/4
	C1, C2 := hp.Conv1, hp.Conv2
	L := m.convs()
	chunks := (nImg + chunkImages - 1) / chunkImages
	par.For(len(w.scr), chunks, func(part, lo, hi int) {
		s := &w.scr[part]
		for l := range 4 {
			clear(s.dw[l])
			clear(s.db[l])
		}
		s.convGradsTouched = true
		for ch := lo; ch < hi; ch++ {
			i0 := ch * chunkImages
			g := min(chunkImages, nImg-i0)
			xs := w.x[i0*S*S:]
			a1 := w.a1[i0*S*S*C1:]
			p1, arg1 := w.p1[i0*S2*S2*C1:], w.arg1[i0*S2*S2*C1:]
			a3 := w.a3[i0*S2*S2*C2:]
			ft, arg2 := w.feat[i0*S4*S4*C2:], w.arg2[i0*S4*S4*C2:]
			dft := w.dfeat[i0*S4*S4*C2:]
			reluPoolBackward(s.dz4, dft, ft, arg2, g, S2, S2, C2)
			L[3].backward(s.da3, s.dz4, a3, s.col, s.dcol, s.dw[3], s.db[3], g, S2, S2)
			reluMask(s.da3[:g*S2*S2*C2], a3[:g*S2*S2*C2])
			L[2].backward(s.dp1, s.da3, p1, s.col, s.dcol, s.dw[2], s.db[2], g, S2, S2)
			reluPoolBackward(s.dz2, s.dp1, p1, arg1, g, S, S, C1)
			L[1].backward(s.da1, s.dz2, a1, s.col, s.dcol, s.dw[1], s.db[1], g, S, S)
			reluMask(s.da1[:g*S*S*C1], a1[:g*S*S*C1])
			L[0].backward(nil, s.da1, xs, s.col, s.dcol, s.dw[0], s.db[0], g, S, S)
		}
	})
	for p := range w.scr {
		s := &w.scr[p]
		if !s.convGradsTouched {
			continue
		}
		s.convGradsTouched = false
		for l := range 4 {
			axpy(m.convW[l].G, 1, s.dw[l])
			axpy(m.convB[l].G, 1, s.db[l])
		}
	}
}

// attendPool pools the len(weights) vectors of length E in items into out:
// weights = softmax(items·q), or uniform when uniform is set (the
// single-view baseline), and out = Σ weights[k]·items[k].
func attendPool(weights, items []float32, E int, q []float32, uniform bool, out []float32) {
	if uniform {
		for k := range weights {
			weights[k] = 1 / float32(len(weights))
		}
	} else {
		for k := range weights {
			weights[k] = dot(items[k*E:][:E], q)
		}
		softmax(weights)
	}
	clear(out)
	for k, a := range weights {
		axpy(out, a, items[k*E:][:E])
	}
}
