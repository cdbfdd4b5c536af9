package query

import (
	"context"
	"errors"
	"fmt"
	"genestore/vocab"
)

// CellRef names one cell.
type CellRef struct {
	Dataset string `json:"dataset"`
	Cell    uint32 `json:"cell"` // row index in its dataset
	Barcode string `json:"barcode"`
}

// CellHit is one cell of an answer.
type CellHit struct {
	Rank int `json:"rank"`
	CellRef
	Score        float32 `json:"score"`
	ModelVersion string  `json:"model_version"`
}

// CellNeighborsRequest asks for the cells nearest a cell in a cell space.
type CellNeighborsRequest struct {
	Dataset, Barcode string
	// Space is the cell space searched: vocab.SpaceCells (the cell
	// model's; "" means it) or vocab.SpaceCellsFromGenes.
	Space string
	K     int // 0 means 10
	// Restrict lists the datasets to search (empty = every dataset whose
	// vectors share the query cell's model version); Exclude removes some.
	Restrict, Exclude []string
	// Where keeps only cells that pass these filters (see ParseWhere):
	// "COLUMN=VALUE" on obs columns, "cluster:NAME=ID" on a stored
	// clustering of the cells space.
	Where []string
}

// CellNeighbors is the answer to CellNeighbors.
type CellNeighbors struct {
	Cell         CellRef   `json:"cell"`
	Space        string    `json:"space"`
	ModelVersion string    `json:"model_version"`
	K            int       `json:"k"`
	Skipped      []Skipped `json:"skipped,omitempty"`
	Neighbors    []CellHit `json:"neighbors"` // Score = cosine similarity
}

// resolveCell finds a cell by dataset name and barcode.
func (e *Engine) resolveCell(ctx context.Context, ds []Dataset, dataset, barcode string) (uint32, uint32, error) {
	if dataset == "" || barcode == "" {
		return 0, 0, fmt.Errorf("%w: a cell needs a dataset and a barcode", ErrInvalid)
	}
	d, err := e.datasetID(ds, dataset)
	if err != nil {
		return 0, 0, err
	}
	if d == vocab.Consensus {
		return 0, 0, fmt.Errorf("%w: cells belong to real datasets", ErrInvalid)
	}
	row, err := e.r.CellByBarcode(ctx, d, barcode)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, 0, fmt.Errorf("%w: cell %q in dataset %q", ErrNotFound, barcode, dataset)
		}
		return 0, 0, err
	}
	return d, row, nil
}

// cellVector returns the vector of a cell and its set's model version.
func (e *Engine) cellVector(ctx context.Context, info SpaceInfo, nm names, d, row uint32) ([]float32, string, error) {
	set, ok := info.set(d)
	if !ok {
		return nil, "", fmt.Errorf("%w: dataset %q has no %s vectors", ErrNotFound, nm[d], info.Name)
	}
	v, err := e.r.Vectors(ctx, info.Name, []uint64{vocab.EntityKey(d, row)})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, "", fmt.Errorf("%w: cell %d of %q has no vector", ErrNotFound, row, nm[d])
		}
		return nil, "", err
	}
	return v, set.ModelVersion, nil
}

// CellNeighbors returns the k cells nearest a cell by cosine similarity,
// across datasets by default (the cell model embeds every dataset in one
// latent space). The query cell is never returned.
func (e *Engine) CellNeighbors(ctx context.Context, req CellNeighborsRequest) (*CellNeighbors, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*CellNeighbors, error) { return s.CellNeighbors(ctx, req) })
	}
	k, err := e.checkK(req.K, 10)
	if err != nil {
		return nil, err
	}
	space, err := cellSpace(req.Space)
	if err != nil {
		return nil, err
	}
	where, err := ParseWhere(req.Where)
	if err != nil {
		return nil, err
	}
	nm, ds, err := e.names(ctx)
	if err != nil {
		return nil, err
	}
	d, row, err := e.resolveCell(ctx, ds, req.Dataset, req.Barcode)
	if err != nil {
		return nil, err
	}
	info, err := e.r.Space(ctx, space)
	if err != nil {
		return nil, err
	}
	q, ver, err := e.cellVector(ctx, info, nm, d, row)
	if err != nil {
		return nil, err
	}
	allowed, skipped, err := e.targets(info, nm, ds, setIDs(info, false), req.Restrict, req.Exclude, ver)
	if err != nil {
		return nil, err
	}
	pass, err := e.cellFilter(ctx, nm, ds, allowed, where)
	if err != nil {
		return nil, err
	}
	self := vocab.EntityKey(d, row)
	hits, err := e.r.Search(ctx, space, q, k, func(key uint64) bool {
		dd, _ := vocab.SplitEntityKey(key)
		return key != self && allowed[dd] && (pass == nil || pass(key))
	})
	if err != nil {
		return nil, err
	}
	out := &CellNeighbors{Cell: CellRef{Dataset: nm[d], Cell: row, Barcode: req.Barcode}, Space: space, ModelVersion: ver, K: k, Skipped: skipped}
	out.Neighbors, err = e.cellHits(ctx, nm, hits, ver)
	return out, err
}

// cellSpace checks the cell space a request names ("" is vocab.SpaceCells).
func cellSpace(space string) (string, error) {
	if space == "" {
		return vocab.SpaceCells, nil
	}
	if vocab.IsCellSpace(space) {
		return space, nil
	}
	return "", fmt.Errorf("%w: cell space %q (want %s or %s)", ErrInvalid, space, vocab.SpaceCells, vocab.SpaceCellsFromGenes)
}

// cellHits names the cells of hits.
func (e *Engine) cellHits(ctx context.Context, nm names, hits []Hit, ver string) ([]CellHit, error) {
	keys := make([]uint64, len(hits))
	for i, h := range hits {
		keys[i] = h.Key
	}
	bcs, err := e.barcodesOf(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]CellHit, len(hits))
	for i, h := range hits {
		d, row := vocab.SplitEntityKey(h.Key)
		out[i] = CellHit{Rank: i + 1, CellRef: CellRef{Dataset: nm[d], Cell: row, Barcode: bcs[i]},
			Score: h.Score, ModelVersion: ver}
	}
	return out, nil
}

// barcodesOf returns the barcode of each cell key, with one Barcodes call
// per dataset.
func (e *Engine) barcodesOf(ctx context.Context, keys []uint64) ([]string, error) {
	byDS := map[uint32][]int{}
	for i, k := range keys {
		d, _ := vocab.SplitEntityKey(k)
		byDS[d] = append(byDS[d], i)
	}
	out := make([]string, len(keys))
	for d, idx := range byDS {
		rows := make([]uint32, len(idx))
		for j, i := range idx {
			_, rows[j] = vocab.SplitEntityKey(keys[i])
		}
		bcs, err := e.r.Barcodes(ctx, d, rows)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			out[i] = bcs[j]
		}
	}
	return out, nil
}

// GeneScore is one gene of a top-genes answer.
type GeneScore struct {
	Rank   int     `json:"rank"`
	GeneID uint32  `json:"gene_id"`
	Symbol string  `json:"symbol"`
	Score  float32 `json:"score"` // inner product with the cell-genes loading
}

// TopGenes is the answer to CellTopGenes and ClusterMarkers.
type TopGenes struct {
	// Cell is set for a cell query; Cluster and Clustering for a cluster.
	Cell         *CellRef    `json:"cell,omitempty"`
	Clustering   string      `json:"clustering,omitempty"`
	Cluster      *int        `json:"cluster,omitempty"`
	Cells        int         `json:"cells"` // cells averaged
	ModelVersion string      `json:"model_version"`
	K            int         `json:"k"`
	Genes        []GeneScore `json:"genes"`
}

// CellTopGenes returns the k genes whose decoder loadings (space
// "cell-genes") have the largest inner product with a cell's latent vector.
func (e *Engine) CellTopGenes(ctx context.Context, dataset, barcode string, k int) (*TopGenes, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*TopGenes, error) { return s.CellTopGenes(ctx, dataset, barcode, k) })
	}
	k, err := e.checkK(k, 10)
	if err != nil {
		return nil, err
	}
	nm, ds, err := e.names(ctx)
	if err != nil {
		return nil, err
	}
	d, row, err := e.resolveCell(ctx, ds, dataset, barcode)
	if err != nil {
		return nil, err
	}
	info, err := e.r.Space(ctx, vocab.SpaceCells)
	if err != nil {
		return nil, err
	}
	q, ver, err := e.cellVector(ctx, info, nm, d, row)
	if err != nil {
		return nil, err
	}
	out := &TopGenes{Cell: &CellRef{Dataset: nm[d], Cell: row, Barcode: barcode}, Cells: 1, K: k}
	return out, e.topGenes(ctx, q, ver, out)
}

// topGenes fills out.Genes from latent vector q of model version ver.
func (e *Engine) topGenes(ctx context.Context, q []float32, ver string, out *TopGenes) error {
	lver, err := e.loadingsVersion(ctx)
	if err != nil {
		return err
	}
	if lver != ver {
		return fmt.Errorf("%w: cell vectors are model %q, gene loadings %q", ErrModelMismatch, ver, lver)
	}
	out.ModelVersion = ver
	hits, err := e.r.TopInner(ctx, vocab.SpaceCellGenes, q, out.K, func(key uint64) bool { d, _ := vocab.SplitEntityKey(key); return d == vocab.Consensus })
	if err != nil {
		return err
	}
	ids := make([]uint32, len(hits))
	for i, h := range hits {
		_, ids[i] = vocab.SplitEntityKey(h.Key)
	}
	genes, err := e.r.Genes(ctx, ids)
	if err != nil {
		return err
	}
	out.Genes = make([]GeneScore, len(hits))
	for i, h := range hits {
		out.Genes[i] = GeneScore{Rank: i + 1, GeneID: ids[i], Symbol: genes[i].Symbol, Score: h.Score}
	}
	return nil
}
