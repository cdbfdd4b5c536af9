package baseline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"genestore/internal/sparse"
)

// Sentinel errors of the package; returned errors wrap them.
var (
	// ErrShape reports an impossible k or an empty matrix.
	ErrShape = errors.New("baseline: bad shape")
	// ErrNumeric reports a failed decomposition (non-finite input, no convergence).
	ErrNumeric = errors.New("baseline: numeric failure")
)

// PCAResult is the output of PCA. Matrices are row-major float32.
type PCAResult struct {
	K            int       // number of components
	CellScores   []float32 // cells × K: projections of the centred cells
	GeneLoadings []float32 // genes × K: unit-norm principal axes, one row per gene
	Variance     []float64 // K: variance explained by each component (sample variance, n−1)
	TotalVar     float64   // total variance of the centred data (sum over genes)
	Mean         []float32 // genes: the column means that were subtracted
}

// Options tune the randomized decomposition. The zero value runs (no
// oversampling, no power iterations) but is inaccurate on slowly decaying
// spectra; use DefaultPCAOptions.
type Options struct {
	Oversample int // extra subspace columns beyond k (default 10)
	PowerIters int // subspace (power) iterations (default 6)
}

// DefaultPCAOptions returns the options PCA uses.
func DefaultPCAOptions() Options { return Options{Oversample: 10, PowerIters: 6} }

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if o.Oversample < 0 {
		errs = append(errs, fmt.Errorf("%w: oversample %d < 0", ErrShape, o.Oversample))
	}
	if o.PowerIters < 0 {
		errs = append(errs, fmt.Errorf("%w: power iterations %d < 0", ErrShape, o.PowerIters))
	}
	return errors.Join(errs...)
}

// PCA returns the top k principal components of X (cells × genes, already
// log-normalised), with DefaultPCAOptions. seed makes the result reproducible.
func PCA(ctx context.Context, X *sparse.CSR, k int, seed uint64) (*PCAResult, error) {
	return PCAWithOptions(ctx, X, k, seed, DefaultPCAOptions())
}

// PCAWithOptions is PCA with explicit options.
func PCAWithOptions(ctx context.Context, X *sparse.CSR, k int, seed uint64, o Options) (*PCAResult, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if X == nil || X.Rows == 0 || X.Cols == 0 {
		return nil, fmt.Errorf("%w: empty matrix", ErrShape)
	}
	if err := X.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNumeric, err)
	}
	n, g := X.Rows, X.Cols
	if k < 1 || k > n || k > g {
		return nil, fmt.Errorf("%w: k = %d for a %d × %d matrix", ErrShape, k, n, g)
	}
	l := min(k+o.Oversample, n, g)

	mean := make([]float64, g)
	for i, c := range X.Indices {
		mean[c] += float64(X.Data[i])
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	total := 0.0
	{
		sq := make([]float64, g)
		for i, c := range X.Indices {
			v := float64(X.Data[i])
			sq[c] += v * v
		}
		for j := range sq {
			total += sq[j] - float64(n)*mean[j]*mean[j]
		}
		total /= float64(max(n-1, 1))
	}

	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	omega := mat.NewDense(g, l, nil)
	for i := range g {
		for j := range l {
			omega.Set(i, j, rng.NormFloat64())
		}
	}
	Y := mat.NewDense(n, l, nil)
	Z := mat.NewDense(g, l, nil)
	mulCentred(X, mean, omega, Y)
	Q, err := orthonormal(Y)
	if err != nil {
		return nil, err
	}
	for it := 0; it < o.PowerIters; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mulCentredT(X, mean, Q, Z)
		W, err := orthonormal(Z)
		if err != nil {
			return nil, err
		}
		mulCentred(X, mean, W, Y)
		if Q, err = orthonormal(Y); err != nil {
			return nil, err
		}
	}
	// B = Qᵀ Xc is l × g; we hold Bᵀ = Xcᵀ Q (g × l).
	mulCentredT(X, mean, Q, Z)
	var svd mat.SVD
	if !svd.Factorize(Z, mat.SVDThin) {
		return nil, fmt.Errorf("%w: SVD did not converge", ErrNumeric)
	}
	s := svd.Values(nil)
	var V, Ub mat.Dense // Bᵀ = V S Ubᵀ: V (g × l) are gene axes, Ub (l × l) rotates Q
	svd.UTo(&V)
	svd.VTo(&Ub)
	var U mat.Dense
	U.Mul(Q, &Ub) // n × l left singular vectors of Xc

	res := &PCAResult{K: k, CellScores: make([]float32, n*k), GeneLoadings: make([]float32, g*k),
		Variance: make([]float64, k), TotalVar: total, Mean: make([]float32, g)}
	for j := range g {
		res.Mean[j] = float32(mean[j])
	}
	for c := range k {
		// sign: largest |loading| positive
		best, sign := 0.0, 1.0
		for j := range g {
			if v := V.At(j, c); math.Abs(v) > best {
				best = math.Abs(v)
				sign = math.Copysign(1, v)
			}
		}
		for j := range g {
			res.GeneLoadings[j*k+c] = float32(sign * V.At(j, c))
		}
		for i := range n {
			res.CellScores[i*k+c] = float32(sign * U.At(i, c) * s[c])
		}
		res.Variance[c] = s[c] * s[c] / float64(max(n-1, 1))
	}
	for _, v := range res.Variance {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: non-finite variance", ErrNumeric)
		}
	}
	return res, nil
}

// ScaledLoadings returns the gene loadings scaled by each component's
// standard deviation (genes × K, row-major): gene g's row is its vector in
// the component space, so that with all components the rows' dot products
// are the genes' covariances. It is the PCA gene baseline genestore
// compares gene embeddings with.
func (r *PCAResult) ScaledLoadings() []float32 {
	out := make([]float32, len(r.GeneLoadings))
	for c := range r.K {
		s := float32(math.Sqrt(r.Variance[c]))
		for g := c; g < len(out); g += r.K {
			out[g] = r.GeneLoadings[g] * s
		}
	}
	return out
}

// Transform projects new cells (same genes, same normalisation) onto the
// components: (X − Mean) · GeneLoadings, returned row-major cells × K.
func (r *PCAResult) Transform(X *sparse.CSR) ([]float32, error) {
	if X == nil || X.Cols != len(r.Mean) {
		return nil, fmt.Errorf("%w: matrix has %d genes, model %d", ErrShape, colsOf(X), len(r.Mean))
	}
	if err := X.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNumeric, err)
	}
	k := r.K
	off := make([]float64, k) // Mean · loadings
	for j, m := range r.Mean {
		for c := range k {
			off[c] += float64(m) * float64(r.GeneLoadings[j*k+c])
		}
	}
	out := make([]float32, X.Rows*k)
	acc := make([]float64, k)
	for i := range X.Rows {
		for c := range acc {
			acc[c] = -off[c]
		}
		idx, val := X.Row(i)
		for t, j := range idx {
			v := float64(val[t])
			row := r.GeneLoadings[int(j)*k : int(j)*k+k]
			for c, w := range row {
				acc[c] += v * float64(w)
			}
		}
		for c := range k {
			out[i*k+c] = float32(acc[c])
		}
	}
	return out, nil
}

func colsOf(X *sparse.CSR) int {
	if X == nil {
		return 0
	}
	return X.Cols
}

// mulCentred sets out = (X − 1·meanᵀ) · B, B genes × l, out cells × l.
func mulCentred(X *sparse.CSR, mean []float64, B, out *mat.Dense) {
	_, l := B.Dims()
	bRaw := B.RawMatrix()
	oRaw := out.RawMatrix()
	shift := make([]float64, l) // meanᵀ B
	for j, m := range mean {
		if m == 0 {
			continue
		}
		row := bRaw.Data[j*bRaw.Stride : j*bRaw.Stride+l]
		for c, b := range row {
			shift[c] += m * b
		}
	}
	for i := range X.Rows {
		dst := oRaw.Data[i*oRaw.Stride : i*oRaw.Stride+l]
		for c := range dst {
			dst[c] = -shift[c]
		}
		idx, val := X.Row(i)
		for t, j := range idx {
			v := float64(val[t])
			row := bRaw.Data[int(j)*bRaw.Stride : int(j)*bRaw.Stride+l]
			for c, b := range row {
				dst[c] += v * b
			}
		}
	}
}

// mulCentredT sets out = (X − 1·meanᵀ)ᵀ · Q, Q cells × l, out genes × l.
func mulCentredT(X *sparse.CSR, mean []float64, Q, out *mat.Dense) {
	_, l := Q.Dims()
	qRaw := Q.RawMatrix()
	oRaw := out.RawMatrix()
	colSum := make([]float64, l) // 1ᵀ Q
	for i := range X.Rows {
		row := qRaw.Data[i*qRaw.Stride : i*qRaw.Stride+l]
		for c, q := range row {
			colSum[c] += q
		}
	}
	for j, m := range mean {
		dst := oRaw.Data[j*oRaw.Stride : j*oRaw.Stride+l]
		for c := range dst {
			dst[c] = -m * colSum[c]
		}
	}
	for i := range X.Rows {
		qrow := qRaw.Data[i*qRaw.Stride : i*qRaw.Stride+l]
		idx, val := X.Row(i)
		for t, j := range idx {
			v := float64(val[t])
			dst := oRaw.Data[int(j)*oRaw.Stride : int(j)*oRaw.Stride+l]
			for c, q := range qrow {
				dst[c] += v * q
			}
		}
	}
}

// orthonormal returns an orthonormal basis of A's columns, computed by
// modified Gram-Schmidt applied twice (numerically as good as Householder QR
// for the few columns used here, without forming a rows × rows Q). A column
// that is numerically dependent on the earlier ones is replaced by zeros.
func orthonormal(A *mat.Dense) (*mat.Dense, error) {
	r, c := A.Dims()
	raw := A.RawMatrix()
	cols := make([][]float64, c) // column-major copy
	for j := range cols {
		cols[j] = make([]float64, r)
	}
	for i := range r {
		row := raw.Data[i*raw.Stride : i*raw.Stride+c]
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: non-finite values during iteration", ErrNumeric)
			}
			cols[j][i] = v
		}
	}
	for j := range c {
		v := cols[j]
		norm0 := math.Sqrt(dot(v, v))
		for pass := 0; pass < 2; pass++ {
			for p := 0; p < j; p++ {
				d := dot(cols[p], v)
				for i, q := range cols[p] {
					v[i] -= d * q
				}
			}
		}
		norm := math.Sqrt(dot(v, v))
		if norm <= 1e-12*norm0 || norm == 0 {
			clear(v)
			continue
		}
		inv := 1 / norm
		for i := range v {
			v[i] *= inv
		}
	}
	out := mat.NewDense(r, c, nil)
	oRaw := out.RawMatrix()
	for j, v := range cols {
		for i, x := range v {
			oRaw.Data[i*oRaw.Stride+j] = x
		}
	}
	return out, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}
