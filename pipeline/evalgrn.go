package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"

	"genestore/query/eval"
	"genestore/store"
	"genestore/train/grn"
	"genestore/train/grn/classic"
)

// GRNEvalReport scores a stored network and the baselines computed in the
// same run against a reference network, with BEELINE's metrics over every
// ordered pair of the reference genes that the views measure.
type GRNEvalReport struct {
	Network string `json:"network"`
	// Genes are the reference genes present in the data; TrueEdges the
	// reference edges among them; DroppedEdges the reference edges naming a
	// gene absent from the data.
	Genes        int `json:"genes"`
	TrueEdges    int `json:"true_edges"`
	DroppedEdges int `json:"dropped_edges"`
	// Model are the stored network's scores; Baselines are |Pearson|, the
	// unsupervised default and, given the known edges, the single-view
	// DeepMCL model, over the same views and regulators.
	Model     eval.GRNScores            `json:"model"`
	Baselines map[string]eval.GRNScores `json:"baselines"`
	Method    string                    `json:"method"`
}

// EvalGRN scores network name against the reference edges truth (by
// symbol). The baselines re-read the network's views with the parameters
// its provenance recorded. known, when given, are the edges a supervised
// network was trained on: their pairs leave the evaluation (truth and
// predictions alike, so the figures are on held-out edges), and the
// single-view DeepMCL model (no attention) is trained on them as a further
// baseline, so the value of multi-view attention shows: with modelOpts,
// or, when it is the zero value, the options (and evidence) the network
// was trained with. When the network's scores were fused with the
// unsupervised ensemble's (its provenance's "fusion"), the single-view
// model's are fused with the same multi-view ensemble, so the two differ
// by the network's views and attention alone. The "ensemble" baseline is
// always the unsupervised default (views' median rank).
func EvalGRN(ctx context.Context, db *store.DB, name string, truth, known []KnownEdge, modelOpts grn.Options, log io.Writer) (*GRNEvalReport, error) {
	if log == nil {
		log = io.Discard
	}
	var (
		net   store.Network
		model []NamedEdge
		o     = DefaultGRNOptions()
		regs  []string
	)
	err := db.View(func(tx *store.Tx) error {
		var err error
		if name, err = ResolveNetwork(tx, name); err != nil {
			return err
		}
		if net, err = tx.Network(name); err != nil {
			return err
		}
		if model, err = NetworkEdges(tx, name, 0); err != nil {
			return err
		}
		for _, id := range net.Provenance.Datasets {
			d, err := tx.DatasetByID(id)
			if err != nil {
				return fmt.Errorf("network %q was inferred from dataset %d, which is gone: %w", name, id, err)
			}
			o.Datasets = append(o.Datasets, d.Name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var p struct {
		Genes   int    `json:"genes"`
		ViewsBy string `json:"views_by"`
		Seed    uint64 `json:"seed"`
		// DeepMCL networks: the model options and evidence features.
		Model    *grn.Options `json:"model"`
		Evidence int          `json:"evidence"`
		// Fusion is set when the network's scores were fused with the
		// unsupervised ensemble's (fuseWithEnsemble).
		Fusion    string              `json:"fusion"`
		Aggregate classic.Aggregation `json:"aggregate"`
	}
	_ = json.Unmarshal(net.Provenance.Params, &p)
	o.Name, o.ViewsBy, o.Seed, o.Aggregate = name, p.ViewsBy, p.Seed, p.Aggregate
	if p.Genes > 0 {
		o.Genes = p.Genes
	}
	seen := map[string]bool{}
	for _, e := range model {
		if !seen[e.Regulator] {
			seen[e.Regulator] = true
			regs = append(regs, e.Regulator)
		}
	}
	o.Regulators = regs
	in, err := PrepareGRN(ctx, db, o, log)
	if err != nil {
		return nil, fmt.Errorf("baselines: %w", err)
	}

	// The evaluation genes: reference genes the views measure.
	inData := map[string]bool{}
	for _, s := range in.Symbols {
		inData[s] = true
	}
	var genes []string
	gseen := map[string]bool{}
	for _, k := range truth {
		for _, g := range []string{k.Regulator, k.Target} {
			if inData[g] && !gseen[g] {
				gseen[g] = true
				genes = append(genes, g)
			}
		}
	}
	slices.Sort(genes)
	if len(genes) < 2 {
		return nil, fmt.Errorf("%w: the reference network names %d genes the views measure", ErrNoData, len(genes))
	}
	trained := map[[2]string]bool{}
	for _, k := range known {
		trained[[2]string{k.Regulator, k.Target}] = true
	}
	pairs := func(es []NamedEdge) ([]eval.RegPair, error) {
		var r, t []string
		var sg []int8
		var sc []float64
		for _, e := range es {
			if trained[[2]string{e.Regulator, e.Target}] {
				continue
			}
			r, t, sg, sc = append(r, e.Regulator), append(t, e.Target), append(sg, e.Sign), append(sc, float64(e.Score))
		}
		ps, _, err := eval.GenePairs(genes, r, t, sg, sc)
		return ps, err
	}
	truthEdges := make([]NamedEdge, len(truth))
	for i, k := range truth {
		truthEdges[i] = NamedEdge{Regulator: k.Regulator, Target: k.Target, Sign: k.Sign}
	}
	truthPairs, err := pairs(truthEdges)
	if err != nil {
		return nil, err
	}
	rep := &GRNEvalReport{Network: name, Genes: len(genes), DroppedEdges: len(truth) - len(truthPairs),
		Baselines: map[string]eval.GRNScores{}, Method: net.Method}
	if len(truthPairs) == 0 {
		return nil, fmt.Errorf("%w: no reference edge has both genes in the data", ErrNoData)
	}
	score := func(es []NamedEdge) (eval.GRNScores, error) {
		ps, err := pairs(es)
		if err != nil {
			return eval.GRNScores{}, err
		}
		return eval.GRN(len(genes), truthPairs, ps, eval.GRNOptions{})
	}
	if rep.Model, err = score(model); err != nil {
		return nil, err
	}
	rep.TrueEdges = rep.Model.TrueEdges
	regIdx := int32s(in.Regulators)
	var ensemble *classic.Result // the default's, reused to fuse the single-view baseline
	for _, m := range []classic.Method{classic.Pearson, classic.DefaultOptions().Method} {
		co := classic.DefaultOptions()
		co.Method, co.Seed = m, o.Seed
		res, err := classic.Infer(ctx, in.Views, regIdx, co)
		if err != nil {
			return nil, fmt.Errorf("baseline %s: %w", m, err)
		}
		if m != classic.Pearson && classicOptions(o).Aggregate == co.Aggregate { // the fusion's ensemble too
			ensemble = res
		}
		es := make([]NamedEdge, len(res.Edges))
		for i, e := range res.Edges {
			es[i] = NamedEdge{Regulator: in.Symbols[e.Regulator], Target: in.Symbols[e.Target], Score: float32(e.Score), Sign: e.Sign}
		}
		if rep.Baselines[string(m)], err = score(es); err != nil {
			return nil, err
		}
	}
	if len(known) > 0 {
		idx := map[string]int{}
		for i, s := range in.Symbols {
			idx[s] = i
		}
		var kn []grn.Known
		for _, k := range known {
			a, okA := idx[k.Regulator]
			b, okB := idx[k.Target]
			if okA && okB && a != b {
				kn = append(kn, grn.Known{Regulator: int32(a), Target: int32(b), Sign: k.Sign})
			}
		}
		if len(kn) == 0 {
			return nil, fmt.Errorf("%w: none of the %d known edges has both genes in the data", ErrNoData, len(known))
		}
		mo := modelOpts
		if reflect.ValueOf(modelOpts).IsZero() && p.Model != nil {
			mo = *p.Model // the network's own shape and training settings
		}
		mo.SingleView, mo.Seed = true, o.Seed
		fmt.Fprintf(log, "grn eval: training the single-view DeepMCL baseline on %d known edges\n", len(kn))
		model, _, ev, err := trainDeepMCL(ctx, in.Views, kn, in.Regulators, mo, p.Evidence > 0, nil, log)
		if err != nil {
			return nil, fmt.Errorf("baseline deepmcl single-view: %w", err)
		}
		var scored []grn.Edge
		err = model.Score(ctx, in.Views, ev, in.Regulators, nil, func(e grn.Edge) error {
			scored = append(scored, e)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if p.Fusion != "" { // fused like the network, so the two differ by the views alone
			if _, err := fuseWithEnsemble(ctx, in, in.Regulators, o, scored, ensemble, nil, log); err != nil {
				return nil, fmt.Errorf("baseline deepmcl single-view: %w", err)
			}
		}
		es := make([]NamedEdge, len(scored))
		for i, e := range scored {
			es[i] = NamedEdge{Regulator: in.Symbols[e.Regulator], Target: in.Symbols[e.Target], Score: float32(e.Score), Sign: e.Sign}
		}
		if rep.Baselines["deepmcl-single-view"], err = score(es); err != nil {
			return nil, err
		}
	}
	return rep, nil
}
