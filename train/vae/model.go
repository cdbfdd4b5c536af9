package vae

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genestore/internal/sparse"
	"genestore/vocab"
)

// libScale is the depth that counts are scaled to before log1p in the
// encoder input (as Seurat's and scanpy's "normalize_total" with 1e4).
const libScale = 1e4

// hyper are the hyper-parameters and vocabulary stored with the weights.
type hyper struct {
	Genes         int             `json:"genes"`
	Latent        int             `json:"latent"`
	Hidden        int             `json:"hidden"`
	Likelihood    Likelihood      `json:"likelihood"`
	LinearDecoder bool            `json:"linear_decoder"`
	Values        vocab.ValueType `json:"values"`
	BatchNames    []string        `json:"batch_names"`
}

// Model is a trained conditional VAE. Its methods are safe for concurrent use
// by readers (Embed, GeneLoadings, MarshalBinary); AddBatches must not run
// concurrently with them.
type Model struct {
	hp hyper
	// encoder: h1 = relu(x̃·encW + encB[batch] + encb); [μ, log σ²] = h1·encZ + encZb
	encW, encB, encb, encZ, encZb *param
	// non-linear decoder: h2 = relu(z·d1W + d1B[batch] + d1b); logits = h2·d2W + d2b
	d1W, d1B, d1b, d2W, d2b *param
	// linear decoder: logits = z·linW + linB[batch]
	linW, linB *param
	// disp is log θ (NB, ZINB) or log σ² (Gaussian), one per gene.
	disp *param
	// ZINB only: zero-inflation logits = h2·dpW + dpb.
	dpW, dpb *param
}

// Likelihood reports the observation model the weights were trained with.
func (m *Model) Likelihood() Likelihood { return m.hp.Likelihood }

// Latent is the embedding dimension.
func (m *Model) Latent() int { return m.hp.Latent }

// Genes is the number of input genes the model expects.
func (m *Model) Genes() int { return m.hp.Genes }

// BatchNames returns a copy of the batch vocabulary, in index order.
func (m *Model) BatchNames() []string { return append([]string(nil), m.hp.BatchNames...) }

// LinearDecoder reports whether the decoder is linear (LDVAE).
func (m *Model) LinearDecoder() bool { return m.hp.LinearDecoder }

// Values reports the kind of values the model was trained on.
func (m *Model) Values() vocab.ValueType { return m.hp.Values }

// params lists the parameters in their fixed serialisation order.
func (m *Model) params() []*param {
	if m.hp.LinearDecoder {
		return []*param{m.encW, m.encB, m.encb, m.encZ, m.encZb, m.linW, m.linB, m.disp}
	}
	ps := []*param{m.encW, m.encB, m.encb, m.encZ, m.encZb, m.d1W, m.d1B, m.d1b, m.d2W, m.d2b, m.disp}
	if m.hp.Likelihood == ZINB {
		ps = append(ps, m.dpW, m.dpb)
	}
	return ps
}

// newModel allocates and initialises a model as PyTorch's nn.Linear would
// (uniform ±1/√fan_in, biases included); the batch one-hot columns count in
// fan_in like scVI's concatenated covariates. log θ starts at 0.
func newModel(hp hyper, rng *rand.Rand) *Model {
	G, H, L, B := hp.Genes, hp.Hidden, hp.Latent, len(hp.BatchNames)
	m := &Model{hp: hp}
	enc := 1 / math.Sqrt(float64(G+B))
	m.encW = newParam("enc.W", G, H)
	m.encB = newParam("enc.B", B, H)
	m.encb = newParam("enc.b", 1, H)
	m.encZ = newParam("enc.Z", H, 2*L)
	m.encZb = newParam("enc.Zb", 1, 2*L)
	m.encW.uniform(rng, enc)
	m.encB.uniform(rng, enc)
	m.encb.uniform(rng, enc)
	m.encZ.uniform(rng, 1/math.Sqrt(float64(H)))
	m.encZb.uniform(rng, 1/math.Sqrt(float64(H)))
	if hp.LinearDecoder {
		m.linW = newParam("lin.W", L, G)
		m.linB = newParam("lin.B", B, G)
		m.linW.uniform(rng, 1/math.Sqrt(float64(L+B)))
		m.linB.uniform(rng, 1/math.Sqrt(float64(L+B)))
	} else {
		d1 := 1 / math.Sqrt(float64(L+B))
		m.d1W = newParam("dec.W1", L, H)
		m.d1B = newParam("dec.B1", B, H)
		m.d1b = newParam("dec.b1", 1, H)
		m.d2W = newParam("dec.W2", H, G)
		m.d2b = newParam("dec.b2", 1, G)
		m.d1W.uniform(rng, d1)
		m.d1B.uniform(rng, d1)
		m.d1b.uniform(rng, d1)
		m.d2W.uniform(rng, 1/math.Sqrt(float64(H)))
		m.d2b.uniform(rng, 1/math.Sqrt(float64(H)))
	}
	m.disp = newParam("disp", 1, G)
	if hp.Likelihood == ZINB {
		// Drawn after disp so that NB models keep their initial weights.
		m.dpW = newParam("dec.Wp", H, G)
		m.dpb = newParam("dec.bp", 1, G)
		m.dpW.uniform(rng, 1/math.Sqrt(float64(H)))
		m.dpb.uniform(rng, 1/math.Sqrt(float64(H)))
	}
	return m
}

// counts reports whether the likelihood models raw counts (NB or ZINB).
func (l Likelihood) counts() bool { return l == NB || l == ZINB }

// data is an Input prepared for training or embedding: the encoder's input
// values per stored entry, the per-cell library size and the target values.
type data struct {
	X      *sparse.CSR
	enc    []float32 // encoder input per stored entry (log1p of scaled counts, or log values)
	target []float32 // likelihood target per stored entry (counts for NB, log values for Gaussian)
	lib    []float32 // per cell: total counts (NB)
	lgx1   []float64 // per cell: Σ lgamma(x+1) over its counts (NB and ZINB constant)
	batch  []int32
}

// prepare validates X against the model and computes the encoder inputs.
// batch maps each cell to a model batch index. forLoss also computes what
// the likelihood needs (not needed to embed).
func prepare(X *sparse.CSR, batch []int32, values vocab.ValueType, lik Likelihood, genes int, forLoss bool) (*data, error) {
	if X == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInput)
	}
	if err := X.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	if X.Cols != genes {
		return nil, fmt.Errorf("%w: %d genes, model has %d", ErrInput, X.Cols, genes)
	}
	if len(batch) != X.Rows {
		return nil, fmt.Errorf("%w: %d batch labels for %d cells", ErrInput, len(batch), X.Rows)
	}
	d := &data{X: X, batch: batch, enc: make([]float32, len(X.Data)), lib: make([]float32, X.Rows)}
	if lik.counts() && forLoss {
		d.lgx1 = make([]float64, X.Rows)
		d.target = X.Data
	} else {
		d.target = d.enc
	}
	for r := range X.Rows {
		lo, hi := X.Indptr[r], X.Indptr[r+1]
		lib := 0.0
		for _, v := range X.Data[lo:hi] {
			if v < 0 && values != vocab.Log {
				return nil, fmt.Errorf("%w: negative value %v in cell %d (values %q)", ErrInput, v, r, values)
			}
			lib += float64(v)
		}
		d.lib[r] = float32(lib)
		for k := lo; k < hi; k++ {
			v := float64(X.Data[k])
			switch values {
			case vocab.Counts:
				if lib > 0 {
					d.enc[k] = float32(math.Log1p(v * libScale / lib))
				}
				if d.lgx1 != nil {
					d.lgx1[r] += lgamma(v + 1)
				}
			case vocab.Normalized:
				d.enc[k] = float32(math.Log1p(v))
			default: // vocab.Log
				d.enc[k] = float32(v)
			}
		}
	}
	return d, nil
}
