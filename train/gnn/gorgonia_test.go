package gnn

// The gorgonia version of the peer-shape epoch, kept to measure gorgonia
// against the hand-written passes (BenchmarkGorgoniaEpochPeerShape beside
// BenchmarkEpochPeerShape), and the CSR sparse × dense product as a custom
// gorgonia Op whose gradient is checked by finite differences. Gathers
// (rows of Z by gene or edge end) are the same Op with a 0/1 selection
// matrix, since gorgonia has no gather/scatter-add.

import (
	"context"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"genestore/internal/cputime"
)

// spmmOp computes A·X for a fixed rows×cols CSR A (held by the op) and a
// dense cols×k X. Its gradient with respect to X is Aᵀ·dY.
type spmmOp struct {
	a, at *adjacency // A and Aᵀ; rows of a = a.n, columns = at.n
}

func newSpmmOp(a *adjacency, cols int) spmmOp { return spmmOp{a: a, at: a.transposeRect(cols)} }

func (op spmmOp) Arity() int { return 1 }
func (op spmmOp) Type() hm.Type {
	t := G.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}
func (op spmmOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	s := ns[0].(tensor.Shape)
	if len(s) != 2 || s[0] != op.at.n {
		return nil, fmt.Errorf("spmm: input shape %v, want (%d, k)", s, op.at.n)
	}
	return tensor.Shape{op.a.n, s[1]}, nil
}
func (op spmmOp) Do(vals ...G.Value) (G.Value, error) {
	x := vals[0].(*tensor.Dense)
	k := x.Shape()[1]
	out := make([]float32, op.a.n*k)
	op.a.spmm(x.Data().([]float32), k, out)
	return tensor.New(tensor.WithShape(op.a.n, k), tensor.WithBacking(out)), nil
}
func (op spmmOp) ReturnsPtr() bool      { return false }
func (op spmmOp) CallsExtern() bool     { return false }
func (op spmmOp) OverwritesInput() int  { return -1 }
func (op spmmOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "spmm%p", op.a) }
func (op spmmOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op spmmOp) String() string            { return "SpMM" }
func (op spmmOp) DiffWRT(inputs int) []bool { return []bool{true} }
func (op spmmOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(spmmOp{a: op.at, at: op.a}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}

// transposeRect transposes a.n × cols matrix a.
func (a *adjacency) transposeRect(cols int) *adjacency {
	t := &adjacency{n: cols, indptr: make([]int32, cols+1), idx: make([]int32, len(a.idx)), val: make([]float32, len(a.val))}
	for _, j := range a.idx {
		t.indptr[j+1]++
	}
	for i := 0; i < cols; i++ {
		t.indptr[i+1] += t.indptr[i]
	}
	next := append([]int32(nil), t.indptr[:cols]...)
	for i := 0; i < a.n; i++ {
		for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
			j := a.idx[k]
			t.idx[next[j]] = int32(i)
			t.val[next[j]] = a.val[k]
			next[j]++
		}
	}
	return t
}

// selection returns the len(rows) × n 0/1 matrix that picks the given rows.
func selection(rows []int32) *adjacency {
	s := &adjacency{n: len(rows), indptr: make([]int32, len(rows)+1), idx: make([]int32, len(rows)), val: make([]float32, len(rows))}
	for i, r := range rows {
		s.indptr[i+1] = int32(i + 1)
		s.idx[i] = r
		s.val[i] = 1
	}
	return s
}

func TestSpmmOpGradient(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	// a random 5×4 sparse matrix (rectangular) and X 4×3
	a := &adjacency{n: 5, indptr: []int32{0}}
	for i := 0; i < 5; i++ {
		for j := 0; j < 4; j++ {
			if rng.Float64() < 0.5 {
				a.idx = append(a.idx, int32(j))
				a.val = append(a.val, float32(rng.NormFloat64()))
			}
		}
		a.indptr = append(a.indptr, int32(len(a.idx)))
	}
	xv := make([]float32, 12)
	cv := make([]float32, 15)
	for i := range xv {
		xv[i] = float32(rng.NormFloat64())
	}
	for i := range cv {
		cv[i] = float32(rng.NormFloat64())
	}
	// loss = Σ C ⊙ (A·X)
	loss := func(x []float32) float64 {
		out := make([]float32, 15)
		a.spmm(x, 3, out)
		s := 0.0
		for i := range out {
			s += float64(out[i]) * float64(cv[i])
		}
		return s
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 3), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(append([]float32(nil), xv...)))))
	c := G.NewMatrix(g, tensor.Float32, G.WithShape(5, 3), G.WithName("c"), G.WithValue(tensor.New(tensor.WithShape(5, 3), tensor.WithBacking(cv))))
	y := G.Must(G.ApplyOp(newSpmmOp(a, 4), x))
	l := G.Must(G.Sum(G.Must(G.HadamardProd(y, c))))
	if _, err := G.Grad(l, x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(x))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got, want := float64(l.Value().Data().(float32)), loss(xv); math.Abs(got-want) > 1e-4 {
		t.Fatalf("forward %v, want %v", got, want)
	}
	gv, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	grad := gv.Data().([]float32)
	const eps = 1e-2 // the loss is linear in x: differences are exact up to rounding
	for i := range xv {
		p := append([]float32(nil), xv...)
		p[i] += eps
		m := append([]float32(nil), xv...)
		m[i] -= eps
		fd := (loss(p) - loss(m)) / (2 * eps)
		if math.Abs(fd-float64(grad[i])) > 1e-3 {
			t.Fatalf("d/dx[%d]: op %v, finite difference %v", i, grad[i], fd)
		}
	}
}

// gorgoniaEpoch builds the peer-shape model in gorgonia: per dataset
// Z = Â·ReLU(Â·X·W1)·W2 (shared W1, W2 as in peer_train.py), edge BCE on the
// edges and as many random pairs, symmetric InfoNCE on the shared genes.
// Pairs for the BCE are fixed at graph build (gorgonia fixes shapes then),
// so the negatives are not redrawn: that only flatters gorgonia.
func BenchmarkGorgoniaEpochPeerShape(b *testing.B) {
	inputs := peerProfiles(rand.New(rand.NewSource(0)), 5000, 512, 0.8)
	rng := rand.New(rand.NewSource(1))
	g := G.NewGraph()
	w1 := G.NewMatrix(g, tensor.Float32, G.WithShape(512, 128), G.WithName("w1"), G.WithInit(G.GlorotU(1)))
	w2 := G.NewMatrix(g, tensor.Float32, G.WithShape(128, 64), G.WithName("w2"), G.WithInit(G.GlorotU(1)))
	var zs []*G.Node
	var loss *G.Node
	for di, in := range inputs {
		r := newRun(in, &datasetState{Name: in.Name, Genes: in.Genes}, Options{MaxProfile: 512}, rng)
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(r.n, r.p), G.WithName(fmt.Sprintf("x%d", di)),
			G.WithValue(tensor.New(tensor.WithShape(r.n, r.p), tensor.WithBacking(r.F))))
		op := newSpmmOp(r.adj, r.n)
		h := G.Must(G.Rectify(G.Must(G.ApplyOp(op, G.Must(G.Mul(x, w1))))))
		z := G.Must(G.ApplyOp(op, G.Must(G.Mul(h, w2))))
		zs = append(zs, z)
		all := append(append([][2]int32{}, r.pos...), randomPairs(rng, r.n, len(r.pos))...)
		ia, ib := make([]int32, len(all)), make([]int32, len(all))
		sign := make([]float32, len(all))
		for i, e := range all {
			ia[i], ib[i] = e[0], e[1]
			sign[i] = -1 // softplus(−s) for edges
			if i >= len(r.pos) {
				sign[i] = 1 // softplus(s) for negatives
			}
		}
		za := G.Must(G.ApplyOp(newSpmmOp(selection(ia), r.n), z))
		zb := G.Must(G.ApplyOp(newSpmmOp(selection(ib), r.n), z))
		s := G.Must(G.Sum(G.Must(G.HadamardProd(za, zb)), 1))
		sg := G.NewVector(g, tensor.Float32, G.WithShape(len(all)), G.WithValue(tensor.New(tensor.WithShape(len(all)), tensor.WithBacking(sign))))
		bce := G.Must(G.Mean(G.Must(G.Softplus(G.Must(G.HadamardProd(s, sg))))))
		if loss == nil {
			loss = bce
		} else {
			loss = G.Must(G.Add(loss, bce))
		}
	}
	// shared genes
	local := map[uint32]int32{}
	for i, gid := range inputs[1].Genes {
		local[gid] = int32(i)
	}
	var sa, sb []int32
	for i, gid := range inputs[0].Genes {
		if j, ok := local[gid]; ok {
			sa = append(sa, int32(i))
			sb = append(sb, j)
		}
	}
	norm := func(z *G.Node, sel []int32, n int) *G.Node {
		u := G.Must(G.ApplyOp(newSpmmOp(selection(sel), n), z))
		nr := G.Must(G.Sqrt(G.Must(G.Sum(G.Must(G.Square(u)), 1))))
		return G.Must(G.BroadcastHadamardDiv(u, nr, nil, []byte{1}))
	}
	u := norm(zs[0], sa, len(inputs[0].Genes))
	v := norm(zs[1], sb, len(inputs[1].Genes))
	logits := G.Must(G.Mul(u, G.Must(G.Transpose(v))))
	logits = G.Must(G.Mul(logits, G.NewConstant(float32(10)))) // 1/τ, τ = 0.1
	diag := G.Must(G.Mul(G.Must(G.Sum(G.Must(G.HadamardProd(u, v)), 1)), G.NewConstant(float32(10))))
	// gorgonia's LogSumExp does not build for a matrix (its max is not
	// broadcast); |logits| ≤ 1/τ = 10, so log Σ exp needs no shift.
	ex := G.Must(G.Exp(logits))
	rows := G.Must(G.Mean(G.Must(G.Sub(G.Must(G.Log(G.Must(G.Sum(ex, 1)))), diag))))
	cols := G.Must(G.Mean(G.Must(G.Sub(G.Must(G.Log(G.Must(G.Sum(ex, 0)))), diag))))
	nce := G.Must(G.Mul(G.Must(G.Add(rows, cols)), G.NewConstant(float32(0.5))))
	loss = G.Must(G.Add(loss, nce))
	if _, err := G.Grad(loss, w1, w2); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(w1, w2))
	defer vm.Close()
	solver := G.NewAdamSolver(G.WithLearnRate(1e-3))
	step := func() float64 {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		if err := solver.Step(G.NodesToValueGrads(G.Nodes{w1, w2})); err != nil {
			b.Fatal(err)
		}
		l := float64(loss.Value().Data().(float32))
		vm.Reset()
		return l
	}
	for i := 0; i < 2; i++ {
		step()
	}
	_ = context.Background
	b.ResetTimer()
	var wall, cpu float64
	n := 0
	for i := 0; i < b.N; i++ {
		var first, last float64
		for e := 0; e < 5; e++ {
			c0, t0 := cputime.Seconds(), time.Now()
			l := step()
			wall += time.Since(t0).Seconds()
			cpu += cputime.Seconds() - c0
			n++
			if e == 0 {
				first = l
			}
			last = l
		}
		b.Logf("loss %.4f → %.4f", first, last)
	}
	b.ReportMetric(wall/float64(n), "s/epoch")
	b.ReportMetric(cpu/float64(n), "cpu-s/epoch")
}
