package sim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/klauspost/compress/gzip"

	"genestore/internal/sparse"
)

// Stream purposes of the GRN simulator (disjoint from Generate's).
const (
	streamGRNNetwork = 101 // the base network
	streamGRNRewire  = 102 // per-view rewiring
	streamGRNCells   = 103 // per-view cells
)

// GRNConfig describes one regulatory-network simulation (GenerateGRN,
// WriteGRNDir). Start from DefaultGRNConfig; the zero value is not valid.
type GRNConfig struct {
	// Views is the number of views (datasets), named D1, D2, …
	Views int `json:"views"`
	// Cells is the number of cells per view.
	Cells int `json:"cells"`
	// Genes is the number of genes, G0001…; every view measures all of them.
	Genes int `json:"genes"`
	// Regulators is the number of transcription factors: genes G0001… up
	// to Regulators.
	Regulators int `json:"regulators"`
	// Levels is the depth of the TF cascade (1–3): level-0 TFs follow
	// pseudotime, each TF of level l ≥ 1 is regulated by 1–2 TFs of level
	// l−1.
	Levels int `json:"levels"`
	// MaxInDegree is the largest number of TFs regulating one non-TF gene
	// (each draws 1..MaxInDegree).
	MaxInDegree int `json:"max_in_degree"`
	// Activation is the probability that an edge activates (else it
	// represses).
	Activation float64 `json:"activation"`
	// Rewire is the probability that a TF → non-TF edge is moved, in each
	// view independently, to another TF (same sign): view-specific
	// regulation.
	Rewire float64 `json:"rewire"`
	// TimePoints cuts pseudotime [0, 1) into this many equal time points.
	TimePoints int `json:"time_points"`
	// Noise is the SD of the per-cell, per-gene intrinsic noise on the
	// logit of each gene's activity.
	Noise float64 `json:"noise"`
	// LibSize is the median library size (expected UMIs per cell).
	LibSize float64 `json:"lib_size"`
	// Dispersion is the negative-binomial dispersion (0 = Poisson).
	Dispersion float64 `json:"dispersion"`
	// Dropout scales the probability that a nonzero count of mean μ is
	// zeroed: Dropout·e^(−μ/10), so dropout hits weakly expressed genes.
	Dropout float64 `json:"dropout"`
	// Seed makes the simulation reproducible: the same GRNConfig gives the
	// same bytes.
	Seed uint64 `json:"seed"`
}

// DefaultGRNConfig returns 3 views × 2,000 cells, 200 genes of which 20
// TFs in a 3-level cascade, up to 3 regulators per target, 70% activating
// edges, 10% of target edges rewired per view, 4 time points, noise 1,
// 5,000 UMIs per cell, dispersion 0.1, dropout 0.2, seed 1.
func DefaultGRNConfig() GRNConfig {
	return GRNConfig{Views: 3, Cells: 2000, Genes: 200, Regulators: 20, Levels: 3, MaxInDegree: 3,
		Activation: 0.7, Rewire: 0.1, TimePoints: 4, Noise: 1, LibSize: 5000, Dispersion: 0.1,
		Dropout: 0.2, Seed: 1}
}

// Validate reports every problem of c at once; each error wraps
// ErrInvalidConfig.
func (c GRNConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	frac := func(name string, v float64) {
		if !(v >= 0 && v <= 1) {
			bad("%s = %v, want a fraction in [0, 1]", name, v)
		}
	}
	if c.Views < 1 || c.Views > 1000 {
		bad("views = %d, want 1..1000", c.Views)
	}
	if c.Cells < 1 || c.Cells > 1<<24 {
		bad("cells = %d, want 1..%d", c.Cells, 1<<24)
	}
	if c.Genes < 2 || c.Genes > 1<<16 {
		bad("genes = %d, want 2..%d", c.Genes, 1<<16)
	}
	if c.Levels < 1 || c.Levels > 3 {
		bad("levels = %d, want 1..3", c.Levels)
	}
	if c.Regulators < max(1, c.Levels) || c.Regulators >= c.Genes {
		bad("regulators = %d, want %d..genes-1 (%d)", c.Regulators, max(1, c.Levels), c.Genes-1)
	}
	if c.MaxInDegree < 1 || c.MaxInDegree > 10 {
		bad("max in-degree = %d, want 1..10", c.MaxInDegree)
	}
	frac("activation", c.Activation)
	frac("rewire", c.Rewire)
	frac("dropout", c.Dropout)
	if c.TimePoints < 1 || c.TimePoints > 1000 {
		bad("time points = %d, want 1..1000", c.TimePoints)
	}
	if !(c.Noise >= 0 && c.Noise <= 5) {
		bad("noise = %v, want 0..5", c.Noise)
	}
	if !(c.LibSize > 0 && c.LibSize <= 1e7) {
		bad("library size = %v, want (0, 1e7]", c.LibSize)
	}
	if !(c.Dispersion >= 0 && c.Dispersion <= 10) {
		bad("dispersion = %v, want 0..10", c.Dispersion)
	}
	return errors.Join(errs...)
}

// GRNEdge is one planted regulation over gene indices.
type GRNEdge struct {
	Regulator, Target int
	// Sign is +1 (activation) or −1 (repression).
	Sign int8
	// Weight is the edge's strength (> 0) on the logit of the target's activity.
	Weight float64
}

// GRNView is one simulated view (dataset).
type GRNView struct {
	Name string // D1, D2, …
	// X is cells × genes raw counts (non-negative integers as float32).
	X          *sparse.CSR
	Barcodes   []string  // D1_C000001, …
	Pseudotime []float64 // in [0, 1)
	TimePoint  []int     // ⌊pseudotime × TimePoints⌋
	// Edges is the network that drove this view: the base network after
	// this view's rewiring, sorted by target then regulator.
	Edges []GRNEdge
	// Removed and Added are the base edges this view lost and the edges it
	// gained instead.
	Removed, Added []GRNEdge
}

// GRNSimulation is an in-memory regulatory-network simulation.
type GRNSimulation struct {
	Config GRNConfig
	Genes  []string // G0001, …
	// Regulators are the TF gene indices 0..Regulators-1; Level gives each
	// TF's cascade level.
	Regulators []int
	Level      []int
	// Edges is the base network, sorted by target then regulator.
	Edges []GRNEdge
	Views []GRNView
}

// grnNetwork draws the base network: TFs by level, each non-master TF
// regulated by 1–2 TFs of the level above, each non-TF gene by
// 1..MaxInDegree TFs of any level.
func grnNetwork(c GRNConfig) (level []int, edges []GRNEdge) {
	r := newStream(c.Seed, streamGRNNetwork, 0, 0)
	R := c.Regulators
	level = make([]int, R)
	for i := range R {
		level[i] = i * c.Levels / R
	}
	sign := func() int8 {
		if r.Float64() < c.Activation {
			return 1
		}
		return -1
	}
	weight := func() float64 { return 1 + r.Float64() }
	pick := func(cands []int, k int) []int {
		k = min(k, len(cands))
		p := slices.Clone(cands)
		for i := range k {
			j := i + r.IntN(len(p)-i)
			p[i], p[j] = p[j], p[i]
		}
		out := p[:k]
		slices.Sort(out)
		return out
	}
	byLevel := make([][]int, c.Levels)
	for i, l := range level {
		byLevel[l] = append(byLevel[l], i)
	}
	for i := range R {
		if level[i] == 0 {
			continue
		}
		for _, reg := range pick(byLevel[level[i]-1], 1+r.IntN(2)) {
			edges = append(edges, GRNEdge{Regulator: reg, Target: i, Sign: sign(), Weight: weight()})
		}
	}
	all := make([]int, R)
	for i := range all {
		all[i] = i
	}
	for g := R; g < c.Genes; g++ {
		for _, reg := range pick(all, 1+r.IntN(c.MaxInDegree)) {
			edges = append(edges, GRNEdge{Regulator: reg, Target: g, Sign: sign(), Weight: weight()})
		}
	}
	return level, edges
}

// rewire returns view v's network: each TF → non-TF edge moved, with
// probability Rewire, to another TF not already regulating that target
// (kept when every TF already does).
func rewire(c GRNConfig, base []GRNEdge, v int) (edges, removed, added []GRNEdge) {
	r := newStream(c.Seed, streamGRNRewire, uint64(v), 0)
	regsOf := map[int][]int{}
	for _, e := range base {
		regsOf[e.Target] = append(regsOf[e.Target], e.Regulator)
	}
	for _, e := range base {
		if e.Target < c.Regulators || r.Float64() >= c.Rewire || len(regsOf[e.Target]) >= c.Regulators {
			edges = append(edges, e)
			continue
		}
		var to int
		for {
			to = r.IntN(c.Regulators)
			if !slices.Contains(regsOf[e.Target], to) {
				break
			}
		}
		regsOf[e.Target] = append(regsOf[e.Target], to)
		n := e
		n.Regulator = to
		removed = append(removed, e)
		added = append(added, n)
		edges = append(edges, n)
	}
	byTarget := func(a, b GRNEdge) int {
		if c := cmp.Compare(a.Target, b.Target); c != 0 {
			return c
		}
		return cmp.Compare(a.Regulator, b.Regulator)
	}
	slices.SortFunc(edges, byTarget)
	slices.SortFunc(removed, byTarget)
	slices.SortFunc(added, byTarget)
	return edges, removed, added
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// hill is the activating Hill function x²/(K² + x²), K = 0.5.
func hill(x float64) float64 { return x * x / (0.25 + x*x) }

// GenerateGRN simulates c in memory; doc.go describes the model. The
// result depends only on c.
func GenerateGRN(ctx context.Context, c GRNConfig) (*GRNSimulation, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := &GRNSimulation{Config: c, Genes: make([]string, c.Genes), Regulators: make([]int, c.Regulators)}
	for g := range s.Genes {
		s.Genes[g] = fmt.Sprintf("G%0*d", max(4, digits(c.Genes)), g+1)
	}
	for i := range s.Regulators {
		s.Regulators[i] = i
	}
	s.Level, s.Edges = grnNetwork(c)
	slices.SortFunc(s.Edges, func(a, b GRNEdge) int {
		if c := cmp.Compare(a.Target, b.Target); c != 0 {
			return c
		}
		return cmp.Compare(a.Regulator, b.Regulator)
	})
	// gene constants, shared by the views
	gr := newStream(c.Seed, streamGRNNetwork, 1, 0)
	base := make([]float64, c.Genes)  // log-normal baseline rate
	phase := make([]float64, c.Genes) // pseudotime peak of level-0 TFs
	for g := range c.Genes {
		base[g] = math.Exp(gr.NormFloat64())
		phase[g] = gr.Float64()
	}
	for v := range c.Views {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		view := GRNView{Name: "D" + strconv.Itoa(v+1)}
		view.Edges, view.Removed, view.Added = rewire(c, s.Edges, v)
		if err := simulateView(ctx, c, s.Level, base, phase, v, &view); err != nil {
			return nil, err
		}
		s.Views = append(s.Views, view)
	}
	return s, nil
}

// simulateView draws view v's cells, checking ctx every 1024 cells.
func simulateView(ctx context.Context, c GRNConfig, level []int, base, phase []float64, v int, out *GRNView) error {
	r := newStream(c.Seed, streamGRNCells, uint64(v), 0)
	G := c.Genes
	in := make([][]GRNEdge, G)
	for _, e := range out.Edges {
		in[e.Target] = append(in[e.Target], e)
	}
	// offsets centre each gene's input: an input TF at activity 0.5 gives
	// a logit of 0
	offset := make([]float64, G)
	for g := range G {
		for _, e := range in[g] {
			offset[g] -= float64(e.Sign) * e.Weight * hill(0.5)
		}
	}
	// genes in cascade order: TFs by level, then the rest
	order := make([]int, 0, G)
	for l := 0; l < c.Levels; l++ {
		for i, li := range level {
			if li == l {
				order = append(order, i)
			}
		}
	}
	for g := c.Regulators; g < G; g++ {
		order = append(order, g)
	}
	nb := make([]nbSampler, G)
	for g := range nb {
		nb[g] = newNBSampler(c.Dispersion)
	}
	libShift := 0.2 * r.NormFloat64()
	x := make([]float64, G)
	rate := make([]float64, G)
	X := &sparse.CSR{Rows: c.Cells, Cols: G, Indptr: make([]int64, 1, c.Cells+1)}
	for cell := range c.Cells {
		if cell%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		t := r.Float64()
		out.Pseudotime = append(out.Pseudotime, t)
		out.TimePoint = append(out.TimePoint, min(c.TimePoints-1, int(t*float64(c.TimePoints))))
		out.Barcodes = append(out.Barcodes, fmt.Sprintf("%s_C%06d", out.Name, cell+1))
		for _, g := range order {
			eps := c.Noise * r.NormFloat64()
			if len(in[g]) == 0 { // level-0 TF: a bump over pseudotime
				d := t - phase[g]
				x[g] = sigmoid(6*math.Exp(-d*d/(2*0.3*0.3)) - 3 + 2*eps)
				continue
			}
			u := offset[g]
			for _, e := range in[g] {
				u += float64(e.Sign) * e.Weight * hill(x[e.Regulator])
			}
			x[g] = sigmoid(3*u + 2*eps)
		}
		var tot float64
		for g := range G {
			rate[g] = base[g] * (0.05 + x[g])
			tot += rate[g]
		}
		lib := c.LibSize * math.Exp(libShift+0.3*r.NormFloat64())
		for g := range G {
			mu := lib * rate[g] / tot
			n := nb[g].sample(r, mu)
			if n > 0 && c.Dropout > 0 && r.Float64() < c.Dropout*math.Exp(-mu/10) {
				n = 0
			}
			if n > 0 {
				X.Indices = append(X.Indices, int32(g))
				X.Data = append(X.Data, float32(n))
			}
		}
		X.Indptr = append(X.Indptr, int64(len(X.Data)))
	}
	out.X = X
	return nil
}

// LogNormalized returns v's cells × genes expression as log1p of counts
// scaled to 10,000 per cell, dense and row-major.
func (v *GRNView) LogNormalized() []float32 {
	out := make([]float32, v.X.Rows*v.X.Cols)
	for c := range v.X.Rows {
		idx, val := v.X.Row(c)
		var tot float64
		for _, x := range val {
			tot += float64(x)
		}
		for k, g := range idx {
			out[c*v.X.Cols+int(g)] = float32(math.Log1p(float64(val[k]) / tot * 1e4))
		}
	}
	return out
}

// WriteGRNDir simulates c and writes it under dir (created if needed): one
// 10x folder per view and the truth files listed in doc.go. The bytes
// depend only on c. Each file is written under a temporary name, synced
// and renamed when complete, a view's matrix.mtx.gz after its other files;
// the first file that fails ends the run, so a failed or killed run leaves
// no view that looks complete without its obs.csv.
func WriteGRNDir(ctx context.Context, c GRNConfig, dir string) error {
	s, err := GenerateGRN(ctx, c)
	if err != nil {
		return err
	}
	var failed error // the first failure: later writes do nothing
	write := func(path string, gz bool, fill func(b *bytes.Buffer)) (err error) {
		if failed != nil {
			return nil
		}
		defer func() { failed = err }()
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
		var b bytes.Buffer
		fill(&b)
		data := b.Bytes()
		if gz {
			var z bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
			zw.Write(data)
			zw.Close()
			data = z.Bytes()
		}
		f, err := createTmp(path)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.abort()
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
		return f.commit()
	}
	edges := func(b *bytes.Buffer, es []GRNEdge, change string) {
		for _, e := range es {
			sign := "+"
			if e.Sign < 0 {
				sign = "-"
			}
			b.WriteString(s.Genes[e.Regulator] + "\t" + s.Genes[e.Target] + "\t" + sign)
			if change != "" {
				b.WriteString("\t" + change)
			}
			b.WriteByte('\n')
		}
	}
	for i := range s.Views {
		v := &s.Views[i]
		vd := filepath.Join(dir, v.Name)
		err := errors.Join(
			write(filepath.Join(vd, "features.tsv.gz"), true, func(b *bytes.Buffer) {
				for _, g := range s.Genes {
					b.WriteString(g + "\t" + g + "\tGene Expression\n")
				}
			}),
			write(filepath.Join(vd, "barcodes.tsv.gz"), true, func(b *bytes.Buffer) {
				for _, bc := range v.Barcodes {
					b.WriteString(bc + "\n")
				}
			}),
			write(filepath.Join(vd, "obs.csv"), false, func(b *bytes.Buffer) {
				b.WriteString("barcode,pseudotime,time_point,batch\n")
				for c, bc := range v.Barcodes {
					b.WriteString(bc + "," + strconv.FormatFloat(v.Pseudotime[c], 'f', 6, 64) + "," +
						strconv.Itoa(v.TimePoint[c]) + "," + v.Name + "\n")
				}
			}),
			write(filepath.Join(vd, "matrix.mtx.gz"), true, func(b *bytes.Buffer) {
				b.WriteString(mtxBanner)
				b.WriteString("% genestore simulated regulatory-network view " + v.Name + "\n")
				fmt.Fprintf(b, "%d %d %d\n", v.X.Cols, v.X.Rows, v.X.NNZ())
				var line []byte
				for c := range v.X.Rows {
					idx, val := v.X.Row(c)
					for k, g := range idx {
						line = strconv.AppendInt(line[:0], int64(g)+1, 10)
						line = append(line, ' ')
						line = strconv.AppendInt(line, int64(c)+1, 10)
						line = append(line, ' ')
						line = strconv.AppendInt(line, int64(val[k]), 10)
						line = append(line, '\n')
						b.Write(line)
					}
				}
			}),
			write(filepath.Join(dir, "truth", v.Name+"_regulation.tsv"), false, func(b *bytes.Buffer) {
				b.WriteString("regulator\ttarget\tsign\n")
				edges(b, v.Edges, "")
			}),
			write(filepath.Join(dir, "truth", v.Name+"_rewired.tsv"), false, func(b *bytes.Buffer) {
				b.WriteString("regulator\ttarget\tsign\tchange\n")
				edges(b, v.Removed, "removed")
				edges(b, v.Added, "added")
			}),
		)
		if err != nil {
			return err
		}
	}
	return errors.Join(
		write(filepath.Join(dir, "truth", "regulation.tsv"), false, func(b *bytes.Buffer) {
			b.WriteString("regulator\ttarget\tsign\n")
			edges(b, s.Edges, "")
		}),
		write(filepath.Join(dir, "truth", "regulators.tsv"), false, func(b *bytes.Buffer) {
			b.WriteString("gene\tlevel\n")
			for i, r := range s.Regulators {
				b.WriteString(s.Genes[r] + "\t" + strconv.Itoa(s.Level[i]) + "\n")
			}
		}),
		write(filepath.Join(dir, "truth", "grn_config.json"), false, func(b *bytes.Buffer) {
			js, _ := json.MarshalIndent(c, "", "  ")
			b.Write(js)
			b.WriteByte('\n')
		}),
	)
}
