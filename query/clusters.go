package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"genestore/query/annot"
	"genestore/query/cluster"
	"genestore/vocab"
)

// ClusterRequest names a clustering of a space: by method and resolution
// (the stored name is ClusteringName(method, resolution)).
type ClusterRequest struct {
	// Space is "genes" or "cells".
	Space string
	// Resolution is the modularity resolution γ; 0 means 1.
	Resolution float64
	// Method is "leiden" (default) or "louvain".
	Method string
	// K is the number of neighbours per node in the kNN graph; 0 means 15.
	K int
	// Datasets lists the vector sets clustered when computing; empty means
	// the consensus set for genes (every set if there is none) and every
	// dataset for cells. A name given twice counts once (the first time).
	Datasets []string
	// Compute allows computing (and persisting) the clustering when it is
	// not stored; Recompute forces it.
	Compute, Recompute bool
	// Seed seeds the clustering's random source.
	Seed uint64
}

func (r ClusterRequest) withDefaults() (ClusterRequest, error) {
	if r.Space != vocab.SpaceGenes && r.Space != vocab.SpaceCells {
		return r, fmt.Errorf("%w: space %q (want %q or %q)", ErrInvalid, r.Space, vocab.SpaceGenes, vocab.SpaceCells)
	}
	if r.Resolution == 0 {
		r.Resolution = 1
	}
	if !(r.Resolution > 0 && r.Resolution < 1e6) {
		return r, fmt.Errorf("%w: resolution %v", ErrInvalid, r.Resolution)
	}
	if r.Method == "" {
		r.Method = "leiden"
	}
	if _, err := cluster.ParseMethod(r.Method); err != nil {
		return r, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if r.K == 0 {
		r.K = 15
	}
	if r.K < 2 || r.K > 200 {
		return r, fmt.Errorf("%w: graph k = %d (want 2..200)", ErrInvalid, r.K)
	}
	return r, nil
}

// ClusteringName is the stored name of a clustering: method "_r" resolution,
// e.g. "leiden_r1.0", "louvain_r0.5". The resolution is written in decimal
// (the shortest that reads back as the same float64, ".0" added to a whole
// number) unless that takes more than maxDecimalName bytes, as a tiny
// resolution (1e-300) would: then in exponent form ("leiden_r1e-300"), so
// that every valid resolution gives a name a store accepts. Names already
// stored keep their form: every decimal that short is unchanged.
func ClusteringName(method string, resolution float64) string {
	s := strconv.FormatFloat(resolution, 'f', -1, 64)
	if len(s) > maxDecimalName {
		return method + "_r" + strconv.FormatFloat(resolution, 'g', -1, 64)
	}
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return method + "_r" + s
}

// maxDecimalName bounds the decimal form of a resolution in a clustering's
// name: 32 bytes hold every resolution from 1e-14 up with all its digits.
const maxDecimalName = 32

// ClusterSize is one cluster of a summary.
type ClusterSize struct {
	ID   int `json:"id"`
	Size int `json:"size"`
}

// ClusterSummary describes a clustering.
type ClusterSummary struct {
	Space      string        `json:"space"`
	Name       string        `json:"name"`
	Resolution float64       `json:"resolution"`
	Computed   bool          `json:"computed"` // computed by this call
	Stale      bool          `json:"stale"`
	Entities   int           `json:"entities"`
	Provenance Provenance    `json:"provenance"`
	Clusters   []ClusterSize `json:"clusters"`
}

// Member is one entity of a cluster: a gene (Symbol) or a cell (Barcode).
type Member struct {
	Dataset string `json:"dataset"`
	ID      uint32 `json:"id"` // gene id or cell row
	Symbol  string `json:"symbol,omitempty"`
	Barcode string `json:"barcode,omitempty"`
}

// Enrichment is one gene set over-represented in a gene cluster.
type Enrichment struct {
	SetID    string   `json:"set_id"`
	Name     string   `json:"name"`
	Size     int      `json:"size"`
	Overlap  int      `json:"overlap"`
	Expected float64  `json:"expected"`
	PValue   float64  `json:"p_value"`
	FDR      float64  `json:"fdr"`
	Genes    []string `json:"genes"`
}

// ClusterMembers is the answer to the cluster lookups.
type ClusterMembers struct {
	Space      string       `json:"space"`
	Clustering string       `json:"clustering"`
	Stale      bool         `json:"stale"`
	Provenance Provenance   `json:"provenance"`
	Cluster    int          `json:"cluster"`
	Size       int          `json:"size"`
	Gene       *GeneRef     `json:"gene,omitempty"` // set by GeneCluster
	Cell       *CellRef     `json:"cell,omitempty"` // set by CellCluster
	Members    []Member     `json:"members"`
	Truncated  bool         `json:"truncated"` // more members than MaxMembers
	Collection string       `json:"collection,omitempty"`
	Enrichment []Enrichment `json:"enrichment,omitempty"`
}

// MemberOptions shape a cluster lookup's answer.
type MemberOptions struct {
	// MaxMembers bounds the members listed; 0 means 1000.
	MaxMembers int
	// Enrich names a gene-set collection to test the (gene) cluster against.
	Enrich string
	// EnrichOptions bound the sets tested (zero: every set).
	EnrichOptions annot.EnrichOptions
	// MaxTerms bounds the enrichment rows returned; 0 means 20.
	MaxTerms int
}

// check refuses negative bounds (0 means the default).
func (mo MemberOptions) check() error {
	if mo.MaxMembers < 0 || mo.MaxTerms < 0 {
		return fmt.Errorf("%w: max members %d, max terms %d (want ≥ 0; 0 means the default)", ErrInvalid, mo.MaxMembers, mo.MaxTerms)
	}
	return nil
}

// clusterParams is the Params of a clustering's provenance.
type clusterParams struct {
	Method      string  `json:"method"`
	Resolution  float64 `json:"resolution"`
	K           int     `json:"k"`
	Seed        uint64  `json:"seed"`
	Graph       string  `json:"graph"`
	Modularity  float64 `json:"modularity"`
	Communities int     `json:"communities"`
}

// clustering loads (or computes, when allowed) the clustering of req.
func (e *Engine) clustering(ctx context.Context, req ClusterRequest) (Clustering, bool, ClusterRequest, error) {
	explicitK := req.K != 0
	req, err := req.withDefaults()
	if err != nil {
		return Clustering{}, false, req, err
	}
	name := ClusteringName(req.Method, req.Resolution)
	if !req.Recompute {
		c, err := e.r.Clustering(ctx, req.Space, name)
		if err == nil && req.Compute {
			err = e.sameClustering(ctx, c, req, explicitK)
		}
		if err == nil {
			c, err = e.live(ctx, c)
			return c, false, req, err
		}
		if !errors.Is(err, ErrNotFound) {
			return Clustering{}, false, req, err
		}
		if !req.Compute {
			return Clustering{}, false, req, fmt.Errorf("%w: %s clustering %q (compute it with `genestore clusters --space %s --resolution %g`)",
				ErrNotComputed, req.Space, name, req.Space, req.Resolution)
		}
	}
	c, err := e.computeClustering(ctx, req, name)
	return c, err == nil, req, err
}

// sameClustering checks a request to compute a clustering that is already
// stored: a graph k given explicitly, or a dataset list, that differs from
// the stored clustering's would otherwise be ignored silently (the stored
// one is answered). Unknown dataset names are errors as when computing.
func (e *Engine) sameClustering(ctx context.Context, c Clustering, req ClusterRequest, explicitK bool) error {
	var p clusterParams
	if len(c.Provenance.Params) > 0 {
		if err := json.Unmarshal(c.Provenance.Params, &p); err != nil {
			return nil // an older or foreign record: nothing to compare
		}
	}
	if explicitK && p.K != 0 && p.K != req.K {
		return fmt.Errorf("%w: %s clustering %q is stored with graph k=%d, not %d: recompute to replace it",
			ErrInvalid, req.Space, c.Name, p.K, req.K)
	}
	if len(req.Datasets) == 0 {
		return nil
	}
	nm, ds, err := e.names(ctx)
	if err != nil {
		return err
	}
	var want []uint32
	for _, n := range req.Datasets {
		id, err := e.datasetID(ds, n)
		if err != nil {
			return err
		}
		if !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	have := slices.Clone(c.Provenance.Datasets)
	slices.Sort(want)
	slices.Sort(have)
	if !slices.Equal(want, have) {
		var names []string
		for _, id := range c.Provenance.Datasets {
			if n, ok := nm[id]; ok {
				names = append(names, n)
			} else if id == vocab.Consensus {
				names = append(names, vocab.ConsensusName)
			} else {
				names = append(names, fmt.Sprintf("dropped dataset %d", id))
			}
		}
		return fmt.Errorf("%w: %s clustering %q is stored over %s, not the datasets asked for: recompute to replace it",
			ErrInvalid, req.Space, c.Name, strings.Join(names, ", "))
	}
	return nil
}

// live leaves out of c the entities of datasets no longer stored: a drop
// marks the clustering stale but keeps their keys, and their barcodes and
// vectors are gone. The lookups answer for the surviving entities, with
// Stale set. The stored slices are not modified.
func (e *Engine) live(ctx context.Context, c Clustering) (Clustering, error) {
	nm, _, err := e.names(ctx)
	if err != nil {
		return Clustering{}, err
	}
	gone := func(k uint64) bool { d, _ := vocab.SplitEntityKey(k); _, ok := nm[d]; return !ok }
	if !slices.ContainsFunc(c.Keys, gone) {
		return c, nil
	}
	keys, labels := make([]uint64, 0, len(c.Keys)), make([]int32, 0, len(c.Labels))
	for i, k := range c.Keys {
		if !gone(k) {
			keys, labels = append(keys, k), append(labels, c.Labels[i])
		}
	}
	c.Keys, c.Labels, c.Stale = keys, labels, true
	return c, nil
}

// computeClustering builds the kNN graph of the space from its index,
// clusters it and persists the result.
func (e *Engine) computeClustering(ctx context.Context, req ClusterRequest, name string) (Clustering, error) {
	nm, ds, err := e.names(ctx)
	if err != nil {
		return Clustering{}, err
	}
	info, err := e.r.Space(ctx, req.Space)
	if err != nil {
		return Clustering{}, err
	}
	var sets []uint32
	if len(req.Datasets) > 0 {
		for _, n := range req.Datasets {
			id, err := e.datasetID(ds, n)
			if err != nil {
				return Clustering{}, err
			}
			if slices.Contains(sets, id) { // named twice: clustered once
				continue
			}
			if _, ok := info.set(id); !ok {
				return Clustering{}, fmt.Errorf("%w: dataset %q has no %s vectors", ErrNotFound, n, req.Space)
			}
			sets = append(sets, id)
		}
	} else if req.Space == vocab.SpaceGenes && len(setIDs(info, true)) > 0 {
		sets = []uint32{vocab.Consensus}
	} else {
		sets = setIDs(info, false)
		if req.Space == vocab.SpaceGenes {
			sets = append(sets, setIDs(info, true)...)
		}
	}
	if len(sets) == 0 {
		return Clustering{}, fmt.Errorf("%w: space %q has no vectors", ErrNotFound, req.Space)
	}
	ver := ""
	allowed := map[uint32]bool{}
	for i, d := range sets {
		s, _ := info.set(d)
		if i == 0 {
			ver = s.ModelVersion
		} else if s.ModelVersion != ver {
			return Clustering{}, fmt.Errorf("%w: %s vectors of %q are model %q, of %q are %q", ErrModelMismatch,
				req.Space, nm[sets[0]], ver, nm[d], s.ModelVersion)
		}
		allowed[d] = true
	}
	keys, err := e.r.Keys(ctx, req.Space, sets)
	if err != nil {
		return Clustering{}, err
	}
	if len(keys) < 2 {
		return Clustering{}, fmt.Errorf("%w: %d vectors to cluster", ErrInvalid, len(keys))
	}
	ids, dists, err := e.knn(ctx, req.Space, keys, req.K, func(key uint64) bool { d, _ := vocab.SplitEntityKey(key); return allowed[d] })
	if err != nil {
		return Clustering{}, err
	}
	g, err := cluster.FromNeighbors(ids, dists, cluster.DefaultGraphOptions())
	if err != nil {
		return Clustering{}, err
	}
	m, _ := cluster.ParseMethod(req.Method)
	res, err := cluster.Cluster(ctx, g, cluster.Options{Method: m, Resolution: req.Resolution, Seed: req.Seed})
	if err != nil {
		return Clustering{}, err
	}
	labels := make([]int32, len(res.Labels))
	for i, l := range res.Labels {
		labels[i] = int32(l)
	}
	params, _ := json.Marshal(clusterParams{Method: req.Method, Resolution: req.Resolution, K: req.K, Seed: req.Seed,
		Graph: e.graphName(), Modularity: res.Modularity, Communities: res.Communities})
	c := Clustering{Name: name, Keys: keys, Labels: labels,
		Provenance: Provenance{Kind: req.Method, ModelVersion: ver, Params: params, Datasets: sets}}
	e.write(func(ctx context.Context) error { return e.b.PutClustering(ctx, req.Space, c) })
	return c, nil
}

// knn finds each key's k nearest admitted neighbours, as node indices into
// keys (sorted ascending) with cosine distances; filter admits exactly the
// keys. With an IndexGraph the index's graph lists, restricted to keys, are
// refined by cluster.RefineKNN (deterministic for a given index), and only
// entities left with fewer than k neighbours (a part of the graph cut off
// by the restriction) are searched; without one every key is searched.
func (e *Engine) knn(ctx context.Context, space string, keys []uint64, k int, filter func(uint64) bool) ([][]uint32, [][]float32, error) {
	g, ok := e.r.(IndexGraph)
	if !ok {
		return e.searchKNN(ctx, space, keys, nil, k, filter, nil, nil)
	}
	n := len(keys)
	init, err := cluster.GraphLists(keys, func(batch []uint64, fn func(int, []uint64)) error {
		return g.GraphNeighbors(ctx, space, batch, fn)
	})
	if err != nil {
		return nil, nil, err
	}
	vecs, err := e.r.Vectors(ctx, space, keys)
	if err != nil {
		return nil, nil, err
	}
	ids, dists, err := cluster.RefineKNN(ctx, vecs, n, len(vecs)/n, k, cluster.Cosine, init, cluster.RefineOptions{Threads: e.opts.Workers})
	if err != nil {
		return nil, nil, err
	}
	var redo []int
	for i := range ids {
		if len(ids[i]) < min(k, n-1) {
			redo = append(redo, i)
			ids[i], dists[i] = nil, nil
		}
	}
	if len(redo) == 0 {
		return ids, dists, nil
	}
	return e.searchKNN(ctx, space, keys, redo, k, filter, ids, dists)
}

// graphName is the provenance's name of the kNN graph clustered.
func (e *Engine) graphName() string {
	if _, ok := e.r.(IndexGraph); ok {
		return "snn over hnsw layer-0 knn, nn-descent refined"
	}
	return "snn over hnsw knn"
}

// searchKNN fills ids[i] and dists[i] for each i in rows (every key when
// rows is nil) with one index search per key. nil ids and dists are made.
func (e *Engine) searchKNN(ctx context.Context, space string, keys []uint64, rows []int, k int, filter func(uint64) bool, ids [][]uint32, dists [][]float32) ([][]uint32, [][]float32, error) {
	n := len(keys)
	if ids == nil {
		ids, dists = make([][]uint32, n), make([][]float32, n)
	}
	if rows == nil {
		rows = make([]int, n)
		for i := range rows {
			rows[i] = i
		}
	}
	const block = 1024
	err := e.parallel(ctx, (len(rows)+block-1)/block, func(b int) error {
		part := rows[b*block : min((b+1)*block, len(rows))]
		bk := make([]uint64, len(part))
		for j, i := range part {
			bk[j] = keys[i]
		}
		vecs, err := e.r.Vectors(ctx, space, bk)
		if err != nil {
			return err
		}
		dim := len(vecs) / len(part)
		for j, i := range part {
			self := keys[i]
			hits, err := e.r.Search(ctx, space, vecs[j*dim:(j+1)*dim], k,
				func(key uint64) bool { return key != self && filter(key) })
			if err != nil {
				return err
			}
			for _, h := range hits {
				if x := findKey(keys, h.Key); x >= 0 {
					ids[i] = append(ids[i], uint32(x))
					dists[i] = append(dists[i], 1-h.Score)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return ids, dists, nil
}

// Clusters returns a summary of the clustering of req (computing it when
// allowed and absent): every cluster with its size, largest first.
func (e *Engine) Clusters(ctx context.Context, req ClusterRequest) (*ClusterSummary, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*ClusterSummary, error) { return s.Clusters(ctx, req) })
	}
	c, computed, req, err := e.clustering(ctx, req)
	if err != nil {
		return nil, err
	}
	sizes := map[int32]int{}
	for _, l := range c.Labels {
		sizes[l]++
	}
	out := &ClusterSummary{Space: req.Space, Name: c.Name, Resolution: req.Resolution, Computed: computed, Stale: c.Stale,
		Entities: len(c.Keys), Provenance: c.Provenance, Clusters: []ClusterSize{}}
	for l, s := range sizes {
		out.Clusters = append(out.Clusters, ClusterSize{ID: int(l), Size: s})
	}
	sort.Slice(out.Clusters, func(i, j int) bool {
		a, b := out.Clusters[i], out.Clusters[j]
		if a.Size != b.Size {
			return a.Size > b.Size
		}
		return a.ID < b.ID
	})
	return out, nil
}

// GeneCluster returns the cluster of a gene (its consensus vector, or the
// first set holding it) and the cluster's members.
func (e *Engine) GeneCluster(ctx context.Context, req ClusterRequest, symbol string, mo MemberOptions) (*ClusterMembers, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*ClusterMembers, error) { return s.GeneCluster(ctx, req, symbol, mo) })
	}
	if err := mo.check(); err != nil {
		return nil, err
	}
	req.Space = vocab.SpaceGenes
	g, err := e.ResolveGene(ctx, symbol)
	if err != nil {
		return nil, err
	}
	c, _, req, err := e.clustering(ctx, req)
	if err != nil {
		return nil, err
	}
	label := int32(-1)
	if i := findKey(c.Keys, vocab.EntityKey(vocab.Consensus, g.ID)); i >= 0 {
		label = c.Labels[i]
	} else {
		for i, k := range c.Keys {
			if _, id := vocab.SplitEntityKey(k); id == g.ID {
				label = c.Labels[i]
				break
			}
		}
	}
	if label < 0 {
		return nil, fmt.Errorf("%w: gene %s is not in clustering %q", ErrNotFound, g.Symbol, c.Name)
	}
	out, err := e.members(ctx, req, c, int(label), mo)
	if err != nil {
		return nil, err
	}
	out.Gene = &g
	return out, nil
}

// CellCluster returns the cluster of a cell and the cluster's members.
func (e *Engine) CellCluster(ctx context.Context, req ClusterRequest, dataset, barcode string, mo MemberOptions) (*ClusterMembers, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*ClusterMembers, error) { return s.CellCluster(ctx, req, dataset, barcode, mo) })
	}
	if err := mo.check(); err != nil {
		return nil, err
	}
	req.Space = vocab.SpaceCells
	nm, ds, err := e.names(ctx)
	if err != nil {
		return nil, err
	}
	d, row, err := e.resolveCell(ctx, ds, dataset, barcode)
	if err != nil {
		return nil, err
	}
	c, _, req, err := e.clustering(ctx, req)
	if err != nil {
		return nil, err
	}
	i := findKey(c.Keys, vocab.EntityKey(d, row))
	if i < 0 {
		return nil, fmt.Errorf("%w: cell %q of %q is not in clustering %q", ErrNotFound, barcode, dataset, c.Name)
	}
	out, err := e.members(ctx, req, c, int(c.Labels[i]), mo)
	if err != nil {
		return nil, err
	}
	out.Cell = &CellRef{Dataset: nm[d], Cell: row, Barcode: barcode}
	return out, nil
}

// ClusterMembers returns the members of cluster id.
func (e *Engine) ClusterMembers(ctx context.Context, req ClusterRequest, id int, mo MemberOptions) (*ClusterMembers, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*ClusterMembers, error) { return s.ClusterMembers(ctx, req, id, mo) })
	}
	if err := mo.check(); err != nil {
		return nil, err
	}
	c, _, req, err := e.clustering(ctx, req)
	if err != nil {
		return nil, err
	}
	return e.members(ctx, req, c, id, mo)
}

// memberKeys returns the keys of cluster id of c (ErrNotFound when empty).
func (c Clustering) memberKeys(space string, id int) ([]uint64, error) {
	var keys []uint64
	for i, l := range c.Labels {
		if int(l) == id {
			keys = append(keys, c.Keys[i])
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: cluster %d of %s clustering %q", ErrNotFound, id, space, c.Name)
	}
	return keys, nil
}

func findKey(keys []uint64, k uint64) int {
	i := sort.Search(len(keys), func(x int) bool { return keys[x] >= k })
	if i < len(keys) && keys[i] == k {
		return i
	}
	return -1
}

// members lists cluster id of c (and its enrichment when asked).
func (e *Engine) members(ctx context.Context, req ClusterRequest, c Clustering, id int, mo MemberOptions) (*ClusterMembers, error) {
	if mo.MaxMembers == 0 {
		mo.MaxMembers = 1000
	}
	if mo.MaxTerms == 0 {
		mo.MaxTerms = 20
	}
	nm, _, err := e.names(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := c.memberKeys(req.Space, id)
	if err != nil {
		return nil, err
	}
	out := &ClusterMembers{Space: req.Space, Clustering: c.Name, Stale: c.Stale, Provenance: c.Provenance,
		Cluster: id, Size: len(keys), Members: []Member{}}
	listed := keys
	if len(listed) > mo.MaxMembers {
		listed, out.Truncated = listed[:mo.MaxMembers], true
	}
	if req.Space == vocab.SpaceGenes {
		symbols, err := e.symbolsOf(ctx, keys)
		if err != nil {
			return nil, err
		}
		for i, k := range listed {
			d, gid := vocab.SplitEntityKey(k)
			out.Members = append(out.Members, Member{Dataset: nm[d], ID: gid, Symbol: symbols[i]})
		}
		if mo.Enrich != "" {
			universe, err := e.symbolsOf(ctx, c.Keys)
			if err != nil {
				return nil, err
			}
			if out.Enrichment, err = e.enrich(ctx, mo.Enrich, symbols, universe, mo); err != nil {
				return nil, err
			}
			out.Collection = mo.Enrich
		}
		return out, nil
	}
	if mo.Enrich != "" {
		return nil, fmt.Errorf("%w: enrichment needs a gene clustering", ErrInvalid)
	}
	bcs, err := e.barcodesOf(ctx, listed)
	if err != nil {
		return nil, err
	}
	for i, k := range listed {
		d, row := vocab.SplitEntityKey(k)
		out.Members = append(out.Members, Member{Dataset: nm[d], ID: row, Barcode: bcs[i]})
	}
	return out, nil
}

// symbolsOf returns the gene symbol of each gene key.
func (e *Engine) symbolsOf(ctx context.Context, keys []uint64) ([]string, error) {
	ids := make([]uint32, len(keys))
	for i, k := range keys {
		_, ids[i] = vocab.SplitEntityKey(k)
	}
	genes, err := e.r.Genes(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(genes))
	for i, g := range genes {
		out[i] = g.Symbol
	}
	return out, nil
}

// enrich tests query against collection name over universe.
func (e *Engine) enrich(ctx context.Context, name string, query, universe []string, mo MemberOptions) ([]Enrichment, error) {
	sets, err := e.r.Collection(ctx, name)
	if err != nil {
		return nil, err
	}
	res, err := annot.Enrich(query, universe, sets, mo.EnrichOptions)
	if err != nil {
		return nil, err
	}
	out := []Enrichment{}
	for i, r := range res {
		if i == mo.MaxTerms {
			break
		}
		out = append(out, Enrichment{SetID: r.Set.ID, Name: r.Set.Name, Size: r.Size, Overlap: r.Overlap,
			Expected: r.Expected, PValue: r.PValue, FDR: r.FDR, Genes: r.Genes})
	}
	return out, nil
}

// ClusterMarkers returns the top genes of a cell cluster: the k genes whose
// decoder loadings have the largest inner product with the mean latent
// vector of the cluster's cells.
func (e *Engine) ClusterMarkers(ctx context.Context, req ClusterRequest, id, k int) (*TopGenes, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*TopGenes, error) { return s.ClusterMarkers(ctx, req, id, k) })
	}
	req.Space = vocab.SpaceCells
	k, err := e.checkK(k, 10)
	if err != nil {
		return nil, err
	}
	c, _, req, err := e.clustering(ctx, req)
	if err != nil {
		return nil, err
	}
	keys, err := c.memberKeys(req.Space, id)
	if err != nil {
		return nil, err
	}
	q, err := e.centroid(ctx, keys)
	if err != nil {
		return nil, err
	}
	cl := id
	out := &TopGenes{Clustering: c.Name, Cluster: &cl, Cells: len(keys), K: k}
	return out, e.topGenes(ctx, q, c.Provenance.ModelVersion, out)
}

// centroid returns the mean cell vector of keys (at least one).
func (e *Engine) centroid(ctx context.Context, keys []uint64) ([]float32, error) {
	var sum []float64
	for lo := 0; lo < len(keys); lo += 4096 {
		hi := min(lo+4096, len(keys))
		vecs, err := e.r.Vectors(ctx, vocab.SpaceCells, keys[lo:hi])
		if err != nil {
			return nil, err
		}
		dim := len(vecs) / (hi - lo)
		if sum == nil {
			sum = make([]float64, dim)
		}
		for i, v := range vecs {
			sum[i%dim] += float64(v)
		}
	}
	q := make([]float32, len(sum))
	for i, v := range sum {
		q[i] = float32(v / float64(len(keys)))
	}
	return q, nil
}

// SelectionMarkers returns the top genes of any set of cells (keys of the
// cells space, vocab.EntityKey): the k genes whose decoder loadings have the
// largest inner product with the cells' mean latent vector, as
// ClusterMarkers does for a stored cluster. The browser's lasso asks it.
// The cells' datasets must share one cell model version; a key given twice
// counts once.
func (e *Engine) SelectionMarkers(ctx context.Context, keys []uint64, k int) (*TopGenes, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*TopGenes, error) { return s.SelectionMarkers(ctx, keys, k) })
	}
	k, err := e.checkK(k, 10)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no cells selected", ErrInvalid)
	}
	keys = slices.Compact(slices.Sorted(slices.Values(keys))) // a cell selected twice counts once
	info, err := e.r.Space(ctx, vocab.SpaceCells)
	if err != nil {
		return nil, err
	}
	ver := ""
	for _, key := range keys {
		d, _ := vocab.SplitEntityKey(key)
		set, ok := info.set(d)
		if !ok {
			return nil, fmt.Errorf("%w: dataset %d has no %s vectors", ErrNotFound, d, vocab.SpaceCells)
		}
		if ver != "" && set.ModelVersion != ver {
			return nil, fmt.Errorf("%w: the selection mixes cell models %q and %q", ErrModelMismatch, ver, set.ModelVersion)
		}
		ver = set.ModelVersion
	}
	q, err := e.centroid(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := &TopGenes{Cells: len(keys), K: k}
	return out, e.topGenes(ctx, q, ver, out)
}
