package query

import (
	"context"
	"errors"
	"fmt"
	"genestore/vocab"
	"math"
	"sort"
)

// CoexprRequest asks for a gene's co-expression partners.
type CoexprRequest struct {
	Symbol string
	// Dataset limits the answer to one dataset's graph; empty means every
	// dataset that has edges.
	Dataset string
	// K is the number of partners returned; 0 means 25.
	K int
}

// DatasetWeight is an edge's weight in one dataset.
type DatasetWeight struct {
	Dataset string  `json:"dataset"`
	Weight  float32 `json:"weight"` // signed Pearson correlation
}

// Partner is one co-expression partner of the query gene.
type Partner struct {
	Rank   int             `json:"rank"`
	GeneID uint32          `json:"gene_id"`
	Symbol string          `json:"symbol"`
	Edges  []DatasetWeight `json:"edges"`
	// MeanWeight averages the weights over the datasets holding the edge.
	MeanWeight float32 `json:"mean_weight"`
	// Sign is "+", "-", or "mixed" when datasets disagree.
	Sign string `json:"sign"`
	// Conserved is the number of datasets holding the edge (with any sign).
	Conserved int `json:"conserved"`
	// Cosine is the cosine similarity of the two genes' consensus embeddings
	// (null when either has none).
	Cosine *float32 `json:"cosine"`
}

// Coexpr is the answer to Coexpr.
type Coexpr struct {
	Gene     GeneRef  `json:"gene"`
	Datasets []string `json:"datasets"` // graphs searched
	K        int      `json:"k"`
	// ModelVersion is the consensus gene embedding's (empty when none).
	ModelVersion string    `json:"model_version"`
	Partners     []Partner `json:"partners"`
}

// Coexpr returns a gene's partners in the co-expression graphs, ranked by
// the number of datasets the edge is conserved in, then by |mean weight|,
// then by gene id. Beside each, the cosine similarity of the two genes'
// consensus embeddings shows whether the model agrees with the graph.
func (e *Engine) Coexpr(ctx context.Context, req CoexprRequest) (*Coexpr, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*Coexpr, error) { return s.Coexpr(ctx, req) })
	}
	k, err := e.checkK(req.K, 25)
	if err != nil {
		return nil, err
	}
	g, err := e.ResolveGene(ctx, req.Symbol)
	if err != nil {
		return nil, err
	}
	nm, ds, err := e.names(ctx)
	if err != nil {
		return nil, err
	}
	var graphs []uint32
	if req.Dataset != "" {
		d, err := e.datasetID(ds, req.Dataset)
		if err != nil {
			return nil, err
		}
		graphs = []uint32{d}
	} else if graphs, err = e.r.EdgeDatasets(ctx); err != nil {
		return nil, err
	}
	out := &Coexpr{Gene: g, K: k, Datasets: []string{}, Partners: []Partner{}}
	by := map[uint32]*Partner{}
	for _, d := range graphs {
		out.Datasets = append(out.Datasets, nm[d])
		edges, err := e.r.Partners(ctx, d, g.ID)
		if errors.Is(err, ErrNotFound) { // only a named dataset can lack a graph; the store's error names it by id
			return nil, fmt.Errorf("%w: dataset %q has no co-expression edges (train genes builds them)", ErrNotFound, nm[d])
		}
		if err != nil {
			return nil, err
		}
		for _, ed := range edges {
			p := by[ed.Partner]
			if p == nil {
				p = &Partner{GeneID: ed.Partner}
				by[ed.Partner] = p
			}
			p.Edges = append(p.Edges, DatasetWeight{Dataset: nm[d], Weight: ed.Weight})
		}
	}
	list := make([]*Partner, 0, len(by))
	for _, p := range by {
		var sum float64
		pos, neg := 0, 0
		for _, w := range p.Edges {
			sum += float64(w.Weight)
			if w.Weight >= 0 {
				pos++
			} else {
				neg++
			}
		}
		p.Conserved = len(p.Edges)
		p.MeanWeight = float32(sum / float64(len(p.Edges)))
		switch {
		case neg == 0:
			p.Sign = "+"
		case pos == 0:
			p.Sign = "-"
		default:
			p.Sign = "mixed"
		}
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Conserved != b.Conserved {
			return a.Conserved > b.Conserved
		}
		if x, y := math.Abs(float64(a.MeanWeight)), math.Abs(float64(b.MeanWeight)); x != y {
			return x > y
		}
		return a.GeneID < b.GeneID
	})
	if len(list) > k {
		list = list[:k]
	}
	ids := make([]uint32, len(list))
	for i, p := range list {
		ids[i] = p.GeneID
	}
	genes, err := e.r.Genes(ctx, ids)
	if err != nil {
		return nil, err
	}
	// embedding cosine beside each edge, from the consensus gene vectors
	var q []float32
	if info, err := e.r.Space(ctx, vocab.SpaceGenes); err == nil {
		if s, ok := info.set(vocab.Consensus); ok {
			out.ModelVersion = s.ModelVersion
			q, err = e.r.Vectors(ctx, vocab.SpaceGenes, []uint64{vocab.EntityKey(vocab.Consensus, g.ID)})
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
		}
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	for i, p := range list {
		p.Rank = i + 1
		p.Symbol = genes[i].Symbol
		if q != nil {
			v, err := e.r.Vectors(ctx, vocab.SpaceGenes, []uint64{vocab.EntityKey(vocab.Consensus, p.GeneID)})
			switch {
			case err == nil:
				c := cosine(q, v)
				p.Cosine = &c
			case !errors.Is(err, ErrNotFound):
				return nil, err
			}
		}
		out.Partners = append(out.Partners, *p)
	}
	if len(graphs) == 0 {
		return out, fmt.Errorf("%w: no co-expression graph is stored", ErrNotFound)
	}
	return out, nil
}

// cosine of two equal-length vectors (0 when either is zero).
func cosine(a, b []float32) float32 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return float32(ab / math.Sqrt(aa*bb))
}
