package vae

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// AddBatches extends the model to the batches of in that it does not know
// yet, scArches-style: the batch vocabulary grows, the new batches get fresh
// rows in the encoder's and decoder's batch weights, and only those rows are
// trained (on in's cells) while every other weight stays frozen. Embeddings
// of cells from existing batches are therefore bit-identical before and
// after. in.BatchNames may repeat known names (their cells are used with the
// frozen rows); at least one name must be new. o's model-shape fields
// (Latent, Hidden, LinearDecoder, Likelihood) are not used, though Validate
// still checks them; Epochs, BatchSize, LR, Seed, Patience and HoldOut
// apply; KLWarmup does not (the KL weight is 1 throughout: a warm-up would
// only delay early stopping). On error the model is left unchanged.
func (m *Model) AddBatches(ctx context.Context, in Input, o Options) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	local, names, values, err := in.resolve()
	if err != nil {
		return nil, err
	}
	if in.X.Rows == 0 {
		return nil, fmt.Errorf("%w: no cells to train the new batches on", ErrInput)
	}
	if values != m.hp.Values {
		return nil, fmt.Errorf("%w: input holds %q values, model was trained on %q", ErrInput, values, m.hp.Values)
	}
	known := map[string]int{}
	for i, n := range m.hp.BatchNames {
		known[n] = i
	}
	old := len(m.hp.BatchNames)
	vocab := append([]string(nil), m.hp.BatchNames...)
	mapIdx := make([]int32, len(names))
	for i, n := range names {
		if j, ok := known[n]; ok {
			mapIdx[i] = int32(j)
			continue
		}
		mapIdx[i] = int32(len(vocab))
		vocab = append(vocab, n)
	}
	added := len(vocab) - old
	if added == 0 {
		return nil, fmt.Errorf("%w: no new batch names (known: %d)", ErrInput, old)
	}
	batch := make([]int32, len(local))
	for i, b := range local {
		batch[i] = mapIdx[b]
	}
	d, err := prepare(in.X, batch, values, m.hp.Likelihood, m.hp.Genes, true)
	if err != nil {
		return nil, err
	}
	if o.Epochs == 0 {
		o.Epochs = int(math.Round(math.Min(100, math.Max(20, 2e5/float64(in.X.Rows)))))
	}
	o = o.withDefaults(in.X.Rows)
	o.KLWarmup = -1 // only the new batch rows train; a warm-up would only delay stopping

	// Work on a copy so that an error leaves m as it was.
	c := m.clone()
	c.hp.BatchNames = vocab
	rng := rand.New(rand.NewPCG(o.Seed, 0xadd))
	var trainable []*param
	grow := func(p *param, bound float64) {
		p.growRows(added, rng, bound)
		p.Lo, p.Hi = old*p.cols, p.rows*p.cols
		trainable = append(trainable, p)
	}
	grow(c.encB, 1/math.Sqrt(float64(c.hp.Genes+len(vocab))))
	if c.hp.LinearDecoder {
		grow(c.linB, 0)
		// Start the new batches' gene offsets at the mean of the known ones.
		G := c.hp.Genes
		for g := range G {
			s := float32(0)
			for b := range old {
				s += c.linB.W[b*G+g]
			}
			for b := old; b < len(vocab); b++ {
				c.linB.W[b*G+g] = s / float32(old)
			}
		}
	} else {
		grow(c.d1B, 0)
		H := c.hp.Hidden
		for h := range H {
			s := float32(0)
			for b := range old {
				s += c.d1B.W[b*H+h]
			}
			for b := old; b < len(vocab); b++ {
				c.d1B.W[b*H+h] = s / float32(old)
			}
		}
	}
	for _, p := range c.params() {
		if p != c.encB && p != c.linB && p != c.d1B {
			p.Lo, p.Hi = 0, 0
		}
	}
	if len(trainable) == 0 {
		return nil, fmt.Errorf("%w: nothing to train", ErrInput)
	}
	rep, err := fit(ctx, c, d, o, rng, c.params(), nil, nil)
	if err != nil {
		return nil, err
	}
	for _, p := range c.params() {
		p.Lo, p.Hi = 0, p.rows*p.cols
		p.Reset()
	}
	*m = *c
	return rep, nil
}

// DefaultSurgeryOptions returns the options suggested for AddBatches: the
// new rows are few (two per batch and layer), so a 10× larger learning rate
// than Train's and a shorter patience reach the same held-out loss in a
// fraction of the epochs. Epochs 0 chooses clamp(2e5/cells, 20, 100).
func DefaultSurgeryOptions() Options {
	o := DefaultOptions()
	o.LR, o.Patience = 1e-2, 5
	return o
}

// clone deep-copies the model's weights and hyper-parameters.
func (m *Model) clone() *Model {
	c := &Model{hp: m.hp}
	c.hp.BatchNames = append([]string(nil), m.hp.BatchNames...)
	cp := func(p *param) *param {
		if p == nil {
			return nil
		}
		q := *p
		q.W = append([]float32(nil), p.W...)
		q.G = make([]float32, len(p.W))
		q.Reset()
		return &q
	}
	c.encW, c.encB, c.encb, c.encZ, c.encZb = cp(m.encW), cp(m.encB), cp(m.encb), cp(m.encZ), cp(m.encZb)
	c.d1W, c.d1B, c.d1b, c.d2W, c.d2b = cp(m.d1W), cp(m.d1B), cp(m.d1b), cp(m.d2W), cp(m.d2b)
	c.linW, c.linB, c.disp = cp(m.linW), cp(m.linB), cp(m.disp)
	c.dpW, c.dpb = cp(m.dpW), cp(m.dpb)
	return c
}
