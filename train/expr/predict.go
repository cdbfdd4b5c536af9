package expr

import (
	"context"
	"fmt"
	"math"

	"genestore/internal/f32"

	"gonum.org/v1/gonum/mat"
)

// PredictOptions control Predict and Evaluate. The zero value predicts
// with the chosen blend, 256 rows a block, centred on the query itself.
type PredictOptions struct {
	// Model is the predictor whose values Predict returns (default Chosen).
	Model Kind
	// BlockRows is the number of query rows per block (default 256).
	// Predict holds a few blocks of rows × targets values at a time.
	BlockRows int
	// TrainingCentre centres the query's landmarks on the training means
	// and adds the training target means back, instead of the query's own
	// means. Use it for queries too small to have meaningful means; it
	// gives up the batch-offset correction. A query of fewer than
	// MinOwnMeanRows rows is always centred this way.
	TrainingCentre bool
}

// MinOwnMeanRows is the fewest query rows whose own means Predict uses: a
// smaller query's means are mostly noise (one cell's landmarks, centred on
// themselves, are all zero and every cell would get the same prediction;
// below 10 rows a mean's standard error is over a third of the cells'
// spread), so it is centred on the training means and gives up the batch
// correction. From 10 rows on the own means win: they remove the query's
// batch offset, which a 30-row simulated batch needs (TestMissingLandmarks).
const MinOwnMeanRows = 10

// DefaultBlockRows is the block size Predict uses when BlockRows is 0.
const DefaultBlockRows = 256

// PredictInfo describes what Predict did with a query.
type PredictInfo struct {
	Rows int // query rows predicted
	// MissingLandmarks lists the landmarks the query lacks; Predict filled
	// them from the present ones by ridge regression among landmarks.
	MissingLandmarks []string
	// QueryMeans counts the targets whose mean came from the query (it
	// measures them); the others got the training mean.
	QueryMeans int
}

// fillRidge is the penalty of the landmark-from-landmark ridge that fills
// missing landmarks, on the landmark correlation matrix (diagonal ≈ 1).
const fillRidge = 0.1

// query is a query dataset prepared for prediction.
type query struct {
	d       *Dataset
	lcols   []int
	lmean   []float32 // per landmark: the centre subtracted
	tmean   []float32 // per target: the mean added back
	present []int     // landmark indices present
	missing []int     // landmark indices missing
	fill    []float32 // len(present) × len(missing)
	info    PredictInfo
}

func (m *Model) prepare(ctx context.Context, q *Dataset, o PredictOptions) (*query, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: nil query", ErrInput)
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	if o.Model < 0 || int(o.Model) >= NumKinds {
		return nil, fmt.Errorf("%w: model %d", ErrOptions, int(o.Model))
	}
	if o.Model == MLP && m.net == nil {
		return nil, fmt.Errorf("%w: the model was fitted without the MLP", ErrOptions)
	}
	if o.BlockRows < 0 {
		return nil, fmt.Errorf("%w: BlockRows %d < 0", ErrOptions, o.BlockRows)
	}
	L := len(m.landmarks)
	qq := &query{d: q, lcols: q.columns(m.landmarks)}
	for j, c := range qq.lcols {
		if c >= 0 {
			qq.present = append(qq.present, j)
		} else {
			qq.missing = append(qq.missing, j)
			qq.info.MissingLandmarks = append(qq.info.MissingLandmarks, m.landmarks[j])
		}
	}
	if len(qq.present) < minLandmarks {
		return nil, fmt.Errorf("%w: query %q has %d of the model's %d landmarks, need %d", ErrLandmarks, q.Name, len(qq.present), L, minLandmarks)
	}
	qq.info.Rows = q.Rows()
	tcols := q.columns(m.targets)
	if o.TrainingCentre || qq.info.Rows < MinOwnMeanRows {
		qq.lmean = append([]float32(nil), m.lMean...)
		qq.tmean = append([]float32(nil), m.tMean...)
	} else {
		qq.lmean = f32s(q.colMeans(qq.lcols))
		qq.tmean = f32s(q.colMeans(tcols))
		for t, c := range tcols {
			if c < 0 {
				qq.tmean[t] = m.tMean[t]
			} else {
				qq.info.QueryMeans++
			}
		}
	}
	if len(qq.missing) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, k := len(qq.present), len(qq.missing)
		a := mat.NewSymDense(p, nil)
		b := mat.NewDense(p, k, nil)
		for i, pi := range qq.present {
			for j, pj := range qq.present[i:] {
				v := float64(m.lCorr[pi*L+pj])
				if j == 0 {
					v += fillRidge
				}
				a.SetSym(i, i+j, v)
			}
			for j, mj := range qq.missing {
				b.Set(i, j, float64(m.lCorr[pi*L+mj]))
			}
		}
		var ch mat.Cholesky
		if !ch.Factorize(a) {
			return nil, fmt.Errorf("%w: landmark correlation matrix is not positive definite", ErrNumeric)
		}
		var w mat.Dense
		if err := ch.SolveTo(&w, b); err != nil {
			return nil, fmt.Errorf("%w: filling landmarks: %w", ErrNumeric, err)
		}
		qq.fill = make([]float32, p*k)
		for i := range p {
			for j := range k {
				qq.fill[i*k+j] = float32(w.At(i, j))
			}
		}
	}
	return qq, nil
}

// blockBuf holds one block's intermediate values.
type blockBuf struct {
	x, xp, xm []float32           // rows × L standardised landmarks; present / missing parts
	std       [NumKinds][]float32 // rows × T, standardised units
}

// block predicts rows [lo, hi) of the query for the kinds marked in want,
// writing log-expression values to out[kind] (rows × T).
func (m *Model) block(qq *query, lo, hi int, want [NumKinds]bool, buf *blockBuf, out *[NumKinds][]float32) {
	L, T, n := len(m.landmarks), len(m.targets), hi-lo
	grow := func(s *[]float32, size int) []float32 {
		if cap(*s) < size {
			*s = make([]float32, size)
		}
		*s = (*s)[:size]
		return *s
	}
	x := grow(&buf.x, n*L)
	qq.d.gather(x, qq.lcols, lo, hi, nil)
	for r := range n {
		v := x[r*L : (r+1)*L]
		for j := range L {
			v[j] = (v[j] - qq.lmean[j]) / m.lScale[j]
		}
	}
	if k := len(qq.missing); k > 0 {
		p := len(qq.present)
		xp, xm := grow(&buf.xp, n*p), grow(&buf.xm, n*k)
		for r := range n {
			for i, j := range qq.present {
				xp[r*p+i] = x[r*L+j]
			}
		}
		f32.Gemm(m.threads, false, false, n, k, p, xp, p, qq.fill, k, false, xm, k)
		for r := range n {
			for i, j := range qq.missing {
				x[r*L+j] = xm[r*k+i]
			}
		}
	}
	need := want
	if want[Chosen] {
		for t := range T {
			for c, k := range components {
				if m.blend[t*4+c] != 0 {
					need[k] = true
				}
			}
		}
	}
	for k := Kind(1); k < NumKinds; k++ {
		if !need[k] || (k == MLP && m.net == nil) {
			continue
		}
		s := grow(&buf.std[k], n*T)
		switch k {
		case MLP:
			m.net.predict(x, n, s, m.threads)
		case Ridge:
			f32.Gemm(m.threads, false, false, n, T, L, x, L, m.ridgeW, T, false, s, T)
		case LeastSquares:
			f32.Gemm(m.threads, false, false, n, T, L, x, L, m.lsW, T, false, s, T)
		case KNN:
			m.nn.predict(x, n, s, m.threads)
		}
	}
	if want[Chosen] {
		s := grow(&buf.std[Chosen], n*T)
		clear(s)
		for t := range T {
			w := m.blend[t*4 : (t+1)*4]
			for c, k := range components {
				if w[c] == 0 {
					continue
				}
				src := buf.std[k]
				if len(src) < n*T {
					continue // a decoded blend that names a missing model
				}
				for r := range n {
					s[r*T+t] += w[c] * src[r*T+t]
				}
			}
		}
	}
	for k := range Kind(NumKinds) {
		if !want[k] || buf.std[k] == nil {
			continue
		}
		o := grow(&out[k], n*T)
		s := buf.std[k][:n*T]
		for r := range n {
			for t := range T {
				o[r*T+t] = s[r*T+t]*m.tScale[t] + qq.tmean[t]
			}
		}
	}
}

// Predict predicts the model's targets for every row of q, one block of
// rows at a time: fn gets the first row of the block, the block's row
// count and rows × len(Targets()) log-expression values, valid only until
// fn returns. An error from fn stops Predict and is returned.
//
// The query's landmarks are centred on the query's own means (unless
// o.TrainingCentre); the predicted deviations are scaled back and the
// query's own mean of each target is added back when the query measures
// that target, the pooled training mean otherwise. Missing landmarks are
// filled from the present ones; fewer than 10 present is ErrLandmarks.
func (m *Model) Predict(ctx context.Context, q *Dataset, o PredictOptions, fn func(first, rows int, values []float32) error) (PredictInfo, error) {
	if fn == nil {
		return PredictInfo{}, fmt.Errorf("%w: nil callback", ErrOptions)
	}
	qq, err := m.prepare(ctx, q, o)
	if err != nil {
		return PredictInfo{}, err
	}
	bs := o.BlockRows
	if bs == 0 {
		bs = DefaultBlockRows
	}
	var want [NumKinds]bool
	want[o.Model] = true
	var buf blockBuf
	var out [NumKinds][]float32
	for lo := 0; lo < qq.info.Rows; lo += bs {
		if err := ctx.Err(); err != nil {
			return qq.info, err
		}
		hi := min(qq.info.Rows, lo+bs)
		m.block(qq, lo, hi, want, &buf, &out)
		if err := fn(lo, hi-lo, out[o.Model][:(hi-lo)*len(m.targets)]); err != nil {
			return qq.info, err
		}
	}
	return qq.info, nil
}

// Evaluation compares every model on held-out samples. Per-gene figures
// are indexed by Kind and then by position in Genes; a model the Model
// lacks (the MLP under NoMLP) has nil slices and NaN means.
type Evaluation struct {
	Rows  int      // samples scored
	Genes []string // the model's targets the query measures
	Info  PredictInfo
	// MAE and R are each gene's mean absolute error (log units) and
	// Pearson correlation between predicted and measured values (NaN when
	// either is constant).
	MAE, R [NumKinds][]float64
	// MeanMAE is the mean of MAE over genes; MeanR the mean of the defined
	// R values.
	MeanMAE, MeanR [NumKinds]float64
	// BeatsLinear is the share of genes whose MAE is below plain least
	// squares'.
	BeatsLinear [NumKinds]float64
}

// Evaluate predicts q's measured targets with every model and scores them
// against q's values (Predict's conventions: by default the query's own
// target means are added back, so the scores measure how well each model
// predicts variation around the query's means).
func (m *Model) Evaluate(ctx context.Context, q *Dataset, o PredictOptions) (*Evaluation, error) {
	qq, err := m.prepare(ctx, q, o)
	if err != nil {
		return nil, err
	}
	T := len(m.targets)
	tcols := q.columns(m.targets)
	var ti []int // target index of each evaluated gene
	ev := &Evaluation{Rows: qq.info.Rows, Info: qq.info}
	for t, c := range tcols {
		if c >= 0 {
			ti = append(ti, t)
			ev.Genes = append(ev.Genes, m.targets[t])
		}
	}
	if len(ti) == 0 {
		return nil, fmt.Errorf("%w: query %q measures none of the model's targets", ErrInput, q.Name)
	}
	if ev.Rows < 2 {
		return nil, fmt.Errorf("%w: query %q has %d rows, need 2", ErrInput, q.Name, ev.Rows)
	}
	var want [NumKinds]bool
	for k := range want {
		want[k] = k != int(MLP) || m.net != nil
	}
	G := len(ti)
	type acc struct{ ae, sp, sy, spp, syy, spy []float64 }
	var a [NumKinds]acc
	for k := range a {
		if want[k] {
			a[k] = acc{make([]float64, G), make([]float64, G), make([]float64, G), make([]float64, G), make([]float64, G), make([]float64, G)}
		}
	}
	bs := o.BlockRows
	if bs == 0 {
		bs = DefaultBlockRows
	}
	var buf blockBuf
	var out [NumKinds][]float32
	truth := make([]float32, min(bs, ev.Rows)*G) // BlockRows may be far above the rows
	gcols := make([]int, G)
	for i, t := range ti {
		gcols[i] = tcols[t]
	}
	for lo := 0; lo < ev.Rows; lo += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(ev.Rows, lo+bs)
		m.block(qq, lo, hi, want, &buf, &out)
		q.gather(truth, gcols, lo, hi, nil)
		for k := range NumKinds {
			if !want[k] {
				continue
			}
			c := &a[k]
			for r := range hi - lo {
				p := out[k][r*T : (r+1)*T]
				y := truth[r*G : (r+1)*G]
				for i, t := range ti {
					pv, yv := float64(p[t]), float64(y[i])
					c.ae[i] += math.Abs(pv - yv)
					c.sp[i] += pv
					c.sy[i] += yv
					c.spp[i] += pv * pv
					c.syy[i] += yv * yv
					c.spy[i] += pv * yv
				}
			}
		}
	}
	n := float64(ev.Rows)
	for k := range NumKinds {
		if !want[k] {
			ev.MeanMAE[k], ev.MeanR[k], ev.BeatsLinear[k] = math.NaN(), math.NaN(), math.NaN()
			continue
		}
		c := &a[k]
		ev.MAE[k], ev.R[k] = make([]float64, G), make([]float64, G)
		var sm, sr float64
		nr := 0
		for i := range G {
			ev.MAE[k][i] = c.ae[i] / n
			sm += ev.MAE[k][i]
			cov := c.spy[i] - c.sp[i]*c.sy[i]/n
			vp := c.spp[i] - c.sp[i]*c.sp[i]/n
			vy := c.syy[i] - c.sy[i]*c.sy[i]/n
			r := math.NaN()
			if vp > 1e-12*n && vy > 1e-12*n {
				r = cov / math.Sqrt(vp*vy)
				sr += r
				nr++
			}
			ev.R[k][i] = r
		}
		ev.MeanMAE[k] = sm / float64(G)
		ev.MeanR[k] = sr / float64(max(nr, 1))
		if nr == 0 {
			ev.MeanR[k] = math.NaN()
		}
	}
	for k := range NumKinds {
		if !want[k] {
			continue
		}
		beat := 0
		for i := range G {
			if ev.MAE[k][i] < ev.MAE[LeastSquares][i] {
				beat++
			}
		}
		ev.BeatsLinear[k] = float64(beat) / float64(G)
	}
	return ev, nil
}
