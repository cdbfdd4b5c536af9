package grn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tinyOptions trains in well under a second: one network (TestTrainCommittee
// trains the default committee).
func tinyOptions() Options {
	return Options{Bins: 8, Conv1: 2, Conv2: 4, Hidden: 8, Embed: 4, Head: 4, Epochs: 3, BatchSize: 8, MaxThreads: 2, Members: 1}
}

func tinyData() ([]View, []Known) {
	s := simulateNet(3, 16, 4, 3, []int{80, 60}, 0.1, 0)
	return s.views, s.truth
}

func TestOptionsValidate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Fatalf("zero options: %v", err)
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := Options{Bins: 30, Conv1: -1, LR: math.NaN(), HoldOut: 0.95, Neighbours: 99, MaxThreads: -2}
	err := bad.Validate()
	if !errors.Is(err, ErrOptions) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"bins 30", "conv1 -1", "learning rate NaN", "hold-out", "neighbours 99", "max threads"} {
		if !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestTrainInputErrors(t *testing.T) {
	views, known := tinyData()
	ctx := context.Background()
	short := views[1]
	short.Genes = 3
	for name, tc := range map[string]struct {
		views []View
		known []Known
		o     Options
	}{
		"no views":        {nil, known, tinyOptions()},
		"gene mismatch":   {[]View{views[0], short}, known, tinyOptions()},
		"self loop":       {views, []Known{{1, 1, 0}, {1, 2, 0}}, tinyOptions()},
		"out of range":    {views, []Known{{1, 99, 0}, {1, 2, 0}}, tinyOptions()},
		"one edge":        {views, known[:1], tinyOptions()},
		"bad regulator":   {views, known, func() Options { o := tinyOptions(); o.Regulators = []int{-1}; return o }()},
		"nan in the data": {[]View{{Cells: 2, Genes: 2, X: []float32{0, float32(math.NaN()), 1, 1}}}, known, tinyOptions()},
	} {
		if _, _, err := Train(ctx, tc.views, tc.known, tc.o); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err %v, want ErrInput", name, err)
		}
	}
}

func TestTrainReproducibleAndScore(t *testing.T) {
	views, known := tinyData()
	ctx := context.Background()
	m1, rep, err := Train(ctx, views, known, tinyOptions())
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := Train(ctx, views, known, tinyOptions())
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := m1.MarshalBinary()
	b2, _ := m2.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Fatal("same seed, different models")
	}
	if rep.Epochs == 0 || rep.BestEpoch == 0 || len(rep.Loss) != rep.Epochs {
		t.Fatalf("report %+v", rep)
	}
	var edges []Edge
	err = m1.ScoreAttention(ctx, views, nil, []int{2, 0, 2}, []int{0, 1, 2, 3, 1}, func(e Edge, att []float32) error {
		edges = append(edges, e)
		s := float32(0)
		for _, a := range att {
			s += a
		}
		if len(att) != 2 || math.Abs(float64(s-1)) > 1e-5 {
			t.Errorf("attention %v", att)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// repeated genes are scored once, at their first place
	want := [][2]int32{{2, 0}, {2, 1}, {2, 3}, {0, 1}, {0, 2}, {0, 3}}
	if len(edges) != len(want) {
		t.Fatalf("%d edges, want %d", len(edges), len(want))
	}
	for i, e := range edges {
		if [2]int32{e.Regulator, e.Target} != want[i] || e.Score < 0 || e.Score > 1 {
			t.Errorf("edge %d: %+v, want %v", i, e, want[i])
		}
	}
	stop := errors.New("stop")
	if err := m1.Score(ctx, views, nil, nil, nil, func(Edge) error { return stop }); err != stop {
		t.Fatalf("emit error: %v", err)
	}
	if err := m1.Score(ctx, views[:1], nil, nil, nil, func(Edge) error { return nil }); !errors.Is(err, ErrInput) {
		t.Fatalf("one view: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := m1.Score(cctx, views, nil, nil, nil, func(Edge) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, _, err := Train(cctx, views, known, tinyOptions()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled train: %v", err)
	}
}

func TestSingleViewScoresOneView(t *testing.T) {
	views, known := tinyData()
	o := tinyOptions()
	o.SingleView = true
	m, _, err := Train(context.Background(), views, known, o)
	if err != nil {
		t.Fatal(err)
	}
	if !m.SingleView() || m.Views() != 2 {
		t.Fatalf("single %v views %d", m.SingleView(), m.Views())
	}
	n := 0
	err = m.ScoreAttention(context.Background(), views, nil, []int{0}, nil, func(e Edge, att []float32) error {
		if len(att) != 1 || att[0] != 1 {
			t.Errorf("attention %v", att)
		}
		n++
		return nil
	})
	if err != nil || n != views[0].Genes-1 {
		t.Fatalf("%d edges, err %v", n, err)
	}
}

func TestImageTranspose(t *testing.T) {
	views, _ := tinyData()
	p := prepare(views, 8, 2, 1, false)
	n := 8 * 8 * 3 * len(views)
	ab, ba := make([]float32, n), make([]float32, n)
	counts := make([]int32, 64)
	p.pairImages(ab, counts, 4, 9)
	p.pairImages(ba, counts, 9, 4)
	for v := range views {
		x, y := ab[v*3*64:][:64], ba[v*3*64:][:64]
		for i := range 8 {
			for j := range 8 {
				if x[i*8+j] != y[j*8+i] {
					t.Fatalf("view %d: image of (b, a) is not the transpose of (a, b)", v)
				}
			}
		}
	}
}

func ExampleTrain() {
	views, known := tinyData() // two views of 16 genes, a known network
	opts := Options{Bins: 8, Conv1: 2, Conv2: 4, Hidden: 8, Embed: 4, Head: 4, Epochs: 2, MaxThreads: 1}
	m, _, err := Train(context.Background(), views, known, opts)
	if err != nil {
		panic(err)
	}
	n := 0
	err = m.Score(context.Background(), views, nil, []int{0, 1}, nil, func(e Edge) error {
		n++ // e.Regulator → e.Target with probability e.Score
		return nil
	})
	fmt.Println(n, err)
	// Output: 30 <nil>
}

func TestTrainBatchOfOne(t *testing.T) {
	views, known := tinyData()
	o := tinyOptions()
	o.BatchSize, o.Epochs, o.EpochPairs = 1, 1, 1
	_, rep, err := Train(context.Background(), views, known, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loss[0] == 0 || math.IsNaN(rep.Loss[0]) {
		t.Fatalf("loss %v", rep.Loss)
	}
}

// truthEvidence is evidence whose first feature marks the true edges (with
// noise) and whose second is noise: a head that reads evidence must learn
// to trust the first.
func truthEvidence(views []View, known []Known, seed uint64) *Evidence {
	rng := newSplitRand(seed)
	G := views[0].Genes
	ev := &Evidence{Genes: G, Features: 2}
	for g := range G {
		ev.Regulators = append(ev.Regulators, g)
	}
	truth := map[int64]bool{}
	for _, k := range known {
		truth[pairKey(int(k.Regulator), int(k.Target))] = true
	}
	for range views {
		x := make([]float32, G*G*2)
		for a := range G {
			for b := range G {
				x[(a*G+b)*2] = 0.3 * rng.Float32()
				if truth[pairKey(a, b)] {
					x[(a*G+b)*2] += 0.7
				}
				x[(a*G+b)*2+1] = rng.Float32()
			}
		}
		ev.X = append(ev.X, x)
	}
	return ev
}

// TestTrainEvidence: a model trained with evidence needs it to score,
// holds out whole regulators for early stopping, and learns to read the
// informative feature: the regulators it never saw score near-perfectly.
func TestTrainEvidence(t *testing.T) {
	s := simulateNet(5, 20, 6, 3, []int{80, 60}, 0.1, 0)
	views, known := s.views, s.truth
	var trainK []Known
	for _, k := range known {
		if k.Regulator != 5 {
			trainK = append(trainK, k)
		}
	}
	ev := truthEvidence(views, known, 1)
	o := tinyOptions()
	o.Evidence, o.Epochs, o.Regulators = ev, 10, []int{0, 1, 2, 3, 4}
	ctx := context.Background()
	m, rep, err := Train(ctx, views, trainK, o)
	if err != nil {
		t.Fatal(err)
	}
	if m.Evidence() != 2 {
		t.Fatalf("model reads %d evidence features", m.Evidence())
	}
	if rep.HeldRegulators != 1 || rep.HeldOut == 0 {
		t.Errorf("held out %d edges of %d regulators, want one regulator's", rep.HeldOut, rep.HeldRegulators)
	}
	if err := m.Score(ctx, views, nil, nil, nil, func(Edge) error { return nil }); !errors.Is(err, ErrInput) {
		t.Errorf("scoring without evidence: err %v, want ErrInput", err)
	}
	scores := map[int64]float64{}
	if err := m.Score(ctx, views, ev, []int{5}, nil, func(e Edge) error {
		scores[pairKey(int(e.Regulator), int(e.Target))] = e.Score
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	truth := map[int64]bool{}
	for _, k := range known {
		truth[pairKey(int(k.Regulator), int(k.Target))] = true
	}
	ap := evalAUPRC(truth, []int{5}, views[0].Genes, func(r, t int) float64 { return scores[pairKey(r, t)] })
	t.Logf("held-out regulator AUPRC %.3f (epochs %d, best %d)", ap, rep.Epochs, rep.BestEpoch)
	if ap < 0.9 {
		t.Errorf("AUPRC %.3f on the unseen regulator < 0.9: the head does not read the evidence", ap)
	}
	short := *ev
	short.Regulators = []int{0}
	short.X = [][]float32{ev.X[0][:views[0].Genes*2], ev.X[1][:views[0].Genes*2]}
	if _, _, err := Train(ctx, views, trainK, Options{Evidence: &short, Epochs: 1}); !errors.Is(err, ErrInput) {
		t.Errorf("evidence without the candidates' rows: err %v, want ErrInput", err)
	}
}

// TestTrainCommittee trains a committee: every member holds out its own
// fold of regulators, the model encodes and decodes with its members, and
// its score of a pair is the sigmoid of the members' mean logit.
func TestTrainCommittee(t *testing.T) {
	views, known := tinyData()
	ctx := context.Background()
	o := tinyOptions()
	o.Members = 3
	m, rep, err := Train(ctx, views, known, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.members) != 2 || len(rep.Members) != 3 {
		t.Fatalf("%d members, %d reports", len(m.members)+1, len(rep.Members))
	}
	for i, r := range rep.Members {
		if r.HeldRegulators == 0 || r.HeldOut == 0 || r.BestEpoch == 0 {
			t.Errorf("member %d: %+v", i, r)
		}
	}
	b, _ := m.MarshalBinary()
	var d Model
	if err := d.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	score := func(m *Model) (logits []float64) {
		err := m.Score(ctx, views, nil, []int{0}, []int{1, 2}, func(e Edge) error {
			logits = append(logits, math.Log(e.Score/(1-e.Score)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return logits
	}
	all := score(&d)
	mean := make([]float64, len(all))
	for _, c := range d.committee() {
		one := *c
		one.members = nil
		for j, x := range score(&one) {
			mean[j] += x / 3
		}
	}
	for j := range all {
		if math.Abs(all[j]-mean[j]) > 1e-4 {
			t.Errorf("pair %d: logit %v, members' mean %v", j, all[j], mean[j])
		}
	}
}
func TestSplitFolds(t *testing.T) {
	var pos []int64
	for r := range 5 {
		for tg := range 3 {
			pos = append(pos, pairKey(r, 10+tg))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sp := splitFolds(pos, 0.2, 3, rng)
	heldOnce := map[int]int{}
	for _, s := range sp {
		if len(s.held)+len(s.train) != len(pos) || len(s.heldRegs) == 0 {
			t.Fatalf("split %+v", s)
		}
		for r := range s.heldRegs {
			heldOnce[r]++
		}
		for _, k := range s.train {
			if s.heldRegs[int(k>>32)] {
				t.Fatal("a held regulator's edge is trained on")
			}
		}
	}
	for r := range 5 {
		if heldOnce[r] != 1 {
			t.Errorf("regulator %d held out by %d members", r, heldOnce[r])
		}
	}
	// Fewer regulators than 4: edge folds; no early stopping: all train.
	sp = splitFolds(pos[:6], 0.2, 3, rng)
	if len(sp[0].heldRegs) != 0 || len(sp[0].held) != 2 {
		t.Errorf("edge fold %+v", sp[0])
	}
	for _, s := range splitFolds(pos, -1, 2, rng) {
		if len(s.held) != 0 || len(s.train) != len(pos) {
			t.Errorf("no hold-out: %+v", s)
		}
	}
}

// TestTrainRegulatorErrors: an empty (non-nil) candidate list and a split
// that holds out every candidate regulator say so, rather than claiming
// that every candidate pair is a known edge.
func TestTrainRegulatorErrors(t *testing.T) {
	views, known := tinyData()
	ctx := context.Background()
	o := tinyOptions()
	o.Regulators = []int{}
	if _, _, err := Train(ctx, views, known, o); !errors.Is(err, ErrInput) || !bytes.Contains([]byte(err.Error()), []byte("empty candidate regulator list")) {
		t.Errorf("empty regulator list: err %v", err)
	}
	// One candidate regulator, known edges of four: some seed holds it out.
	o.Regulators = []int{int(known[0].Regulator)}
	o.Epochs = 1
	held := false
	for s := range uint64(8) {
		o.Seed = s
		_, _, err := Train(ctx, views, known, o)
		if err == nil {
			continue
		}
		held = true
		if !errors.Is(err, ErrInput) || !bytes.Contains([]byte(err.Error()), []byte("held out for early stopping")) {
			t.Errorf("seed %d: err %v", s, err)
		}
	}
	if !held {
		t.Fatal("no seed held the only candidate regulator out")
	}
}

// TestRangeBinsConstantGene pins the package doc: with RangeBins a gene
// constant in a view falls into one bin, the last when its value is
// positive (the range is [0, value]) and bin 0 otherwise.
func TestRangeBinsConstantGene(t *testing.T) {
	const C, G, B = 10, 4, 8
	x := make([]float32, C*G)
	for c := range C {
		x[c*G+0], x[c*G+1], x[c*G+2], x[c*G+3] = 2.5, 0, -1, float32(c)
	}
	p := prepare([]View{{Cells: C, Genes: G, X: x}}, B, 0, 1, false)
	for g, want := range []uint8{B - 1, 0, 0} {
		for c, b := range p.views[0].bin[g*C : (g+1)*C] {
			if b != want {
				t.Fatalf("gene %d, cell %d: bin %d, want %d", g, c, b, want)
			}
		}
	}
}
