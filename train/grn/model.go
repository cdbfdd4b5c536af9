package grn

import (
	"math"
	"math/rand/v2"

	"genestore/train/optim"
)

// hyper is what fixes a model's shapes and inputs; the codec stores it.
type hyper struct {
	Bins       int  `json:"bins"`
	Conv1      int  `json:"conv1"`
	Conv2      int  `json:"conv2"`
	Hidden     int  `json:"hidden"`
	Embed      int  `json:"embed"`
	Head       int  `json:"head"`
	Neighbours int  `json:"neighbours"`
	Views      int  `json:"views"` // views the caller passes to Train and Score
	Genes      int  `json:"genes"`
	SingleView bool `json:"single_view"`
	RangeBins  bool `json:"range_bins,omitempty"`
	// Evidence is the number of evidence features per view the head reads
	// (0: none; codec version 2).
	Evidence int `json:"evidence,omitempty"`
	// Members is the number of networks of the committee (0 or 1: one;
	// codec version 3).
	Members int `json:"members,omitempty"`
	// Blend is set when every network carries a late-fusion blend of its
	// logit and the ensemble evidence (Options.Fusion; codec version 4).
	Blend bool `json:"blend,omitempty"`
}

// attViews is the number of views the network attends over.
func (h hyper) attViews() int {
	if h.SingleView {
		return 1
	}
	return h.Views
}

// images is the number of images per view of one pair.
func (h hyper) images() int { return 1 + h.Neighbours }

// feat is the length of the flattened output of the convolutions.
func (h hyper) feat() int { return (h.Bins / 4) * (h.Bins / 4) * h.Conv2 }

// Model is a trained DeepMCL network: the Siamese CNN over pair images, the
// two attention queries and the classification head, with the shapes and
// view count it was trained for. Score it with Score; persist it with
// MarshalBinary. A Model is safe for concurrent Score calls.
type Model struct {
	hp hyper
	// conv[i] holds W (9·cin × cout) and B (cout) of convolution i.
	convW, convB [4]*optim.Param
	fc1W, fc1B   *optim.Param // feat × Hidden, Hidden
	fc2W, fc2B   *optim.Param // Hidden × Embed, Embed
	slot         *optim.Param // images × Embed: added to image k's embedding (its role)
	qImg, qView  *optim.Param // Embed each
	h1W, h1B     *optim.Param // Embed × Head, Head
	h2W, h2B     *optim.Param // Head × 1, 1
	// With evidence (hp.Evidence > 0): evW projects a view's evidence
	// into its view embedding, evLin adds the attention-weighted evidence
	// straight to the logit. nil otherwise.
	evW, evLin *optim.Param // Evidence × Embed, Evidence
	// blend is (a, b, c) of the late fusion a·logit + b·ensemble + c
	// (hp.Blend; blendIdentity otherwise and while training).
	blend [3]float32
	// members are the committee's other networks (Options.Members > 1),
	// of the same shapes; nil for one network.
	members []*Model
}

// committee returns every network of the model: m, then its members.
func (m *Model) committee() []*Model { return append([]*Model{m}, m.members...) }

// paramShapes lists every parameter's name and shape (rows, cols) in the
// fixed order of params() and of the codec.
func (h hyper) paramShapes() []paramShape {
	c := [5]int{1, h.Conv1, h.Conv1, h.Conv2, h.Conv2}
	var s []paramShape
	for i := range 4 {
		s = append(s, paramShape{"conv" + string(rune('1'+i)) + ".W", 9 * c[i], c[i+1]},
			paramShape{"conv" + string(rune('1'+i)) + ".B", 1, c[i+1]})
	}
	s = append(s,
		paramShape{"fc1.W", h.feat(), h.Hidden}, paramShape{"fc1.B", 1, h.Hidden},
		paramShape{"fc2.W", h.Hidden, h.Embed}, paramShape{"fc2.B", 1, h.Embed},
		paramShape{"slot", h.images(), h.Embed},
		paramShape{"q.img", 1, h.Embed}, paramShape{"q.view", 1, h.Embed},
		paramShape{"head1.W", h.Embed, h.Head}, paramShape{"head1.B", 1, h.Head},
		paramShape{"head2.W", h.Head, 1}, paramShape{"head2.B", 1, 1})
	if h.Evidence > 0 {
		s = append(s, paramShape{"ev.W", h.Evidence, h.Embed}, paramShape{"ev.lin", 1, h.Evidence})
	}
	return s
}

type paramShape struct {
	name       string
	rows, cols int
}

// params returns the trainable tensors in paramShapes order.
func (m *Model) params() []*optim.Param {
	var ps []*optim.Param
	for i := range 4 {
		ps = append(ps, m.convW[i], m.convB[i])
	}
	ps = append(ps, m.fc1W, m.fc1B, m.fc2W, m.fc2B, m.slot, m.qImg, m.qView, m.h1W, m.h1B, m.h2W, m.h2B)
	if m.evW != nil {
		ps = append(ps, m.evW, m.evLin)
	}
	return ps
}

// newModel allocates a model of shape hp; with rng non-nil it draws He
// initial weights (zero biases, queries N(0, 0.1²)), otherwise all zero.
func newModel(hp hyper, rng *rand.Rand) *Model {
	m := &Model{hp: hp, blend: blendIdentity}
	shapes := hp.paramShapes()
	ps := make([]*optim.Param, len(shapes))
	for i, s := range shapes {
		w := make([]float32, s.rows*s.cols)
		if rng != nil && s.rows > 1 && s.name != "slot" { // weight matrices; biases, slots and queries below
			std := math.Sqrt(2 / float64(s.rows))
			if s.name == "head2.W" {
				std = math.Sqrt(1 / float64(s.rows))
			}
			for j := range w {
				w[j] = float32(rng.NormFloat64() * std)
			}
		}
		if rng != nil && (s.name == "q.img" || s.name == "q.view" || s.name == "slot") {
			for j := range w {
				w[j] = float32(rng.NormFloat64() * 0.1)
			}
		}
		ps[i] = optim.NewParam(w)
	}
	for i := range 4 {
		m.convW[i], m.convB[i] = ps[2*i], ps[2*i+1]
	}
	r := ps[8:]
	m.fc1W, m.fc1B, m.fc2W, m.fc2B = r[0], r[1], r[2], r[3]
	m.slot, m.qImg, m.qView = r[4], r[5], r[6]
	m.h1W, m.h1B, m.h2W, m.h2B = r[7], r[8], r[9], r[10]
	if hp.Evidence > 0 {
		m.evW, m.evLin = r[11], r[12]
	}
	return m
}

// convs returns the four convolutions over the current weights.
func (m *Model) convs() [4]conv {
	c := [5]int{1, m.hp.Conv1, m.hp.Conv1, m.hp.Conv2, m.hp.Conv2}
	var l [4]conv
	for i := range 4 {
		l[i] = conv{cin: c[i], cout: c[i+1], w: m.convW[i].W, b: m.convB[i].W}
	}
	return l
}

// clone returns a deep copy of m's weights (no optimiser state).
func (m *Model) clone() *Model {
	c := newModel(m.hp, nil)
	for i, p := range m.params() {
		copy(c.params()[i].W, p.W)
	}
	c.blend = m.blend
	return c
}

// Views returns the number of views the model was trained on (and that
// Score expects).
func (m *Model) Views() int { return m.hp.Views }

// Genes returns the number of genes (columns of every view) of the model.
func (m *Model) Genes() int { return m.hp.Genes }

// Evidence returns the number of evidence features per view the model
// reads (0: none).
func (m *Model) Evidence() int { return m.hp.Evidence }

// SingleView reports whether the model is the single-view baseline.
func (m *Model) SingleView() bool { return m.hp.SingleView }
