package grn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"genestore/internal/par"
	"genestore/internal/prauc"
	"genestore/train/optim"
)

// Report describes a training run.
type Report struct {
	Epochs    int       // epochs run
	BestEpoch int       // 1-based epoch whose weights were kept (the last without a hold-out)
	Stopped   bool      // early stopping ended the run
	Loss      []float64 // per epoch, the mean over its mini-batches of each batch's mean BCE
	Contrast  []float64 // mean NT-Xent loss over each epoch (0 when off)
	HeldAUPRC []float64 // average precision on the held-out pairs after each epoch (empty without a hold-out)
	Positives int       // known edges trained on
	HeldOut   int       // known edges held out for early stopping
	// HeldNegatives is the number of fixed non-edges scored beside them:
	// with held regulators, their non-edges (at most max(1000, 20 per
	// held edge)); otherwise 5 per held-out edge, or fewer when the
	// candidates run short.
	HeldNegatives int
	// HeldRegulators is the number of regulators whose known edges were
	// all held out (0: the edges were split at random).
	HeldRegulators int
	Seconds        float64 // wall-clock training time (of every member)
	PairsPerSec    float64 // training pairs (positives and negatives) per second
	// Blend is the late-fusion blend (a, b, c) fitted on the hold-out
	// (Options.Fusion; zero without it).
	Blend [3]float64
	// Members holds each committee member's report (Options.Members > 1;
	// the fields above are then the first member's, except Seconds and
	// PairsPerSec, which cover the whole committee).
	Members []Report
	pairs   int
}

// pairKey packs a directed pair.
func pairKey(a, b int) int64 { return int64(a)<<32 | int64(b) }

// Train fits a DeepMCL model to views (every view with the same genes in the
// same order) so that the known edges score high and sampled non-edges among
// the candidate (regulator, target) pairs score low. A fraction
// (opts.HoldOut) of the known edges' regulators, with all their edges, is
// held out (of the known edges themselves when they name fewer than 4
// regulators), with fixed sampled non-edges, and the weights of the epoch
// with the best held-out average precision are kept.
//
// The same seed, inputs and MaxThreads give the same model.
func Train(ctx context.Context, views []View, known []Known, opts Options) (*Model, *Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	o := opts.withDefaults()
	if err := checkViews(views, 0); err != nil {
		return nil, nil, err
	}
	G := views[0].Genes
	if o.Regulators != nil && len(o.Regulators) == 0 {
		return nil, nil, fmt.Errorf("%w: empty candidate regulator list (nil means every gene)", ErrInput)
	}
	regs, err := geneList(o.Regulators, G, "regulator")
	if err != nil {
		return nil, nil, err
	}
	var pos []int64
	posSet := map[int64]bool{}
	for i, k := range known {
		a, b := int(k.Regulator), int(k.Target)
		if a < 0 || a >= G || b < 0 || b >= G || a == b {
			return nil, nil, fmt.Errorf("%w: known edge %d (%d → %d) outside %d genes or a self-loop", ErrInput, i, a, b, G)
		}
		if !posSet[pairKey(a, b)] {
			posSet[pairKey(a, b)] = true
			pos = append(pos, pairKey(a, b))
		}
	}
	if len(pos) < 2 {
		return nil, nil, fmt.Errorf("%w: %d distinct known edges, need at least 2", ErrInput, len(pos))
	}
	threads := o.MaxThreads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xdee9c1))
	hp := hyper{Bins: o.Bins, Conv1: o.Conv1, Conv2: o.Conv2, Hidden: o.Hidden, Embed: o.Embed, Head: o.Head,
		Neighbours: o.Neighbours, Views: len(views), Genes: G, SingleView: o.SingleView, RangeBins: o.RangeBins}
	if o.Members > 1 {
		hp.Members = o.Members
	}
	hp.Blend = o.Fusion && o.Evidence != nil
	if ev := o.Evidence; ev != nil {
		need := slices.Clone(regs)
		for _, k := range pos {
			need = append(need, int(k>>32))
		}
		if err := ev.check(hp.attViews(), G, need); err != nil {
			return nil, nil, err
		}
		hp.Evidence = ev.Features
	}
	m := newModel(hp, rng)
	in := views
	if o.SingleView {
		in = poolViews(views)
	}
	prep := prepare(in, o.Bins, o.Neighbours, threads, !o.RangeBins)

	// Split the known edges: one hold-out, or one fold per member.
	rng.Shuffle(len(pos), func(i, j int) { pos[i], pos[j] = pos[j], pos[i] })
	var splits []split
	if o.Members == 1 {
		held, trainPos, heldRegs := splitHeld(pos, o.HoldOut, rng)
		splits = []split{{held, trainPos, heldRegs}}
	} else {
		splits = splitFolds(pos, o.HoldOut, o.Members, rng)
	}
	start := time.Now()
	var (
		root  *Model
		rep   *Report
		reps  []Report
		pairs int
	)
	for k, sp := range splits {
		if k > 0 {
			m = newModel(hp, rng)
		}
		best, r, err := trainMember(ctx, m, prep, hp, o, sp, regs, G, posSet, threads, rng)
		if err != nil {
			return nil, nil, err
		}
		pairs += r.pairs
		if k == 0 {
			root, rep = best, r
		} else {
			root.members = append(root.members, best)
		}
		if len(splits) > 1 {
			reps = append(reps, *r)
		}
	}
	rep.Members = reps
	rep.Seconds = time.Since(start).Seconds()
	rep.PairsPerSec = float64(pairs) / max(rep.Seconds, 1e-9)
	return root, rep, nil
}

// split is one member's division of the known edges: held-out edges (for
// early stopping), training edges, and the held regulators (nil: an edge
// split).
type split struct {
	held, train []int64
	heldRegs    map[int]bool
}

// trainMember trains model m on split sp and returns the weights of its
// best epoch on the held-out pairs (the last without a hold-out).
func trainMember(ctx context.Context, m *Model, prep *prepared, hp hyper, o Options, sp split,
	regs []int, G int, posSet map[int64]bool, threads int, rng *rand.Rand) (*Model, *Report, error) {
	held, trainPos, heldRegs := sp.held, sp.train, sp.heldRegs
	nHeld := len(held)
	var (
		negs    *negSampler
		heldNeg []int64
	)
	if len(heldRegs) > 0 {
		// Regulator-disjoint: the held regulators' pairs leave training
		// altogether and their non-edges are the held negatives.
		trainRegs := slices.DeleteFunc(slices.Clone(regs), func(r int) bool { return heldRegs[r] })
		negs = newNegSampler(trainRegs, G, posSet)
		var hr []int
		for r := range heldRegs {
			hr = append(hr, r)
		}
		slices.Sort(hr)
		hn := newNegSampler(hr, G, posSet)
		heldNeg = hn.takeFixed(rng, min(hn.size(), max(1000, 20*nHeld)))
	} else {
		negs = newNegSampler(regs, G, posSet)
	}
	if negs.size() == 0 {
		if len(negs.regs) == 0 {
			return nil, nil, fmt.Errorf("%w: all %d candidate regulators are among the %d regulators held out for early stopping: no negatives to train on (give more candidate regulators, or HoldOut < 0)",
				ErrInput, len(regs), len(heldRegs))
		}
		return nil, nil, fmt.Errorf("%w: every candidate pair is a known edge: no negatives", ErrInput)
	}
	if nHeld > 0 && len(heldRegs) == 0 {
		heldNeg = negs.takeFixed(rng, min(5*nHeld, negs.size()/2))
	}
	rep := &Report{Positives: len(trainPos), HeldOut: nHeld, HeldNegatives: len(heldNeg), HeldRegulators: len(heldRegs)}

	bs := o.BatchSize
	w := newWork(hp, bs, threads)
	b := newBatcher(prep, hp, threads, o.Evidence)
	opt := optim.NewAdam(o.LR)
	opt.ClearGrad = true
	ps := m.params()
	best, bestAP, bad := m.clone(), math.Inf(-1), 0
	start := time.Now()
	pairs := 0
	y := make([]float32, bs)
	for epoch := 1; epoch <= o.Epochs; epoch++ {
		reps := max(1, (o.EpochPairs+len(trainPos)*(1+o.NegRatio)-1)/(len(trainPos)*(1+o.NegRatio)))
		ep := make([]labelled, 0, reps*len(trainPos)*(1+o.NegRatio))
		for range reps {
			for _, k := range trainPos {
				ep = append(ep, labelled{k, 1})
			}
		}
		for range reps * len(trainPos) * o.NegRatio {
			ep = append(ep, labelled{negs.draw(rng), 0})
		}
		rng.Shuffle(len(ep), func(i, j int) { ep[i], ep[j] = ep[j], ep[i] })
		var sumL, sumC float64
		steps := 0
		for s := 0; s < len(ep); s += bs {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			part := ep[s:min(s+bs, len(ep))]
			keys := make([]int64, len(part))
			for i, p := range part {
				keys[i], y[i] = p.key, p.y
			}
			b.fill(w, keys)
			w.forward(m, len(part))
			l, c := w.loss(m, len(part), y, o.Contrast, o.Temperature, true)
			if math.IsNaN(l) || math.IsNaN(c) || math.IsInf(l, 0) || math.IsInf(c, 0) {
				return nil, nil, fmt.Errorf("%w: loss %v, contrast %v at epoch %d", ErrNumeric, l, c, epoch)
			}
			opt.Step(ps)
			sumL, sumC = sumL+l, sumC+c
			steps++
			pairs += len(part)
		}
		rep.Epochs = epoch
		rep.Loss = append(rep.Loss, sumL/float64(max(steps, 1)))
		rep.Contrast = append(rep.Contrast, sumC/float64(max(steps, 1)))
		if nHeld == 0 {
			rep.BestEpoch = epoch
			continue
		}
		scores := make([]float64, 0, nHeld+len(heldNeg))
		all := append(append([]int64(nil), held...), heldNeg...)
		for s := 0; s < len(all); s += bs {
			keys := all[s:min(s+bs, len(all))]
			b.fill(w, keys)
			w.forward(m, len(keys))
			for i := range keys {
				scores = append(scores, float64(w.logit[i]))
			}
		}
		ap := prauc.AveragePrecision(scores[:nHeld], scores[nHeld:])
		rep.HeldAUPRC = append(rep.HeldAUPRC, ap)
		if ap > bestAP {
			bestAP, bad, rep.BestEpoch = ap, 0, epoch
			best = m.clone()
		} else if bad++; o.Patience > 0 && bad >= o.Patience {
			rep.Stopped = true
			break
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.PairsPerSec = float64(pairs) / max(rep.Seconds, 1e-9)
	rep.pairs = pairs
	if nHeld == 0 {
		best = m
	}
	for _, p := range best.params() {
		if err := finite(p.W); err != nil {
			return nil, nil, err
		}
	}
	if hp.Blend && nHeld > 0 {
		// Late fusion on the hold-out: the kept network's logits and the
		// ensemble evidence of the held pairs.
		all := append(append([]int64(nil), held...), heldNeg...)
		z, e := make([]float64, 0, len(all)), make([]float64, 0, len(all))
		y := make([]bool, len(all))
		for i := range nHeld {
			y[i] = true
		}
		for s := 0; s < len(all); s += bs {
			keys := all[s:min(s+bs, len(all))]
			b.fill(w, keys)
			w.forward(best, len(keys))
			for i := range keys {
				z, e = append(z, float64(w.logit[i])), append(e, float64(w.ensembleEvidence(hp, i)))
			}
		}
		best.blend = fitBlend(z, e, y)
		for i, x := range best.blend {
			rep.Blend[i] = float64(x)
		}
	}
	return best, rep, nil
}

// splitFolds divides the shuffled known edges pos among k members. With at
// least minHeldRegulators regulators among them, the regulators are dealt
// into min(k, regulators) folds and member i holds out fold i mod folds
// with all its edges (each regulator is held out of one member, or of
// several when the folds are fewer than the members); otherwise, from 5
// edges on, the edges are dealt into folds the same way. frac ≤ 0 (no
// early stopping) trains every member on every edge.
func splitFolds(pos []int64, frac float64, k int, rng *rand.Rand) []split {
	out := make([]split, k)
	if frac <= 0 {
		for i := range out {
			out[i].train = pos
		}
		return out
	}
	var regs []int
	seen := map[int]bool{}
	for _, p := range pos {
		if r := int(p >> 32); !seen[r] {
			seen[r] = true
			regs = append(regs, r)
		}
	}
	if len(regs) >= minHeldRegulators {
		slices.Sort(regs)
		rng.Shuffle(len(regs), func(i, j int) { regs[i], regs[j] = regs[j], regs[i] })
		nf := min(k, len(regs))
		fold := map[int]int{}
		for i, r := range regs {
			fold[r] = i % nf
		}
		ok := true
		for i := range out {
			out[i].heldRegs = map[int]bool{}
			for _, r := range regs {
				if fold[r] == i%nf {
					out[i].heldRegs[r] = true
				}
			}
			for _, p := range pos {
				if out[i].heldRegs[int(p>>32)] {
					out[i].held = append(out[i].held, p)
				} else {
					out[i].train = append(out[i].train, p)
				}
			}
			ok = ok && len(out[i].train) >= 2
		}
		if ok {
			return out
		}
		out = make([]split, k)
	}
	if len(pos) < 5 {
		for i := range out {
			out[i].train = pos
		}
		return out
	}
	nf := min(k, len(pos))
	for i := range out {
		for j, p := range pos {
			if j%nf == i%nf {
				out[i].held = append(out[i].held, p)
			} else {
				out[i].train = append(out[i].train, p)
			}
		}
	}
	return out
}

// minHeldRegulators is the fewest regulators with known edges for a
// regulator-disjoint hold-out.
const minHeldRegulators = 4

// splitHeld splits the shuffled known edges pos into held-out and training
// edges. With at least minHeldRegulators regulators among them, a fraction
// frac of the regulators (at least one) is held out with all its edges, so
// early stopping measures what the model is for: scoring regulators it was
// not trained on. Otherwise (or when that would leave fewer than 2
// training edges) a fraction frac of the edges is held out at random,
// from 5 edges on. heldRegs is nil for the edge split.
func splitHeld(pos []int64, frac float64, rng *rand.Rand) (held, train []int64, heldRegs map[int]bool) {
	if frac <= 0 {
		return nil, pos, nil
	}
	var regs []int
	seen := map[int]bool{}
	for _, k := range pos {
		if r := int(k >> 32); !seen[r] {
			seen[r] = true
			regs = append(regs, r)
		}
	}
	if len(regs) >= minHeldRegulators {
		slices.Sort(regs)
		rng.Shuffle(len(regs), func(i, j int) { regs[i], regs[j] = regs[j], regs[i] })
		nr := max(1, int(math.Round(frac*float64(len(regs)))))
		heldRegs = map[int]bool{}
		for _, r := range regs[:nr] {
			heldRegs[r] = true
		}
		for _, k := range pos {
			if heldRegs[int(k>>32)] {
				held = append(held, k)
			} else {
				train = append(train, k)
			}
		}
		if len(train) >= 2 {
			return held, train, heldRegs
		}
		held, train, heldRegs = nil, nil, nil
	}
	n := 0
	if len(pos) >= 5 {
		n = max(1, int(math.Round(frac*float64(len(pos)))))
	}
	return pos[:n], pos[n:], nil
}

type labelled struct {
	key int64
	y   float32
}

// geneList validates gene indices (nil means all G genes) and returns them
// deduplicated in increasing order.
func geneList(genes []int, G int, what string) ([]int, error) {
	if genes == nil {
		out := make([]int, G)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	out := make([]int, 0, len(genes))
	for _, g := range genes {
		if g < 0 || g >= G {
			return nil, fmt.Errorf("%w: %s %d outside %d genes", ErrInput, what, g, G)
		}
		out = append(out, g)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// negSampler draws candidate pairs (r, t), r a regulator, t ≠ r, that are
// not known edges and not held-out negatives. Small candidate sets are
// enumerated; large ones are sampled by rejection.
type negSampler struct {
	regs    []int
	G       int
	exclude map[int64]bool
	list    []int64 // enumerated candidates, or nil
}

const enumerateLimit = 1 << 22

func newNegSampler(regs []int, G int, pos map[int64]bool) *negSampler {
	n := &negSampler{regs: regs, G: G, exclude: map[int64]bool{}}
	for k := range pos {
		n.exclude[k] = true
	}
	if len(regs)*(G-1) <= enumerateLimit {
		for _, r := range regs {
			for t := range G {
				if k := pairKey(r, t); t != r && !pos[k] {
					n.list = append(n.list, k)
				}
			}
		}
	}
	return n
}

// size is the number of candidates left (an estimate when not enumerated).
func (n *negSampler) size() int {
	if n.list != nil || len(n.regs)*(n.G-1) <= enumerateLimit {
		return len(n.list)
	}
	return len(n.regs)*(n.G-1) - len(n.exclude)
}

func (n *negSampler) draw(rng *rand.Rand) int64 {
	if n.list != nil || len(n.regs)*(n.G-1) <= enumerateLimit {
		return n.list[rng.IntN(len(n.list))]
	}
	for {
		r := n.regs[rng.IntN(len(n.regs))]
		t := rng.IntN(n.G - 1)
		if t >= r {
			t++
		}
		if k := pairKey(r, t); !n.exclude[k] {
			return k
		}
	}
}

// takeFixed draws k distinct candidates and removes them from the pool.
func (n *negSampler) takeFixed(rng *rand.Rand, k int) []int64 {
	out := make([]int64, 0, k)
	if n.list != nil {
		for range k {
			i := rng.IntN(len(n.list))
			out = append(out, n.list[i])
			n.list[i] = n.list[len(n.list)-1]
			n.list = n.list[:len(n.list)-1]
		}
		return out
	}
	for len(out) < k {
		key := n.draw(rng)
		n.exclude[key] = true
		out = append(out, key)
	}
	return out
}

// batcher fills the image tensor (and the evidence) of a batch of pairs.
type batcher struct {
	prep    *prepared
	per     int // floats per pair
	threads int
	counts  [][]int32
	ev      *Evidence // nil without evidence
	evRow   []int32   // gene → evidence row
}

// newBatcher draws images from p and, when ev is non-nil (it must have
// passed Evidence.check), evidence from ev.
func newBatcher(p *prepared, hp hyper, threads int, ev *Evidence) *batcher {
	b := &batcher{prep: p, per: len(p.views) * hp.images() * hp.Bins * hp.Bins, threads: threads}
	b.counts = make([][]int32, threads)
	for i := range b.counts {
		b.counts[i] = make([]int32, hp.Bins*hp.Bins)
	}
	if ev != nil {
		b.ev, b.evRow = ev, ev.rows()
	}
	return b
}

// fill writes the images and evidence of the pairs keys into w.
func (b *batcher) fill(w *work, keys []int64) {
	par.For(b.threads, len(keys), func(part, lo, hi int) {
		for i := lo; i < hi; i++ {
			k := keys[i]
			b.prep.pairImages(w.x[i*b.per:(i+1)*b.per], b.counts[part], int(k>>32), int(k&0xffffffff))
		}
	})
	if b.ev == nil {
		return
	}
	F, G, V := b.ev.Features, b.ev.Genes, len(b.ev.X)
	for i, k := range keys {
		row, t := int(b.evRow[k>>32]), int(k&0xffffffff)
		for v, x := range b.ev.X {
			copy(w.f[(i*V+v)*F:][:F], x[(row*G+t)*F:][:F])
		}
	}
}

func finite(w []float32) error {
	for _, x := range w {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%w: weight %v", ErrNumeric, x)
		}
	}
	return nil
}
