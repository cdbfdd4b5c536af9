package query

import (
	"context"
	"errors"
	"fmt"
	"genestore/vocab"
	"sort"
	"strings"
)

// GeneRef names the query gene of an answer.
type GeneRef struct {
	ID     uint32 `json:"id"`
	Symbol string `json:"symbol"`
	// Query is the symbol as asked; Alias is set when it was resolved
	// through the alias map.
	Query string `json:"query"`
	Alias bool   `json:"alias,omitempty"`
}

// ResolveGene finds the gene of symbol, else through the loaded alias map.
// A gene whose symbol is exactly symbol wins; otherwise a match ignoring
// letter case is taken when all such matches share one symbol, and several
// (AHNAK and Ahnak in a human + mouse store, symbol "ahnak") are refused
// with ErrAmbiguous naming the candidates: a gene is never picked silently
// from several. When several genes share the chosen symbol (duplicate
// symbols within a dataset) the one with the lowest id is returned.
func (e *Engine) ResolveGene(ctx context.Context, symbol string) (GeneRef, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (GeneRef, error) { return s.ResolveGene(ctx, symbol) })
	}
	sym := strings.TrimSpace(symbol)
	if sym == "" {
		return GeneRef{}, fmt.Errorf("%w: empty gene symbol", ErrInvalid)
	}
	gs, err := e.r.GenesBySymbol(ctx, sym)
	if err != nil {
		return GeneRef{}, err
	}
	if len(gs) > 0 {
		g, err := pickGene(gs, sym, symbol)
		return GeneRef{ID: g.ID, Symbol: g.Symbol, Query: symbol}, err
	}
	al, err := e.r.Aliases(ctx)
	if err != nil {
		return GeneRef{}, err
	}
	if to, ok := al[strings.ToLower(sym)]; ok {
		gs, err := e.r.GenesBySymbol(ctx, to)
		if err != nil {
			return GeneRef{}, err
		}
		if len(gs) > 0 {
			g, err := pickGene(gs, to, symbol)
			return GeneRef{ID: g.ID, Symbol: g.Symbol, Query: symbol, Alias: true}, err
		}
	}
	return GeneRef{}, fmt.Errorf("%w: gene %q", ErrNotFound, symbol)
}

// pickGene chooses among the case-folded matches gs (id order) of sym: the
// first exact match, else the first match when all share one symbol, else
// ErrAmbiguous listing the symbols (asked is the query as the user gave it).
func pickGene(gs []Gene, sym, asked string) (Gene, error) {
	var cands []string
	seen := map[string]bool{}
	for _, g := range gs {
		if g.Symbol == sym {
			return g, nil
		}
		if !seen[g.Symbol] {
			seen[g.Symbol] = true
			cands = append(cands, g.Symbol)
		}
	}
	if len(cands) == 1 {
		return gs[0], nil
	}
	sort.Strings(cands)
	return Gene{}, fmt.Errorf("%w: gene %q matches %s ignoring case; give one in its exact case",
		ErrAmbiguous, asked, strings.Join(cands, ", "))
}

// GeneNeighborsRequest asks for the genes nearest a gene in the "genes" space.
type GeneNeighborsRequest struct {
	Symbol string
	// K is the number of neighbours; 0 means 10.
	K int
	// Dataset takes the query vector from that dataset's embedding; empty
	// means the consensus vector.
	Dataset string
	// Restrict lists the vector sets to search (dataset names, "consensus"
	// for the consensus set); empty means the set of the query vector.
	Restrict []string
	// Exclude removes sets from the search.
	Exclude []string
}

// GeneHit is one neighbour gene.
type GeneHit struct {
	Rank         int     `json:"rank"`
	GeneID       uint32  `json:"gene_id"`
	Symbol       string  `json:"symbol"`
	Dataset      string  `json:"dataset"`
	Score        float32 `json:"score"` // cosine similarity
	ModelVersion string  `json:"model_version"`
}

// GeneNeighbors is the answer to GeneNeighbors.
type GeneNeighbors struct {
	Gene         GeneRef   `json:"gene"`
	Space        string    `json:"space"`
	From         string    `json:"from"` // dataset of the query vector
	ModelVersion string    `json:"model_version"`
	K            int       `json:"k"`
	Skipped      []Skipped `json:"skipped,omitempty"`
	Neighbors    []GeneHit `json:"neighbors"`
}

// GeneNeighbors returns the k genes nearest a gene by cosine similarity of
// their embeddings. The query gene itself (in every set) is never returned.
// Sets made by another model version than the query vector's are skipped
// (listed in Skipped), or refused with ErrModelMismatch when named in
// Restrict.
func (e *Engine) GeneNeighbors(ctx context.Context, req GeneNeighborsRequest) (*GeneNeighbors, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*GeneNeighbors, error) { return s.GeneNeighbors(ctx, req) })
	}
	k, err := e.checkK(req.K, 10)
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
	info, err := e.r.Space(ctx, vocab.SpaceGenes)
	if err != nil {
		return nil, err
	}
	from := vocab.Consensus
	if req.Dataset != "" {
		if from, err = e.datasetID(ds, req.Dataset); err != nil {
			return nil, err
		}
	}
	set, ok := info.set(from)
	if !ok {
		return nil, fmt.Errorf("%w: no %s vectors for dataset %q", ErrNotFound, vocab.SpaceGenes, nm[from])
	}
	q, err := e.r.Vectors(ctx, vocab.SpaceGenes, []uint64{vocab.EntityKey(from, g.ID)})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: gene %s has no vector in %q", ErrNotFound, g.Symbol, nm[from])
		}
		return nil, err
	}
	allowed, skipped, err := e.targets(info, nm, ds, []uint32{from}, req.Restrict, req.Exclude, set.ModelVersion)
	if err != nil {
		return nil, err
	}
	filter := func(key uint64) bool {
		d, id := vocab.SplitEntityKey(key)
		return id != g.ID && allowed[d]
	}
	hits, err := e.r.Search(ctx, vocab.SpaceGenes, q, k, filter)
	if err != nil {
		return nil, err
	}
	out := &GeneNeighbors{Gene: g, Space: vocab.SpaceGenes, From: nm[from], ModelVersion: set.ModelVersion, K: k,
		Skipped: skipped, Neighbors: []GeneHit{}}
	ids := make([]uint32, len(hits))
	for i, h := range hits {
		_, ids[i] = vocab.SplitEntityKey(h.Key)
	}
	genes, err := e.r.Genes(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, h := range hits {
		d, _ := vocab.SplitEntityKey(h.Key)
		out.Neighbors = append(out.Neighbors, GeneHit{Rank: i + 1, GeneID: ids[i], Symbol: genes[i].Symbol,
			Dataset: nm[d], Score: h.Score, ModelVersion: set.ModelVersion})
	}
	return out, nil
}

// GeneCellsRequest asks for the cells most associated with a gene.
type GeneCellsRequest struct {
	Symbol   string
	K        int      // 0 means 10
	Datasets []string // restrict to these datasets; empty = all
	Exclude  []string // leave these datasets out
	// Where keeps only cells that pass these filters (see
	// CellNeighborsRequest.Where).
	Where []string
}

// GeneCells is the answer to GeneCells.
type GeneCells struct {
	Gene         GeneRef   `json:"gene"`
	ModelVersion string    `json:"model_version"`
	K            int       `json:"k"`
	Skipped      []Skipped `json:"skipped,omitempty"`
	Cells        []CellHit `json:"cells"` // Score = inner product
}

// GeneCells returns the cells whose latent vector has the largest inner
// product with the gene's loading vector in the cell model's decoder
// (space "cell-genes"): the cells where the model expects the gene highest.
// The loadings and the cell vectors must come from one model version
// (ErrModelMismatch otherwise).
func (e *Engine) GeneCells(ctx context.Context, req GeneCellsRequest) (*GeneCells, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*GeneCells, error) { return s.GeneCells(ctx, req) })
	}
	k, err := e.checkK(req.K, 10)
	if err != nil {
		return nil, err
	}
	where, err := ParseWhere(req.Where)
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
	ver, err := e.loadingsVersion(ctx)
	if err != nil {
		return nil, err
	}
	q, err := e.r.Vectors(ctx, vocab.SpaceCellGenes, []uint64{vocab.EntityKey(vocab.Consensus, g.ID)})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: gene %s has no loading in %q", ErrNotFound, g.Symbol, vocab.SpaceCellGenes)
		}
		return nil, err
	}
	cells, err := e.r.Space(ctx, vocab.SpaceCells)
	if err != nil {
		return nil, err
	}
	allowed, skipped, err := e.targets(cells, nm, ds, setIDs(cells, false), req.Datasets, req.Exclude, ver)
	if err != nil {
		return nil, err
	}
	pass, err := e.cellFilter(ctx, nm, ds, allowed, where)
	if err != nil {
		return nil, err
	}
	hits, err := e.r.TopInner(ctx, vocab.SpaceCells, q, k, func(key uint64) bool {
		d, _ := vocab.SplitEntityKey(key)
		return allowed[d] && (pass == nil || pass(key))
	})
	if err != nil {
		return nil, err
	}
	out := &GeneCells{Gene: g, ModelVersion: ver, K: k, Skipped: skipped}
	out.Cells, err = e.cellHits(ctx, nm, hits, ver)
	return out, err
}

// loadingsVersion is the model version of the consensus gene loadings.
func (e *Engine) loadingsVersion(ctx context.Context) (string, error) {
	info, err := e.r.Space(ctx, vocab.SpaceCellGenes)
	if err != nil {
		return "", err
	}
	s, ok := info.set(vocab.Consensus)
	if !ok {
		return "", fmt.Errorf("%w: no consensus vectors in %q", ErrNotFound, vocab.SpaceCellGenes)
	}
	return s.ModelVersion, nil
}
