package gnn

import (
	"genestore/train/optim"

	"context"
	"fmt"
	"math/rand"
)

// Train fits the model on the datasets jointly and returns it with each
// dataset's vectors, the consensus vectors and the loss log. progress may be
// nil. The same inputs and Options.Seed give the same bytes.
func Train(ctx context.Context, inputs []DatasetInput, opts Options, progress Progress) (*Model, *Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	if len(inputs) == 0 {
		return nil, nil, fmt.Errorf("%w: no datasets", ErrInput)
	}
	names := map[string]bool{}
	for i := range inputs {
		if err := inputs[i].validate(); err != nil {
			return nil, nil, err
		}
		if names[inputs[i].Name] {
			return nil, nil, fmt.Errorf("%w: dataset name %q repeats", ErrInput, inputs[i].Name)
		}
		names[inputs[i].Name] = true
	}
	opts = opts.resolved()
	rng := rand.New(rand.NewSource(int64(opts.Seed)))
	m := &Model{opts: opts}
	t := &trainer{opts: opts, rng: rng}
	for _, in := range inputs {
		r := newTrainable(in, opts, rng)
		m.ds = append(m.ds, r.st)
		t.runs = append(t.runs, r)
	}
	m.shared = newSharedLayers(opts, rng)
	t.shared = m.shared
	sharedGrads := make([][2]*optim.Param, len(m.shared))
	for l := range m.shared {
		sharedGrads[l] = [2]*optim.Param{optim.NewParam(m.shared[l].W), optim.NewParam(m.shared[l].B)}
		t.params = append(t.params, sharedGrads[l][0], sharedGrads[l][1])
	}
	for _, r := range t.runs {
		t.params = append(t.params, r.grads[0][0], r.grads[0][1])
		r.grads = append(r.grads, sharedGrads...)
	}
	t.pairUp()
	log, best, err := t.fit(ctx, progress)
	if err != nil {
		return nil, nil, err
	}
	res := &Result{Log: log, BestEpoch: best}
	for _, st := range m.ds {
		e, _ := m.Embedding(st.Name)
		res.PerDataset = append(res.PerDataset, e)
	}
	res.Consensus = m.Consensus(nil)
	return m, res, nil
}

// AddDataset trains a dataset-specific layer for one new dataset with the
// shared layers frozen and every existing dataset's vectors held constant
// (they stay byte-identical), then adds the dataset to the model. The
// architecture comes from the model; opts supplies the training settings
// (Epochs, LearningRate, NegativeRatio, HoldOut, Patience, loss weights,
// Temperature, ContrastGenes, Seed). Update consensus vectors afterwards with
// m.Consensus(emb.Genes). On error the model is unchanged.
func (m *Model) AddDataset(ctx context.Context, in DatasetInput, opts Options, progress Progress) (Embedding, error) {
	opts.Dim, opts.Hidden, opts.SharedLayers, opts.MaxProfile = m.opts.Dim, m.opts.Hidden, m.opts.SharedLayers, m.opts.MaxProfile
	opts.Conv, opts.Heads = m.opts.Conv, m.opts.Heads
	if err := opts.Validate(); err != nil {
		return Embedding{}, err
	}
	if err := in.validate(); err != nil {
		return Embedding{}, err
	}
	for _, d := range m.ds {
		if d.Name == in.Name {
			return Embedding{}, fmt.Errorf("%w: %q", ErrDatasetExists, in.Name)
		}
	}
	rng := rand.New(rand.NewSource(int64(opts.Seed)))
	t := &trainer{opts: opts, rng: rng}
	// frozen copies: training must not touch the model until it succeeds
	for _, l := range m.shared {
		t.shared = append(t.shared, l.clone())
	}
	for _, d := range m.ds {
		r := &run{st: d, fixed: true, n: len(d.Genes)}
		r.setGraph(d.Edges)
		t.runs = append(t.runs, r)
	}
	r := newTrainable(in, opts, rng)
	t.runs = append(t.runs, r)
	t.params = []*optim.Param{r.grads[0][0], r.grads[0][1]}
	r.grads = append(r.grads, make([][2]*optim.Param, len(t.shared))...) // frozen
	t.pairUp()
	if _, _, err := t.fit(ctx, progress); err != nil {
		return Embedding{}, err
	}
	m.ds = append(m.ds, r.st)
	e, _ := m.Embedding(r.st.Name)
	return e, nil
}
