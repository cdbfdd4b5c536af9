package vae

import (
	"genestore/train/optim"
	"genestore/vocab"

	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
	"unicode/utf8"
)

// Progress is passed to the progress callback after every epoch.
type Progress struct {
	Epoch, Epochs int     // 1-based epoch just finished, maximum epochs
	TrainLoss     float64 // mean training loss per cell (−ELBO with the epoch's KL weight)
	HeldOutLoss   float64 // mean held-out −ELBO per cell (NaN without a hold-out)
	CellsPerSec   float64 // training throughput of the epoch
}

// Report summarises a training run.
type Report struct {
	Likelihood    Likelihood
	Epochs        int       // epochs run
	BestEpoch     int       // epoch whose weights were kept (best held-out loss; last without hold-out)
	StoppedEarly  bool      // patience ran out before Epochs
	TrainCells    int       // cells trained on per epoch (every one, the last mini-batch is short)
	HeldOutCells  int       // cells held out for early stopping
	TrainLoss     []float64 // per epoch
	HeldOutLoss   []float64 // per epoch (empty without a hold-out)
	CellsPerSec   float64   // over the whole run, training passes only
	TrainDuration time.Duration
}

// resolve checks in and returns its batch indices as int32 and the batch names.
func (in Input) resolve() ([]int32, []string, vocab.ValueType, error) {
	if in.X == nil {
		return nil, nil, "", fmt.Errorf("%w: nil matrix", ErrInput)
	}
	names := in.BatchNames
	if len(names) == 0 {
		names = []string{"batch0"}
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, nil, "", fmt.Errorf("%w: batch name %q repeats", ErrInput, n)
		}
		if !utf8.ValidString(n) { // the model's JSON header could not give it back
			return nil, nil, "", fmt.Errorf("%w: batch name %q is not UTF-8", ErrInput, n)
		}
		seen[n] = true
	}
	b := make([]int32, in.X.Rows)
	if in.Batch != nil {
		if len(in.Batch) != in.X.Rows {
			return nil, nil, "", fmt.Errorf("%w: %d batch labels for %d cells", ErrInput, len(in.Batch), in.X.Rows)
		}
		for i, v := range in.Batch {
			if v < 0 || v >= len(names) {
				return nil, nil, "", fmt.Errorf("%w: cell %d has batch %d, only %d names", ErrInput, i, v, len(names))
			}
			b[i] = int32(v)
		}
	}
	// A name no cell uses would get weights never trained, and a later
	// AddBatches of that name would find it known and use them.
	used := make([]bool, len(names))
	for _, v := range b {
		used[v] = true
	}
	if i := slices.Index(used, false); i >= 0 && in.X.Rows > 0 {
		return nil, nil, "", fmt.Errorf("%w: batch name %q has no cells", ErrInput, names[i])
	}
	values := in.Values
	switch values {
	case "":
		values = vocab.Counts
	case vocab.Counts, vocab.Normalized, vocab.Log:
	default:
		return nil, nil, "", fmt.Errorf("%w: unknown value type %q", ErrInput, values)
	}
	return b, names, values, nil
}

// Train fits a new model to in. progress (may be nil) is called after every
// epoch. Training is reproducible for a given Options.Seed and thread count
// (parallel reductions are split by thread).
func Train(ctx context.Context, in Input, o Options, progress func(Progress)) (*Model, *Report, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	batch, names, values, err := in.resolve()
	if err != nil {
		return nil, nil, err
	}
	if in.X.Rows < 2 || in.X.Cols < 1 {
		return nil, nil, fmt.Errorf("%w: need at least 2 cells and 1 gene, have %d × %d", ErrInput, in.X.Rows, in.X.Cols)
	}
	o = o.withDefaults(in.X.Rows)
	lik := o.Likelihood
	if lik == "" {
		lik = Gaussian
		if values == vocab.Counts {
			lik = NB
		}
	}
	if lik.counts() && values != vocab.Counts {
		return nil, nil, fmt.Errorf("%w: the %s likelihood needs counts, input holds %q values", ErrInput, lik, values)
	}
	d, err := prepare(in.X, batch, values, lik, in.X.Cols, true)
	if err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	hp := hyper{Genes: in.X.Cols, Latent: o.Latent, Hidden: o.Hidden, Likelihood: lik,
		LinearDecoder: o.LinearDecoder, Values: values, BatchNames: append([]string(nil), names...)}
	m := newModel(hp, rng)
	rep, err := fit(ctx, m, d, o, rng, m.params(), progress, nil)
	if err != nil {
		return nil, nil, err
	}
	return m, rep, nil
}

// fit runs the training loop on d, updating only the trainable rows of ps.
// visit (tests only; nil otherwise) sees the rows of every training step.
func fit(ctx context.Context, m *Model, d *data, o Options, rng *rand.Rand, ps []*param, progress func(Progress), visit func(rows []int)) (*Report, error) {
	n := d.X.Rows
	perm := rng.Perm(n)
	nHeld := 0
	if o.HoldOut > 0 && n >= 20 {
		nHeld = int(math.Round(o.HoldOut * float64(n)))
	}
	held, trainRows := perm[:nHeld], append([]int(nil), perm[nHeld:]...)
	// A batch held out whole would never train its rows of the batch
	// weights (and AddBatches trains nothing else): give it one training
	// cell back. Draws are unchanged; only such batches differ.
	inTrain := map[int32]bool{}
	for _, r := range trainRows {
		inTrain[d.batch[r]] = true
	}
	keep := held[:0:0]
	for _, r := range held {
		if b := d.batch[r]; !inTrain[b] {
			inTrain[b] = true
			trainRows = append(trainRows, r)
			continue
		}
		keep = append(keep, r)
	}
	held, nHeld = keep, len(keep)
	bs := min(o.BatchSize, len(trainRows))
	w := newWork(m, bs, o.MaxThreads)
	opt := optim.NewAdam(o.LR)
	opt.ClearGrad = true
	ops := optimParams(ps)
	rep := &Report{Likelihood: m.hp.Likelihood, TrainCells: len(trainRows), HeldOutCells: nHeld}

	best := math.Inf(1)
	var bestW [][]float32
	since := 0
	var trainTime time.Duration
	for epoch := 1; epoch <= o.Epochs; epoch++ {
		w.beta = 1
		if o.KLWarmup > 0 {
			w.beta = float32(math.Min(1, float64(epoch)/float64(o.KLWarmup)))
		}
		rng.Shuffle(len(trainRows), func(i, j int) { trainRows[i], trainRows[j] = trainRows[j], trainRows[i] })
		t0 := time.Now()
		total := 0.0
		for s := 0; s < len(trainRows); s += bs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rows := trainRows[s:min(s+bs, len(trainRows))]
			for i := range len(rows) * m.hp.Latent {
				w.eps[i] = float32(rng.NormFloat64())
			}
			if visit != nil {
				visit(rows)
			}
			nll, kl := w.step(d, rows, true, true)
			total += nll + float64(w.beta)*kl
			opt.Step(ops)
		}
		el := time.Since(t0)
		trainTime += el
		trainLoss := total / float64(len(trainRows))
		if math.IsNaN(trainLoss) || math.IsInf(trainLoss, 0) {
			return nil, fmt.Errorf("%w: training loss %v at epoch %d", ErrNumeric, trainLoss, epoch)
		}
		rep.TrainLoss = append(rep.TrainLoss, trainLoss)
		rep.Epochs = epoch
		heldLoss := math.NaN()
		if nHeld > 0 {
			heldLoss = evalLoss(ctx, w, d, held)
			if err := ctx.Err(); err != nil { // evalLoss stopped early: NaN, not a loss
				return nil, err
			}
			rep.HeldOutLoss = append(rep.HeldOutLoss, heldLoss)
		}
		if progress != nil {
			progress(Progress{Epoch: epoch, Epochs: o.Epochs, TrainLoss: trainLoss, HeldOutLoss: heldLoss,
				CellsPerSec: float64(len(trainRows)) / el.Seconds()})
		}
		if nHeld == 0 || o.Patience < 0 {
			rep.BestEpoch = epoch
			continue
		}
		// Early stopping compares held-out −ELBO once the KL weight is 1.
		if epoch < o.KLWarmup {
			continue
		}
		if heldLoss < best {
			best, since, rep.BestEpoch = heldLoss, 0, epoch
			bestW = snapshot(ps, bestW)
		} else if since++; since >= o.Patience {
			rep.StoppedEarly = true
			break
		}
	}
	if bestW != nil {
		for i, p := range ps {
			copy(p.W, bestW[i])
		}
	} else {
		rep.BestEpoch = rep.Epochs
	}
	rep.TrainDuration = trainTime
	rep.CellsPerSec = float64(rep.Epochs*len(trainRows)) / trainTime.Seconds()
	for _, p := range ps {
		for _, v := range p.W {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%w: parameter %s is not finite", ErrNumeric, p.name)
			}
		}
	}
	return rep, nil
}

func snapshot(ps []*param, dst [][]float32) [][]float32 {
	if dst == nil {
		dst = make([][]float32, len(ps))
	}
	for i, p := range ps {
		dst[i] = append(dst[i][:0], p.W...)
	}
	return dst
}

// evalLoss is the mean −ELBO per cell over rows with z = μ (the
// reconstruction at the posterior mean plus the full KL): deterministic, so
// early stopping does not chase sampling noise.
func evalLoss(ctx context.Context, w *work, d *data, rows []int) float64 {
	total := 0.0
	for s := 0; s < len(rows); s += w.cap {
		if ctx.Err() != nil {
			return math.NaN()
		}
		r := rows[s:min(s+w.cap, len(rows))]
		nll, kl := w.step(d, r, false, false)
		total += nll + kl
	}
	return total / float64(len(rows))
}

// optimParams lists the optimiser's view of ps.
func optimParams(ps []*param) []*optim.Param {
	out := make([]*optim.Param, len(ps))
	for i, p := range ps {
		out[i] = &p.Param
	}
	return out
}
