package vae

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Lgamma applies log Γ element-wise to x (all values > 0) in a gorgonia
// graph. Gorgonia has no lgamma; this op fills the gap and is differentiable:
// its gradient is ψ(x)·grad, computed by the Digamma op.
func Lgamma(x *G.Node) (*G.Node, error) { return G.ApplyOp(specialOp{kind: "lgamma"}, x) }

// Digamma applies ψ = (log Γ)′ element-wise to x (all values > 0). It is not
// differentiable (no trigamma).
func Digamma(x *G.Node) (*G.Node, error) { return G.ApplyOp(specialOp{kind: "digamma"}, x) }

// specialOp is an element-wise unary gorgonia op for lgamma or digamma on
// float64 or float32 tensors and scalars.
type specialOp struct{ kind string }

var errNotDifferentiable = errors.New("vae: digamma is not differentiable")

func (op specialOp) Arity() int { return 1 }
func (op specialOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (op specialOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("%w: %s takes 1 input, got %d", ErrInput, op.kind, len(in))
	}
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%w: %s: input shape %T", ErrInput, op.kind, in[0])
	}
	return s.Clone(), nil
}
func (op specialOp) f(x float64) float64 {
	if op.kind == "lgamma" {
		return lgamma(x)
	}
	return digamma(x)
}
func (op specialOp) Do(in ...G.Value) (G.Value, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("%w: %s takes 1 input, got %d", ErrInput, op.kind, len(in))
	}
	switch v := in[0].(type) {
	case *tensor.Dense:
		out := v.Clone().(*tensor.Dense)
		switch data := out.Data().(type) {
		case []float64:
			for i, x := range data {
				data[i] = op.f(x)
			}
		case []float32:
			for i, x := range data {
				data[i] = float32(op.f(float64(x)))
			}
		default:
			return nil, fmt.Errorf("%w: %s: dtype %v", ErrInput, op.kind, v.Dtype())
		}
		return out, nil
	case *G.F64:
		return G.NewF64(op.f(float64(*v))), nil
	case *G.F32:
		return G.NewF32(float32(op.f(float64(*v)))), nil
	default:
		return nil, fmt.Errorf("%w: %s: value %T", ErrInput, op.kind, in[0])
	}
}
func (op specialOp) ReturnsPtr() bool      { return false }
func (op specialOp) CallsExtern() bool     { return false }
func (op specialOp) OverwritesInput() int  { return -1 }
func (op specialOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "vae.%s", op.kind) }
func (op specialOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op specialOp) String() string { return op.kind }

// DiffWRT reports that lgamma is differentiable in its input; digamma is not.
func (op specialOp) DiffWRT(int) []bool { return []bool{op.kind == "lgamma"} }

// SymDiff returns ψ(x)·grad for lgamma.
func (op specialOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if op.kind != "lgamma" {
		return nil, errNotDifferentiable
	}
	psi, err := Digamma(in[0])
	if err != nil {
		return nil, err
	}
	d, err := G.HadamardProd(psi, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}
