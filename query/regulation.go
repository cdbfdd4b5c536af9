package query

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"genestore/query/annot"
	"genestore/vocab"
)

// Network describes one stored regulatory network (mirrors store.Network).
type Network struct {
	Name       string     `json:"name"`
	Views      []string   `json:"views"`
	Method     string     `json:"method"`
	Edges      int        `json:"edges"`
	Regulators int        `json:"regulators"`
	Targets    int        `json:"targets"`
	Provenance Provenance `json:"provenance"`
}

// RegEdge is one stored directed edge (mirrors store.RegEdge).
type RegEdge struct {
	Regulator, Target uint32
	Score             float32
	Sign              int8
	Support           []float32 // per view of the network; empty when none
}

// Regulation reads stored regulatory networks.
type Regulation interface {
	Networks(ctx context.Context) ([]Network, error)
	// RegEdges returns gene's edges in network: its targets (targets true)
	// or its regulators, best first. A gene without edges gives none.
	RegEdges(ctx context.Context, network string, gene uint32, targets bool) ([]RegEdge, error)
	// NetworkEdges returns every edge of network.
	NetworkEdges(ctx context.Context, network string) ([]RegEdge, error)
}

// RegulationRequest asks for a gene's regulators or targets.
type RegulationRequest struct {
	Symbol string
	// Network names the network; empty means "default", or the only one.
	Network string
	// K is the number of edges returned; 0 means 25.
	K int
}

// ViewSupport is an edge's support in one view of the network.
type ViewSupport struct {
	View    string  `json:"view"`
	Support float32 `json:"support"`
}

// RegHit is one regulator or target of the query gene.
type RegHit struct {
	Rank   int     `json:"rank"`
	GeneID uint32  `json:"gene_id"`
	Symbol string  `json:"symbol"`
	Score  float32 `json:"score"`
	// Sign is "+" (activation), "-" (repression) or "." (undetermined).
	Sign    string        `json:"sign"`
	Support []ViewSupport `json:"support,omitempty"`
	// Coexpr is the mean co-expression weight of the pair over the
	// datasets whose graph holds it, Conserved their number (null / 0 when
	// no graph holds the pair).
	Coexpr    *float32 `json:"coexpr"`
	Conserved int      `json:"conserved"`
	// Cosine is the cosine similarity of the two genes' consensus
	// embeddings (null when either has none).
	Cosine *float32 `json:"cosine"`
}

// RegulationAnswer is the answer to Regulators and Targets.
type RegulationAnswer struct {
	Gene      GeneRef `json:"gene"`
	Network   string  `json:"network"`
	Method    string  `json:"method"`
	Direction string  `json:"direction"` // "regulators" or "targets"
	// ModelVersion is the network's model or method version.
	ModelVersion string   `json:"model_version"`
	Views        []string `json:"views"`
	K            int      `json:"k"`
	Edges        []RegHit `json:"edges"`
}

// Networks lists the stored regulatory networks.
func (e *Engine) Networks(ctx context.Context) ([]Network, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) ([]Network, error) { return s.Networks(ctx) })
	}
	nets, err := e.r.Networks(ctx)
	if nets == nil {
		nets = []Network{}
	}
	return nets, err
}

// Regulators returns the regulators of a gene in a stored network, best
// first, each with its sign, per-view support, the pair's co-expression
// weight and the genes' embedding cosine beside it.
func (e *Engine) Regulators(ctx context.Context, req RegulationRequest) (*RegulationAnswer, error) {
	return e.regulation(ctx, req, false)
}

// Targets returns the targets of a regulator in a stored network, best
// first, with the same companions as Regulators.
func (e *Engine) Targets(ctx context.Context, req RegulationRequest) (*RegulationAnswer, error) {
	return e.regulation(ctx, req, true)
}

func (e *Engine) regulation(ctx context.Context, req RegulationRequest, targets bool) (*RegulationAnswer, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*RegulationAnswer, error) { return s.regulation(ctx, req, targets) })
	}
	k, err := e.checkK(req.K, 25)
	if err != nil {
		return nil, err
	}
	net, err := e.network(ctx, req.Network)
	if err != nil {
		return nil, err
	}
	g, err := e.ResolveGene(ctx, req.Symbol)
	if err != nil {
		return nil, err
	}
	edges, err := e.r.RegEdges(ctx, net.Name, g.ID, targets)
	if err != nil {
		return nil, err
	}
	out := &RegulationAnswer{Gene: g, Network: net.Name, Method: net.Method, Direction: "regulators",
		ModelVersion: net.Provenance.ModelVersion, Views: net.Views, K: k, Edges: []RegHit{}}
	if targets {
		out.Direction = "targets"
	}
	if len(edges) > k {
		edges = edges[:k]
	}
	ids := make([]uint32, len(edges))
	for i, ed := range edges {
		ids[i] = ed.Regulator
		if targets {
			ids[i] = ed.Target
		}
	}
	genes, err := e.r.Genes(ctx, ids)
	if err != nil {
		return nil, err
	}
	co, err := e.coexprWeights(ctx, g.ID, ids)
	if err != nil {
		return nil, err
	}
	cos, err := e.consensusCosines(ctx, g.ID, ids)
	if err != nil {
		return nil, err
	}
	for i, ed := range edges {
		h := RegHit{Rank: i + 1, GeneID: ids[i], Symbol: genes[i].Symbol, Score: ed.Score, Sign: SignSymbol(ed.Sign),
			Cosine: cos[i]}
		if c, ok := co[ids[i]]; ok {
			m := c.sum / float32(c.n)
			h.Coexpr, h.Conserved = &m, c.n
		}
		for v, s := range ed.Support {
			if v < len(net.Views) {
				h.Support = append(h.Support, ViewSupport{View: net.Views[v], Support: s})
			}
		}
		out.Edges = append(out.Edges, h)
	}
	return out, nil
}

// DefaultNetwork is the network a command means when it names none:
// "default" when stored, else the only stored network; ok is false when
// there is none or several others.
func DefaultNetwork(names []string) (name string, ok bool) {
	if slices.Contains(names, "default") {
		return "default", true
	}
	if len(names) == 1 {
		return names[0], true
	}
	return "", false
}

// network resolves a network name; "" means DefaultNetwork.
func (e *Engine) network(ctx context.Context, name string) (Network, error) {
	nets, err := e.r.Networks(ctx)
	if err != nil {
		return Network{}, err
	}
	if len(nets) == 0 {
		return Network{}, fmt.Errorf("%w: no regulatory network is stored (infer one with `genestore train grn`)", ErrNotComputed)
	}
	names := make([]string, len(nets))
	for i, n := range nets {
		names[i] = n.Name
	}
	want := name
	if want == "" {
		if want, _ = DefaultNetwork(names); want == "" {
			want = "default"
		}
	}
	for _, n := range nets {
		if n.Name == want {
			return n, nil
		}
	}
	return Network{}, fmt.Errorf("%w: network %q (stored: %s)", ErrNotFound, want, strings.Join(names, ", "))
}

// SignSymbol writes a regulatory edge's sign as answers and exports show it:
// "+" activation, "-" repression, "." undetermined.
func SignSymbol(s int8) string {
	switch s {
	case 1:
		return "+"
	case -1:
		return "-"
	}
	return "."
}

type weightSum struct {
	sum float32
	n   int
}

// coexprWeights sums gene's co-expression edge weights to each of partners
// over every dataset graph holding the pair.
func (e *Engine) coexprWeights(ctx context.Context, gene uint32, partners []uint32) (map[uint32]weightSum, error) {
	want := map[uint32]bool{}
	for _, p := range partners {
		want[p] = true
	}
	out := map[uint32]weightSum{}
	graphs, err := e.r.EdgeDatasets(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range graphs {
		edges, err := e.r.Partners(ctx, d, gene)
		if err != nil {
			return nil, err
		}
		for _, ed := range edges {
			if want[ed.Partner] {
				w := out[ed.Partner]
				w.sum += ed.Weight
				w.n++
				out[ed.Partner] = w
			}
		}
	}
	return out, nil
}

// consensusCosines returns the cosine of gene's consensus vector with each
// partner's (nil entries where either has none).
func (e *Engine) consensusCosines(ctx context.Context, gene uint32, partners []uint32) ([]*float32, error) {
	out := make([]*float32, len(partners))
	info, err := e.r.Space(ctx, vocab.SpaceGenes)
	if errors.Is(err, ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if _, ok := info.set(vocab.Consensus); !ok {
		return out, nil
	}
	q, err := e.r.Vectors(ctx, vocab.SpaceGenes, []uint64{vocab.EntityKey(vocab.Consensus, gene)})
	if errors.Is(err, ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for i, p := range partners {
		v, err := e.r.Vectors(ctx, vocab.SpaceGenes, []uint64{vocab.EntityKey(vocab.Consensus, p)})
		switch {
		case err == nil:
			c := cosine(q, v)
			out[i] = &c
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
	}
	return out, nil
}

// UpstreamRequest asks which regulators are enriched upstream of a gene
// cluster.
type UpstreamRequest struct {
	// Cluster names the gene clustering (Space is set to genes).
	Cluster ClusterRequest
	ID      int
	Network string
	// TopFraction is the share of the network's best edges that count as
	// regulation (each regulator's targets are its edges among them); 0
	// means 0.05.
	TopFraction float64
	// K is the number of regulators returned; 0 means 10.
	K int
}

// UpstreamRegulator is one regulator tested for enrichment of its targets in
// a cluster.
type UpstreamRegulator struct {
	Rank    int     `json:"rank"`
	GeneID  uint32  `json:"gene_id"`
	Symbol  string  `json:"symbol"`
	Targets int     `json:"targets"` // its targets in the network's best edges
	Overlap int     `json:"overlap"` // of them, in the cluster
	PValue  float64 `json:"p_value"` // hypergeometric, upper tail
	FDR     float64 `json:"fdr"`     // Benjamini–Hochberg over the regulators tested
	// InCluster says whether the regulator is itself a member.
	InCluster bool     `json:"in_cluster"`
	Evidence  []string `json:"evidence"` // the targets in the cluster, best first
}

// Upstream is the answer to UpstreamRegulators.
type Upstream struct {
	Network    string              `json:"network"`
	Clustering string              `json:"clustering"`
	Cluster    int                 `json:"cluster"`
	Members    int                 `json:"members"`  // cluster genes in the network
	Universe   int                 `json:"universe"` // genes of the network
	Regulators []UpstreamRegulator `json:"regulators"`
}

// UpstreamRegulators ranks the regulators of a network by the enrichment of
// their targets among the members of a gene cluster: a hypergeometric test
// over the network's genes (targets = the regulator's edges among the
// network's TopFraction best), Benjamini–Hochberg across regulators.
func (e *Engine) UpstreamRegulators(ctx context.Context, req UpstreamRequest) (*Upstream, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*Upstream, error) { return s.UpstreamRegulators(ctx, req) })
	}
	k, err := e.checkK(req.K, 10)
	if err != nil {
		return nil, err
	}
	frac := req.TopFraction
	if frac == 0 {
		frac = 0.05
	}
	if !(frac > 0 && frac <= 1) {
		return nil, fmt.Errorf("%w: top fraction %v (want (0, 1])", ErrInvalid, frac)
	}
	net, err := e.network(ctx, req.Network)
	if err != nil {
		return nil, err
	}
	creq := req.Cluster
	creq.Space = vocab.SpaceGenes
	c, _, creq, err := e.clustering(ctx, creq)
	if err != nil {
		return nil, err
	}
	keys, err := c.memberKeys(creq.Space, req.ID)
	if err != nil {
		return nil, err
	}
	members := map[uint32]bool{}
	for _, key := range keys {
		_, id := vocab.SplitEntityKey(key)
		members[id] = true
	}
	edges, err := e.r.NetworkEdges(ctx, net.Name)
	if err != nil {
		return nil, err
	}
	if len(edges) == 0 {
		return nil, fmt.Errorf("%w: network %q has no edges", ErrNotFound, net.Name)
	}
	sort.SliceStable(edges, func(a, b int) bool { return edges[a].Score > edges[b].Score })
	top := max(1, int(math.Ceil(frac*float64(len(edges)))))
	universe := map[uint32]bool{}
	for _, ed := range edges {
		universe[ed.Regulator], universe[ed.Target] = true, true
	}
	targetsOf := map[uint32][]uint32{}
	for _, ed := range edges[:top] {
		targetsOf[ed.Regulator] = append(targetsOf[ed.Regulator], ed.Target)
	}
	// Gene sets for the enrichment: one per regulator, named by its id.
	ids := make([]uint32, 0, len(universe))
	for g := range universe {
		ids = append(ids, g)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	genes, err := e.r.Genes(ctx, ids)
	if err != nil {
		return nil, err
	}
	sym := map[uint32]string{}
	var uni, query []string
	for i, g := range genes {
		sym[ids[i]] = g.Symbol
		uni = append(uni, key32(ids[i]))
		if members[ids[i]] {
			query = append(query, key32(ids[i]))
		}
	}
	if len(query) == 0 {
		return nil, fmt.Errorf("%w: no member of cluster %d is in network %q", ErrNotFound, req.ID, net.Name)
	}
	var sets []annot.GeneSet
	for r, ts := range targetsOf {
		s := annot.GeneSet{ID: key32(r), Name: sym[r]}
		for _, t := range ts {
			s.Genes = append(s.Genes, key32(t))
		}
		sets = append(sets, s)
	}
	res, err := annot.Enrich(query, uni, sets, annot.EnrichOptions{MinSize: 1, MaxSize: len(uni)})
	if err != nil {
		return nil, err
	}
	out := &Upstream{Network: net.Name, Clustering: c.Name, Cluster: req.ID, Members: len(query), Universe: len(uni),
		Regulators: []UpstreamRegulator{}}
	for i, r := range res {
		if i == k {
			break
		}
		var id uint32
		fmt.Sscanf(r.Set.ID, "%d", &id)
		u := UpstreamRegulator{Rank: i + 1, GeneID: id, Symbol: sym[id], Targets: r.Size, Overlap: r.Overlap,
			PValue: r.PValue, FDR: r.FDR, InCluster: members[id]}
		for _, t := range targetsOf[id] {
			if members[t] {
				u.Evidence = append(u.Evidence, sym[t])
			}
		}
		out.Regulators = append(out.Regulators, u)
	}
	return out, nil
}

func key32(id uint32) string { return fmt.Sprint(id) }
