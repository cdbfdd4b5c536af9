package genestore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"genestore/query"
	"genestore/store"
	"genestore/vocab"
)

// GenesRequest selects the genes Genes lists.
type GenesRequest struct {
	// Dataset lists that dataset's genes; empty lists the whole vocabulary.
	Dataset string
	// HVG keeps only the highly variable genes the gene model selected for
	// Dataset (those it embedded); it needs Dataset and a trained model.
	HVG bool
}

// GeneRow is one gene of a listing. Its JSON form is a row of `genestore
// genes --json`.
type GeneRow struct {
	ID       uint32 `json:"id"`
	Symbol   string `json:"symbol"`
	SourceID string `json:"source_id"`
	// Datasets is how many stored datasets measure the gene.
	Datasets int `json:"datasets"`
	// Embedded: the gene has a vector of the listed dataset in the "genes"
	// space (without a dataset: a consensus vector).
	Embedded bool `json:"embedded"`
}

// GeneList is the answer of Genes.
type GeneList struct {
	Dataset string    `json:"dataset,omitempty"`
	Genes   []GeneRow `json:"genes"`
}

// Genes lists genes by id with their symbol, source id, how many datasets
// have them and whether they are embedded, in one read transaction.
func (db *DB) Genes(ctx context.Context, req GenesRequest) (*GeneList, error) {
	if req.HVG && req.Dataset == "" {
		return nil, fmt.Errorf("%w: the HVG filter needs a dataset", ErrInvalid)
	}
	out := &GeneList{Dataset: req.Dataset, Genes: []GeneRow{}}
	err := db.st.View(func(tx *store.Tx) error {
		dsets, err := tx.Datasets()
		if err != nil {
			return err
		}
		count := map[uint32]int{}
		var ids []uint32 // the genes listed
		set := vocab.Consensus
		for _, d := range dsets {
			if err := ctx.Err(); err != nil {
				return err
			}
			genes, err := tx.DatasetGenes(d.ID)
			if err != nil {
				return err
			}
			for _, g := range genes {
				count[g]++
			}
			if d.Name == req.Dataset {
				ids, set = slices.Clone(genes), d.ID
			}
		}
		if req.Dataset != "" && set == vocab.Consensus {
			return fmt.Errorf("%w: dataset %q", ErrNotFound, req.Dataset)
		}
		embedded, err := vectorIDs(tx, vocab.SpaceGenes, set)
		if err != nil {
			return err
		}
		if req.HVG && len(embedded) == 0 {
			return fmt.Errorf("%w: no gene vectors of %q (run train genes)", ErrNotFound, req.Dataset)
		}
		if req.Dataset == "" {
			all, err := tx.AllGenes()
			if err != nil {
				return err
			}
			for _, g := range all {
				ids = append(ids, g.ID)
			}
		}
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) {
			_, emb := slices.BinarySearch(embedded, id)
			if req.HVG && !emb {
				continue
			}
			g, err := tx.Gene(id)
			if err != nil {
				return err
			}
			out.Genes = append(out.Genes, GeneRow{ID: id, Symbol: g.Symbol, SourceID: g.SourceID, Datasets: count[id], Embedded: emb})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// vectorIDs returns the sorted entity ids that set ds has in space; none
// when the space does not exist.
func vectorIDs(tx *store.Tx, space string, ds uint32) ([]uint32, error) {
	ids, _, _, err := tx.Embeddings(space, ds)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return ids, err
}

// CellsRequest selects the cells Cells lists.
type CellsRequest struct {
	Dataset string
	// Where filters by obs values, each "COLUMN=VALUE", or by a stored
	// clustering of the cells space, "cluster:NAME=ID" (query.ParseWhere,
	// the syntax `neighbors --where` reads too): a cell is listed when, for
	// every selector named, its value is one of those given for it (values
	// of one selector are alternatives, selectors must all match).
	Where []string
}

// CellRow is one cell of a listing: its row in the dataset, barcode, obs
// values and whether it has a vector in the "cells" space.
type CellRow struct {
	Row      uint32            `json:"row"`
	Barcode  string            `json:"barcode"`
	Obs      map[string]string `json:"obs"`
	Embedded bool              `json:"embedded"`
}

// CellList is the answer of Cells.
type CellList struct {
	Dataset string    `json:"dataset"`
	Columns []string  `json:"columns"` // obs columns, in the dataset's order
	Total   int       `json:"total"`   // cells in the dataset
	Cells   []CellRow `json:"cells"`
}

// Cells lists a dataset's cells with their metadata, filtered by
// req.Where, in row order, in one read transaction. An unknown column is
// store.ErrUnknownColumn; a malformed filter, an unknown clustering or an
// obs value no cell of the dataset has ErrInvalid (and query.ErrInvalid).
func (db *DB) Cells(ctx context.Context, req CellsRequest) (*CellList, error) {
	where, err := query.ParseWhere(req.Where)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	out := &CellList{Dataset: req.Dataset, Cells: []CellRow{}}
	err = db.st.View(func(tx *store.Tx) error {
		d, err := tx.DatasetByName(req.Dataset)
		if err != nil {
			return err
		}
		out.Columns, out.Total = append([]string{}, d.ObsColumns...), d.Cells // [] in JSON, not null
		for _, t := range where {
			if t.Clustering == "" && !slices.Contains(d.ObsColumns, t.Column) {
				return fmt.Errorf("%w: %q (dataset %q has: %s)", store.ErrUnknownColumn, t.Column, d.Name, strings.Join(d.ObsColumns, ", "))
			}
		}
		obs := make([][]string, len(d.ObsColumns))
		for i, c := range d.ObsColumns {
			if obs[i], err = tx.ObsColumn(d.ID, c); err != nil {
				return err
			}
		}
		found := make([][]bool, len(where)) // obs terms only: a value no cell has is an error, as for neighbors --where
		for i, t := range where {
			if t.Clustering == "" {
				found[i] = make([]bool, len(t.Values))
			}
		}
		column := func(name string) ([]string, error) { return obs[slices.Index(d.ObsColumns, name)], nil }
		pass, err := where.Rows(d.Cells, column, found)
		if err != nil {
			return err
		}
		err = where.CheckValues(found, fmt.Sprintf("dataset %q", d.Name), func(t query.WhereTerm) (map[string]bool, error) {
			col, _ := column(t.Column)
			vals := make(map[string]bool)
			for _, v := range col {
				vals[v] = true
			}
			return vals, nil
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if err := clusterRows(tx, d.ID, where, pass); err != nil {
			return err
		}
		barcodes, err := tx.Barcodes(d.ID)
		if err != nil {
			return err
		}
		embedded, err := vectorIDs(tx, vocab.SpaceCells, d.ID)
		if err != nil {
			return err
		}
		for r, bc := range barcodes {
			if !pass[r] {
				continue
			}
			row := CellRow{Row: uint32(r), Barcode: bc, Obs: make(map[string]string, len(obs))}
			for i, c := range d.ObsColumns {
				row.Obs[c] = obs[i][r]
			}
			_, row.Embedded = slices.BinarySearch(embedded, uint32(r))
			out.Cells = append(out.Cells, row)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// clusterRows clears pass[r] for the cells of dataset ds that a
// cluster:NAME term of where does not admit (cells the clustering does not
// label included).
func clusterRows(tx *store.Tx, ds uint32, where query.Where, pass []bool) error {
	for _, t := range where {
		if t.Clustering == "" {
			continue
		}
		c, err := tx.Clustering(vocab.SpaceCells, t.Clustering)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: filter %s: no stored clustering %q of the cells space (compute one with `genestore clusters --space cells`)",
				ErrInvalid, t, t.Clustering)
		}
		if err != nil {
			return err
		}
		in := make([]bool, len(pass))
		for i, key := range c.IDs {
			d, row := vocab.SplitEntityKey(key)
			if d == ds && int(row) < len(in) && slices.Contains(t.Values, strconv.Itoa(int(c.Labels[i]))) {
				in[row] = true
			}
		}
		for r := range pass {
			pass[r] = pass[r] && in[r]
		}
	}
	return nil
}
