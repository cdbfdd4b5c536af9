package layout

import (
	"context"
	"math/rand/v2"
	"sync"
)

// sgd holds what one optimisation run needs. Edges are the entries of a
// CSR: the heads of row i are i, tails Indices. epochs per sample follow
// umap-learn's make_epochs_per_sample: max weight / weight.
type sgd struct {
	a, b, gamma float64
	negRate     int
	alpha0      float64
	epochs      int
	moveOther   bool

	indptr  []int
	tails   []uint32
	eps     []float32 // epochs per sample
	next    []float32 // epoch of next sample
	nextNeg []float32 // epoch of next negative sample

	head  []float32 // 2 × heads coordinates
	tail  []float32 // 2 × nTail coordinates (the same slice as head in a fit)
	nTail uint64
}

func newSGD(indptr []int, tails []uint32, weights []float32, head, tail []float32, p sgdParams) *sgd {
	s := &sgd{a: p.a, b: p.b, gamma: p.gamma, negRate: p.negRate, alpha0: p.alpha, epochs: p.epochs, moveOther: p.moveOther,
		indptr: indptr, tails: tails, head: head, tail: tail, nTail: uint64(len(tail) / 2)}
	var mx float32
	for _, w := range weights {
		mx = max(mx, w)
	}
	s.eps = make([]float32, len(weights))
	s.next = make([]float32, len(weights))
	s.nextNeg = make([]float32, len(weights))
	for e, w := range weights {
		s.eps[e] = mx / w
		s.next[e] = s.eps[e]
		s.nextNeg[e] = s.eps[e] / float32(s.negRate)
	}
	return s
}

type sgdParams struct {
	a, b, gamma, alpha float64
	negRate, epochs    int
	moveOther          bool
}

func clip(v float64) float64 { return max(-4, min(4, v)) }

// attract is the coefficient of the attractive gradient at squared
// distance ds: −2ab d^2(b−1) / (1 + a d^2b).
func (s *sgd) attract(ds float64) float64 {
	if ds <= 0 {
		return 0
	}
	pb := pow(ds, s.b)
	return -2 * s.a * s.b * pb / ds / (s.a*pb + 1)
}

// repel is the coefficient of the repulsive gradient: 2γb / ((0.001 + d²)(1 + a d^2b)).
func (s *sgd) repel(ds float64) float64 {
	pb := pow(ds, s.b)
	return 2 * s.gamma * s.b / ((0.001 + ds) * (s.a*pb + 1))
}

// coords reads and writes points during a step; the serial run uses the
// arrays directly, the parallel one an overlay.
type coords interface {
	headXY(v uint32) (float32, float32)
	setHead(v uint32, x, y float32)
	tailXY(v uint32) (float32, float32)
	setTail(v uint32, x, y float32)
	// negXY reads a negative sample; the overlay reads the step's frozen
	// array without looking at its own changes (one memory access instead
	// of two: negative samples are random points, rarely changed this step)
	negXY(v uint32) (float32, float32)
}

type direct struct{ s *sgd }

func (d direct) headXY(v uint32) (float32, float32) { return d.s.head[2*v], d.s.head[2*v+1] }
func (d direct) setHead(v uint32, x, y float32)     { d.s.head[2*v], d.s.head[2*v+1] = x, y }
func (d direct) tailXY(v uint32) (float32, float32) { return d.s.tail[2*v], d.s.tail[2*v+1] }
func (d direct) setTail(v uint32, x, y float32)     { d.s.tail[2*v], d.s.tail[2*v+1] = x, y }
func (d direct) negXY(v uint32) (float32, float32)  { return d.s.tail[2*v], d.s.tail[2*v+1] }

// edges runs umap-learn's inner loop over heads [h0, h1) and their edges
// in [e0, e1) for epoch n at rate alpha.
func (s *sgd) edges(c coords, rng *rand.PCG, n int, alpha float64, h0, h1, e0, e1 int) {
	fn := float32(n)
	negRate := float32(s.negRate)
	for h := h0; h < h1; h++ {
		lo, hi := max(s.indptr[h], e0), min(s.indptr[h+1], e1)
		for e := lo; e < hi; e++ {
			if s.next[e] > fn {
				continue
			}
			j := uint32(h)
			k := s.tails[e]
			cx, cy := c.headXY(j)
			ox, oy := c.tailXY(k)
			dx, dy := float64(cx-ox), float64(cy-oy)
			gc := s.attract(dx*dx + dy*dy)
			gx, gy := clip(gc*dx)*alpha, clip(gc*dy)*alpha
			cx, cy = cx+float32(gx), cy+float32(gy)
			if s.moveOther {
				c.setTail(k, ox-float32(gx), oy-float32(gy))
				if !s.separate() && k == j { // a self-edge moves the same point
					cx, cy = c.headXY(j)
				}
			}
			s.next[e] += s.eps[e]
			epsNeg := s.eps[e] / negRate
			nNeg := int((fn - s.nextNeg[e]) / epsNeg)
			for q := 0; q < nNeg; q++ {
				kk := uint32((uint64(uint32(rng.Uint64())) * s.nTail) >> 32)
				ox, oy := c.negXY(kk)
				if !s.separate() && kk == j {
					ox, oy = cx, cy
				}
				dx, dy := float64(cx-ox), float64(cy-oy)
				ds := dx*dx + dy*dy
				var rx, ry float64
				switch {
				case ds > 0:
					gc := s.repel(ds)
					rx, ry = clip(gc*dx), clip(gc*dy)
				case kk == j && !s.separate():
					continue
				default:
					rx, ry = 4, 4
				}
				cx += float32(rx * alpha)
				cy += float32(ry * alpha)
			}
			c.setHead(j, cx, cy)
			s.nextNeg[e] += float32(nNeg) * epsNeg
		}
	}
}

// separate reports whether heads and tails are different point sets (a
// transform).
func (s *sgd) separate() bool { return !s.moveOther }

// run optimises with threads goroutines (see the package documentation).
func (s *sgd) run(ctx context.Context, src rand.Source, threads int) error {
	heads := len(s.indptr) - 1
	nnz := s.indptr[heads]
	if threads <= 1 || heads < parallelFrom || !s.moveOther {
		rng := rand.NewPCG(src.Uint64(), src.Uint64())
		c := direct{s}
		for n := 0; n < s.epochs; n++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			alpha := s.alpha0 * (1 - float64(n)/float64(s.epochs))
			s.edges(c, rng, n, alpha, 0, heads, 0, nnz)
		}
		return nil
	}
	ws := make([]*overlay, threads)
	for t := range ws {
		ws[t] = &overlay{s: s, rng: rand.NewPCG(src.Uint64(), src.Uint64()),
			stamp: make([]uint32, s.nTail), local: make([]float32, 2*s.nTail)}
		ws[t].e0, ws[t].e1 = t*nnz/threads, (t+1)*nnz/threads
	}
	const stepEdges = 1 << 15
	steps := max(1, (nnz/threads+stepEdges-1)/stepEdges)
	var stamp uint32
	for n := 0; n < s.epochs; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		alpha := s.alpha0 * (1 - float64(n)/float64(s.epochs))
		for st := 0; st < steps; st++ {
			stamp++
			var wg sync.WaitGroup
			for _, w := range ws {
				w.cur = stamp
				span := w.e1 - w.e0
				e0, e1 := w.e0+st*span/steps, w.e0+(st+1)*span/steps
				if e0 == e1 {
					continue
				}
				h0, h1 := headOf(s.indptr, e0), headOf(s.indptr, e1-1)+1
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.edges(w, w.rng, n, alpha, h0, h1, e0, e1)
				}()
			}
			wg.Wait()
			for _, w := range ws {
				w.merge()
			}
		}
	}
	return nil
}

// headOf returns the row holding entry e.
func headOf(indptr []int, e int) int {
	lo, hi := 0, len(indptr)-1
	for lo+1 < hi { // indptr[lo] ≤ e < indptr[hi]
		m := (lo + hi) / 2
		if indptr[m] <= e {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// overlay is one thread's view during a step: points it changed this step
// (stamp == cur) are read from local, the rest from the shared array, which
// nobody writes during a step.
type overlay struct {
	s       *sgd
	rng     *rand.PCG
	e0, e1  int
	cur     uint32
	stamp   []uint32
	local   []float32
	touched []touch
}

type touch struct {
	v      uint32
	ox, oy float32
}

func (o *overlay) get(v uint32) (float32, float32) {
	if o.stamp[v] == o.cur {
		return o.local[2*v], o.local[2*v+1]
	}
	return o.s.tail[2*v], o.s.tail[2*v+1]
}

func (o *overlay) set(v uint32, x, y float32) {
	if o.stamp[v] != o.cur {
		o.stamp[v] = o.cur
		o.touched = append(o.touched, touch{v, o.s.tail[2*v], o.s.tail[2*v+1]})
	}
	o.local[2*v], o.local[2*v+1] = x, y
}

func (o *overlay) headXY(v uint32) (float32, float32) { return o.get(v) }
func (o *overlay) setHead(v uint32, x, y float32)     { o.set(v, x, y) }
func (o *overlay) tailXY(v uint32) (float32, float32) { return o.get(v) }
func (o *overlay) setTail(v uint32, x, y float32)     { o.set(v, x, y) }
func (o *overlay) negXY(v uint32) (float32, float32)  { return o.s.tail[2*v], o.s.tail[2*v+1] }

// merge adds this thread's changes of the step to the shared array.
func (o *overlay) merge() {
	t := o.s.tail
	for _, c := range o.touched {
		t[2*c.v] += o.local[2*c.v] - c.ox
		t[2*c.v+1] += o.local[2*c.v+1] - c.oy
	}
	o.touched = o.touched[:0]
}
