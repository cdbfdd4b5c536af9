package gnn

import (
	"math"
	"math/rand"
	"sort"
)

// layer is one graph layer. A GCN layer (Heads 0) computes
// out = Â·(in·W) + B. A transformer layer (Heads ≥ 1) computes, per head h,
// q, k, v = in·Wq_h, in·Wk_h, in·Wv_h and
//
//	out_i = mean_h Σ_j α_h,ij v_h,j + in_i·Wskip + B,
//	α_h,i· = softmax_{j ∈ N(i) ∪ {i}} (q_h,i·k_h,j / √Out)
//
// over the same graph as Â (see attention.go).
type layer struct {
	In, Out int
	Heads   int       // 0: GCN; ≥ 1: graph transformer with that many heads
	W       []float32 // In×cols(), row-major: GCN weight, or [Wq | Wk | Wv | Wskip]
	B       []float32 // Out
}

// cols is the number of columns of W: Out for GCN; for a transformer, the
// query, key and value weights of every head (Heads·Out columns each,
// head-major) and the skip weight (Out).
func (l layer) cols() int {
	if l.Heads == 0 {
		return l.Out
	}
	return (3*l.Heads + 1) * l.Out
}

func newLayer(in, out int, rng *rand.Rand) layer {
	return newConvLayer(in, out, 0, rng)
}

// newConvLayer initialises every weight block (in×out) Glorot-uniform and
// the bias to zero. heads 0 gives a GCN layer.
func newConvLayer(in, out, heads int, rng *rand.Rand) layer {
	l := layer{In: in, Out: out, Heads: heads, B: make([]float32, out)}
	l.W = make([]float32, in*l.cols())
	a := math.Sqrt(6 / float64(in+out)) // Glorot uniform
	for i := range l.W {
		l.W[i] = float32((2*rng.Float64() - 1) * a)
	}
	return l
}

func (l layer) clone() layer {
	return layer{In: l.In, Out: l.Out, Heads: l.Heads, W: append([]float32(nil), l.W...), B: append([]float32(nil), l.B...)}
}

// datasetState is what a model keeps of one dataset: its genes, its
// dataset-specific layer, its final vectors and its positive edges (for the
// neighbourhood overlap that weighs the cosine loss when a dataset is
// appended later).
type datasetState struct {
	Name  string
	Genes []uint32
	Cells int // cells of the input matrix (consensus weight √Cells)
	Layer layer
	Vecs  []float32 // len(Genes) × Dim
	Edges [][2]int32
}

// Model is a trained gene-embedding model: shared graph layers, one
// dataset-specific input layer per dataset, and the per-dataset vectors.
// A Model is not safe for concurrent mutation (AddDataset); its read
// methods may run concurrently.
type Model struct {
	opts   Options
	shared []layer
	ds     []*datasetState
}

// Options returns the hyper-parameters the model was trained with.
func (m *Model) Options() Options { return m.opts }

// Datasets returns the dataset names in training order.
func (m *Model) Datasets() []string {
	out := make([]string, len(m.ds))
	for i, d := range m.ds {
		out[i] = d.Name
	}
	return out
}

// Embedding is a set of gene vectors: row i of Vecs (Dim floats) belongs to
// Genes[i]. Dataset is the dataset name, or "*" for consensus vectors.
type Embedding struct {
	Dataset string
	Genes   []uint32
	Dim     int
	Vecs    []float32
}

// Embedding returns a copy of one dataset's vectors.
func (m *Model) Embedding(name string) (Embedding, bool) {
	for _, d := range m.ds {
		if d.Name == name {
			return Embedding{Dataset: d.Name, Genes: append([]uint32(nil), d.Genes...), Dim: m.opts.Dim,
				Vecs: append([]float32(nil), d.Vecs...)}, true
		}
	}
	return Embedding{}, false
}

// Consensus returns one vector per gene: the mean of the gene's unit-length
// vectors over the datasets that have it, dataset d weighted by √cells(d)
// (larger datasets give steadier correlations), renormalised to unit length.
// genes selects the genes (nil: every gene of every dataset); the result is
// sorted by gene id and omits genes no dataset has. A gene's consensus only
// depends on the datasets that contain it, so appending a dataset leaves the
// other genes' consensus vectors byte-identical.
func (m *Model) Consensus(genes []uint32) Embedding {
	dim := m.opts.Dim
	want := map[uint32]bool{}
	for _, g := range genes {
		want[g] = true
	}
	acc := map[uint32][]float64{}
	for _, d := range m.ds {
		w := math.Sqrt(float64(d.Cells))
		for i, g := range d.Genes {
			if genes != nil && !want[g] {
				continue
			}
			v := d.Vecs[i*dim : (i+1)*dim]
			n := 0.0
			for _, x := range v {
				n += float64(x) * float64(x)
			}
			if n == 0 {
				continue
			}
			s := w / math.Sqrt(n)
			a := acc[g]
			if a == nil {
				a = make([]float64, dim)
				acc[g] = a
			}
			for k, x := range v {
				a[k] += s * float64(x)
			}
		}
	}
	ids := make([]uint32, 0, len(acc))
	for g := range acc {
		ids = append(ids, g)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := Embedding{Dataset: "*", Genes: ids, Dim: dim, Vecs: make([]float32, len(ids)*dim)}
	for i, g := range ids {
		a := acc[g]
		n := 0.0
		for _, x := range a {
			n += x * x
		}
		if n == 0 {
			continue
		}
		n = math.Sqrt(n)
		for k, x := range a {
			out.Vecs[i*dim+k] = float32(x / n)
		}
	}
	return out
}
