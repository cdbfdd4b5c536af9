package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"genestore/query/annot"
	"genestore/vocab"
)

// AnnotateGenesRequest asks for term predictions from gene neighbours.
type AnnotateGenesRequest struct {
	// Collection names the stored gene-set collection whose terms are
	// predicted.
	Collection string
	// Genes lists the genes to annotate (symbols); empty means every gene
	// with a consensus vector. A gene named twice (or by an alias) counts
	// once, the first time.
	Genes []string
	// K is the number of neighbours voting; 0 means 20.
	K int
	// TopN is the number of terms kept per gene; 0 means 5.
	TopN int
	// Write stores the predictions (kind "go-terms", name = Collection).
	// With Genes set, only those genes' rows are replaced, which needs the
	// stored rows to be of the vectors' model version (ErrModelMismatch
	// otherwise) and of the same K and TopN (ErrInvalid otherwise).
	Write bool
}

// TermScore is one predicted term.
type TermScore struct {
	Term     string   `json:"term"`
	Name     string   `json:"name"`
	Score    float32  `json:"score"`
	Known    bool     `json:"known"` // the gene is already in the set
	Evidence []string `json:"evidence"`
}

// GeneTerms is the prediction for one gene.
type GeneTerms struct {
	Gene  GeneRef     `json:"gene"`
	Terms []TermScore `json:"terms"`
}

// GeneAnnotations is the answer to AnnotateGenes.
type GeneAnnotations struct {
	Collection   string      `json:"collection"`
	ModelVersion string      `json:"model_version"`
	K            int         `json:"k"`
	Written      bool        `json:"written"`
	Genes        []GeneTerms `json:"genes"`
}

// geneParams is the Params of gene term predictions.
type geneParams struct {
	K    int    `json:"k"`
	TopN int    `json:"top_n"`
	From string `json:"from"`
}

// AnnotateGenes predicts terms of a collection for genes from their k nearest
// consensus neighbours (annot.PredictTerms: similarity-weighted vote with the
// voting neighbours as evidence) and, with Write, stores them.
func (e *Engine) AnnotateGenes(ctx context.Context, req AnnotateGenesRequest) (*GeneAnnotations, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*GeneAnnotations, error) { return s.AnnotateGenes(ctx, req) })
	}
	k, err := e.checkK(req.K, 20)
	if err != nil {
		return nil, err
	}
	if req.TopN == 0 {
		req.TopN = 5
	}
	if req.TopN < 0 {
		return nil, fmt.Errorf("%w: top %d terms", ErrInvalid, req.TopN)
	}
	sets, err := e.r.Collection(ctx, req.Collection)
	if err != nil {
		return nil, err
	}
	setName := map[string]string{}
	for _, s := range sets {
		setName[s.ID] = s.Name
	}
	g2t := annot.GeneToSets(sets)
	info, err := e.r.Space(ctx, vocab.SpaceGenes)
	if err != nil {
		return nil, err
	}
	set, ok := info.set(vocab.Consensus)
	if !ok {
		return nil, fmt.Errorf("%w: no consensus gene vectors", ErrNotFound)
	}
	var refs []GeneRef
	if len(req.Genes) > 0 {
		named := map[uint32]bool{}
		for _, s := range req.Genes {
			g, err := e.ResolveGene(ctx, s)
			if err != nil {
				return nil, err
			}
			if named[g.ID] { // named twice (or by an alias): annotated and stored once
				continue
			}
			named[g.ID] = true
			refs = append(refs, g)
		}
	} else {
		keys, err := e.r.Keys(ctx, vocab.SpaceGenes, []uint32{vocab.Consensus})
		if err != nil {
			return nil, err
		}
		ids := make([]uint32, len(keys))
		for i, key := range keys {
			_, ids[i] = vocab.SplitEntityKey(key)
		}
		genes, err := e.r.Genes(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, g := range genes {
			refs = append(refs, GeneRef{ID: g.ID, Symbol: g.Symbol, Query: g.Symbol})
		}
	}
	out := &GeneAnnotations{Collection: req.Collection, ModelVersion: set.ModelVersion, K: k, Genes: make([]GeneTerms, len(refs))}
	rows := make([][]Prediction, len(refs))
	err = e.parallel(ctx, len(refs), func(i int) error {
		g := refs[i]
		q, err := e.r.Vectors(ctx, vocab.SpaceGenes, []uint64{vocab.EntityKey(vocab.Consensus, g.ID)})
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w: gene %s has no consensus vector", ErrNotFound, g.Symbol)
			}
			return err
		}
		hits, err := e.r.Search(ctx, vocab.SpaceGenes, q, k, func(key uint64) bool {
			d, id := vocab.SplitEntityKey(key)
			return d == vocab.Consensus && id != g.ID
		})
		if err != nil {
			return err
		}
		ids := make([]uint32, len(hits))
		for j, h := range hits {
			_, ids[j] = vocab.SplitEntityKey(h.Key)
		}
		genes, err := e.r.Genes(ctx, ids)
		if err != nil {
			return err
		}
		nb := make([]annot.Neighbor, len(hits))
		idOf := map[string]uint32{}
		for j, h := range hits {
			nb[j] = annot.Neighbor{Gene: genes[j].Symbol, Score: h.Score}
			idOf[genes[j].Symbol] = ids[j]
		}
		known := map[string]bool{}
		for _, t := range g2t[g.Symbol] {
			known[t] = true
		}
		gt := GeneTerms{Gene: g, Terms: []TermScore{}}
		for _, p := range annot.PredictTerms(nb, g2t, req.TopN) {
			gt.Terms = append(gt.Terms, TermScore{Term: p.Term, Name: setName[p.Term], Score: p.Score, Known: known[p.Term], Evidence: p.Evidence})
			ev := make([]uint32, len(p.Evidence))
			for j, s := range p.Evidence {
				ev[j] = idOf[s]
			}
			rows[i] = append(rows[i], Prediction{Entity: vocab.EntityKey(vocab.Consensus, g.ID), Label: p.Term, Score: p.Score, Evidence: ev})
		}
		out.Genes[i] = gt
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !req.Write {
		return out, nil
	}
	var all []Prediction
	for _, r := range rows {
		all = append(all, r...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Entity < all[j].Entity })
	params, _ := json.Marshal(geneParams{K: k, TopN: req.TopN, From: vocab.SpaceGenes + "/" + vocab.ConsensusName})
	prov := Provenance{Kind: "term-prediction", ModelVersion: set.ModelVersion, Params: params, Datasets: []uint32{vocab.Consensus}}
	if len(req.Genes) == 0 { // every gene: the set is replaced
		e.write(func(ctx context.Context) error {
			return e.b.PutPredictions(ctx, vocab.KindGoTerms, req.Collection, all, prov)
		})
		out.Written = true
		return out, nil
	}
	// A gene list: its genes' rows replace theirs among the stored ones, in
	// the write transaction itself, so that another writer's rows stored
	// since this snapshot are kept, not lost.
	redo := map[uint64]bool{}
	for _, g := range refs {
		redo[vocab.EntityKey(vocab.Consensus, g.ID)] = true
	}
	check := func(oldProv Provenance) error {
		// The kept rows are stored under this run's provenance: they must
		// come from the same model ...
		if oldProv.ModelVersion != set.ModelVersion {
			return fmt.Errorf("%w: stored %s predictions %q are of model %q, the gene vectors of %q: annotate every gene (no gene list) to replace them",
				ErrModelMismatch, vocab.KindGoTerms, req.Collection, oldProv.ModelVersion, set.ModelVersion)
		}
		// ... and the same vote: their provenance's k and top_n become this
		// run's.
		var op geneParams
		if json.Unmarshal(oldProv.Params, &op) != nil || op.K != k || op.TopN != req.TopN {
			return fmt.Errorf("%w: stored %s predictions %q were made with k %d and top %d terms (params %s), this run asks k %d and top %d: use the same, or annotate every gene (no gene list) to replace them",
				ErrInvalid, vocab.KindGoTerms, req.Collection, op.K, op.TopN, oldProv.Params, k, req.TopN)
		}
		return nil
	}
	e.write(func(ctx context.Context) error {
		return e.b.MergePredictions(ctx, vocab.KindGoTerms, req.Collection, all, prov,
			func(entity uint64) bool { return redo[entity] }, check)
	})
	out.Written = true
	return out, nil
}

// parallel runs fn(0..n-1) on the engine's workers and returns the first
// error (remaining items are skipped once one fails or ctx ends).
func (e *Engine) parallel(ctx context.Context, n int, fn func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ferr error
		next int
	)
	for w := 0; w < e.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if ferr == nil && ctx.Err() != nil {
					ferr = ctx.Err()
				}
				if ferr != nil || next >= n {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := fn(i); err != nil {
					mu.Lock()
					if ferr == nil {
						ferr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return ferr
}

// AnnotateCellsRequest asks for label transfer from reference datasets.
type AnnotateCellsRequest struct {
	// References are the datasets whose obs column Label is transferred.
	References []string
	Label      string
	// Query is the dataset whose cells get labels.
	Query string
	// K is the number of reference neighbours voting (cells whose label is
	// missing, "", do not vote); 0 means 15.
	K int
	// MinConfidence is the vote share below which a cell is "Unassigned";
	// 0 means 0.5, negative no threshold (every cell with a vote gets its
	// majority label).
	MinConfidence float32
	// Write stores the labels (kind "cell-labels", name "<query>:<label>").
	Write bool
	// Rows includes every cell's label in the answer.
	Rows bool
	// QueryVectors, when not nil, stand in for the query's stored cell
	// vectors: one per query cell, in cell order, of the space's
	// dimension, from the model that made the stored ones (for example
	// the query embedded again with its missing genes predicted,
	// pipeline.EmbedQuery). Only in the cell model's space.
	QueryVectors []float32
	// Space is the cell space whose neighbours vote: vocab.SpaceCells
	// ("" means it) or vocab.SpaceCellsFromGenes.
	Space string
}

// LabelCount is how many query cells got a label.
type LabelCount struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// CellLabel is the label transferred to one query cell.
type CellLabel struct {
	Cell       uint32  `json:"cell"`
	Barcode    string  `json:"barcode"`
	Label      string  `json:"label"`
	Top        string  `json:"top"` // winner even when Unassigned
	Confidence float32 `json:"confidence"`
}

// CellAnnotations is the answer to AnnotateCells.
type CellAnnotations struct {
	Query         string       `json:"query"`
	Label         string       `json:"label"`
	References    []string     `json:"references"`
	Space         string       `json:"space"` // the cell space whose neighbours voted
	ModelVersion  string       `json:"model_version"`
	K             int          `json:"k"`
	MinConfidence float32      `json:"min_confidence"`
	Cells         int          `json:"cells"`
	Unassigned    int          `json:"unassigned"`
	Labels        []LabelCount `json:"labels"`
	// Name is the predictions' name, set when Written.
	Name    string      `json:"name"`
	Written bool        `json:"written"`
	Rows    []CellLabel `json:"rows,omitempty"`
}

type cellParams struct {
	K             int      `json:"k"`
	MinConfidence float32  `json:"min_confidence"`
	References    []string `json:"references"`
	Label         string   `json:"label"`
}

// AnnotateCells transfers the obs column Label of the reference datasets to
// the query dataset's cells by a similarity-weighted vote of each query
// cell's K nearest reference cells in the "cells" space
// (annot.TransferLabels). Labels absent from the query dataset may be
// assigned. Reference and query vectors must share a model version.
func (e *Engine) AnnotateCells(ctx context.Context, req AnnotateCellsRequest) (*CellAnnotations, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*CellAnnotations, error) { return s.AnnotateCells(ctx, req) })
	}
	k, err := e.checkK(req.K, 15)
	if err != nil {
		return nil, err
	}
	topts := annot.TransferOptions{MinConfidence: req.MinConfidence}
	if err := topts.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if req.MinConfidence == 0 {
		req.MinConfidence = annot.DefaultTransferOptions().MinConfidence
	}
	if len(req.References) == 0 || req.Label == "" || req.Query == "" {
		return nil, fmt.Errorf("%w: label transfer needs references, a label column and a query dataset", ErrInvalid)
	}
	space, err := cellSpace(req.Space)
	if err != nil {
		return nil, err
	}
	if req.QueryVectors != nil && space != vocab.SpaceCells {
		return nil, fmt.Errorf("%w: query vectors stand in for the cell model's, not for %s", ErrInvalid, space)
	}
	nm, ds, err := e.names(ctx)
	if err != nil {
		return nil, err
	}
	info, err := e.r.Space(ctx, space)
	if err != nil {
		return nil, err
	}
	qd, err := e.datasetID(ds, req.Query)
	if err != nil {
		return nil, err
	}
	qset, ok := info.set(qd)
	if !ok || qd == vocab.Consensus {
		return nil, fmt.Errorf("%w: dataset %q has no %s vectors", ErrNotFound, req.Query, space)
	}
	refLabels := map[uint32][]string{}
	for _, r := range req.References {
		rd, err := e.datasetID(ds, r)
		if err != nil {
			return nil, err
		}
		if rd == qd {
			return nil, fmt.Errorf("%w: dataset %q is both reference and query", ErrInvalid, r)
		}
		s, ok := info.set(rd)
		if !ok {
			return nil, fmt.Errorf("%w: dataset %q has no %s vectors", ErrNotFound, r, space)
		}
		if s.ModelVersion != qset.ModelVersion {
			return nil, fmt.Errorf("%w: cells of %q are model %q, of %q are %q", ErrModelMismatch, r, s.ModelVersion, req.Query, qset.ModelVersion)
		}
		col, err := e.r.ObsColumn(ctx, rd, req.Label)
		if errors.Is(err, ErrNotFound) { // the store's error names the dataset by id
			return nil, fmt.Errorf("%w: reference dataset %q has no obs column %q", ErrNotFound, r, req.Label)
		}
		if err != nil {
			return nil, fmt.Errorf("reference %q: %w", r, err)
		}
		refLabels[rd] = col
	}
	keys, err := e.r.Keys(ctx, space, []uint32{qd})
	if err != nil {
		return nil, err
	}
	if req.QueryVectors != nil && len(req.QueryVectors) != len(keys)*info.Dim {
		return nil, fmt.Errorf("%w: %d query vector values for %d cells of dimension %d", ErrInvalid, len(req.QueryVectors), len(keys), info.Dim)
	}
	if req.QueryVectors != nil {
		for i, key := range keys {
			if _, row := vocab.SplitEntityKey(key); row != uint32(i) {
				return nil, fmt.Errorf("%w: query vectors given for %d cells but cell %d has no stored vector", ErrInvalid, len(keys), i)
			}
		}
	}
	labels := make([][]string, len(keys))
	sims := make([][]float32, len(keys))
	const block = 256
	nb := (len(keys) + block - 1) / block
	err = e.parallel(ctx, nb, func(b int) error {
		lo, hi := b*block, min((b+1)*block, len(keys))
		var vecs []float32
		if req.QueryVectors != nil {
			vecs = req.QueryVectors[lo*info.Dim : hi*info.Dim]
		} else {
			// A worker's own error variable: the enclosing err is shared.
			var verr error
			if vecs, verr = e.r.Vectors(ctx, space, keys[lo:hi]); verr != nil {
				return verr
			}
		}
		dim := len(vecs) / (hi - lo)
		for i := lo; i < hi; i++ {
			hits, err := e.r.Search(ctx, space, vecs[(i-lo)*dim:(i-lo+1)*dim], k, func(key uint64) bool {
				// reference cells with the label missing ("") do not vote
				d, row := vocab.SplitEntityKey(key)
				col := refLabels[d]
				return col != nil && (int(row) >= len(col) || col[row] != "")
			})
			if err != nil {
				return err
			}
			for _, h := range hits {
				d, row := vocab.SplitEntityKey(h.Key)
				col := refLabels[d]
				if int(row) >= len(col) {
					return fmt.Errorf("%w: reference cell %d of %q beyond its %d obs rows", ErrInvalid, row, nm[d], len(col))
				}
				labels[i] = append(labels[i], col[row])
				sims[i] = append(sims[i], h.Score)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	as, err := annot.TransferLabels(labels, sims, topts)
	if err != nil {
		return nil, err
	}
	out := &CellAnnotations{Query: nm[qd], Label: req.Label, References: req.References, Space: space, ModelVersion: qset.ModelVersion,
		K: k, MinConfidence: req.MinConfidence, Cells: len(keys), Labels: []LabelCount{}}
	counts := map[string]int{}
	rows := make([]Prediction, len(as))
	for i, a := range as {
		counts[a.Label]++
		if a.Label == annot.DefaultUnassigned {
			out.Unassigned++
		}
		rows[i] = Prediction{Entity: keys[i], Label: a.Label, Score: a.Confidence}
	}
	for l, c := range counts {
		out.Labels = append(out.Labels, LabelCount{Label: l, Count: c})
	}
	sort.Slice(out.Labels, func(i, j int) bool {
		if out.Labels[i].Count != out.Labels[j].Count {
			return out.Labels[i].Count > out.Labels[j].Count
		}
		return out.Labels[i].Label < out.Labels[j].Label
	})
	if req.Rows {
		cells := make([]uint32, len(keys))
		for i, key := range keys {
			_, cells[i] = vocab.SplitEntityKey(key)
		}
		bcs, err := e.r.Barcodes(ctx, qd, cells)
		if err != nil {
			return nil, err
		}
		for i, a := range as {
			out.Rows = append(out.Rows, CellLabel{Cell: cells[i], Barcode: bcs[i], Label: a.Label, Top: a.Top, Confidence: a.Confidence})
		}
	}
	if req.Write {
		out.Name = nm[qd] + ":" + req.Label
		params, _ := json.Marshal(cellParams{K: k, MinConfidence: req.MinConfidence, References: req.References, Label: req.Label})
		var used []uint32
		for d := range refLabels {
			used = append(used, d)
		}
		sort.Slice(used, func(i, j int) bool { return used[i] < used[j] })
		prov := Provenance{Kind: "label-transfer", ModelVersion: qset.ModelVersion, Params: params, Datasets: append(used, qd)}
		name := out.Name
		e.write(func(ctx context.Context) error {
			return e.b.PutPredictions(ctx, vocab.KindCellLabels, name, rows, prov)
		})
		out.Written = true
	}
	return out, nil
}
