package export

import (
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"genestore/store"
	"genestore/store/h5ad"
	"genestore/vocab"
)

// LayerObsmPrefix starts the obsm key of each exported layer:
// obsm["layer_predicted"] holds the layer "predicted".
const LayerObsmPrefix = "layer_"

// layerMatrices reads the derived layers (predicted expression) of the
// datasets whose cells s holds, one obsm matrix per layer name: cells × the
// union of that name's genes over the datasets (ascending gene id), NaN
// for the cells of a dataset without the layer or without the gene. It
// returns them with uns["genestore"]["layers"]: per name, the obsm key,
// var_names (symbols) and gene_ids (source ids) of the matrix columns, the
// value type and, per dataset, the model version, parameters and genes.
func layerMatrices(ctx context.Context, tx *store.Tx, s *snapshot) ([]h5ad.Named, []h5ad.Entry, error) {
	all, err := tx.Layers()
	if err != nil {
		return nil, nil, err
	}
	rows := map[uint32][]int{} // dataset → obs row of each cell id (-1: not exported)
	for _, set := range s.sets {
		r := make([]int, set.info.Cells)
		for i := range r {
			r[i] = -1
		}
		for i, id := range set.ids {
			if int(id) < len(r) {
				r[id] = set.first + i
			}
		}
		rows[set.id] = r
	}
	byName := map[string][]store.Layer{}
	var names []string
	for _, l := range all {
		if rows[l.Dataset] == nil {
			continue
		}
		if byName[l.Name] == nil {
			names = append(names, l.Name)
		}
		byName[l.Name] = append(byName[l.Name], l)
	}
	slices.Sort(names)
	var obsm []h5ad.Named
	var uns []h5ad.Entry
	n := len(s.names)
	for _, name := range names {
		layers := byName[name]
		var genes []uint32
		for _, l := range layers {
			genes = append(genes, l.Genes...)
		}
		slices.Sort(genes)
		genes = slices.Compact(genes)
		col := make(map[uint32]int, len(genes))
		symbols, ids := make([]string, len(genes)), make([]string, len(genes))
		for j, g := range genes {
			col[g] = j
			gi, err := tx.Gene(g)
			if err != nil {
				return nil, nil, err
			}
			symbols[j], ids[j] = gi.Symbol, gi.SourceID
		}
		m := &h5ad.Dense{Rows: n, Cols: len(genes), Data: make([]float32, n*len(genes))}
		for i := range m.Data {
			m.Data[i] = float32(math.NaN())
		}
		var from []h5ad.Entry
		for _, l := range layers {
			r := rows[l.Dataset]
			for first := 0; first < l.Cells; first += store.LayerChunkCells {
				if err := ctx.Err(); err != nil {
					return nil, nil, err
				}
				chunk, err := tx.LayerChunk(l.Dataset, l.Name, first)
				if err != nil {
					return nil, nil, err
				}
				cells := min(store.LayerChunkCells, l.Cells-first)
				for gi, g := range l.Genes {
					j := col[g]
					for c, v := range chunk[gi*cells : (gi+1)*cells] {
						if cell := first + c; cell < len(r) && r[cell] >= 0 {
							m.Data[r[cell]*m.Cols+j] = v
						}
					}
				}
			}
			p := l.Provenance
			e := []h5ad.Entry{
				{Name: "model_version", Value: p.ModelVersion},
				{Name: "params", Value: string(p.Params)},
				{Name: "genes", Value: int64(len(l.Genes))},
			}
			if !p.Created.IsZero() {
				e = append(e, h5ad.Entry{Name: "created", Value: p.Created.UTC().Format(time.RFC3339Nano)})
			}
			from = append(from, h5ad.Entry{Name: entryKey(from, s.datasetNames[l.Dataset]), Value: e})
		}
		key := uniqueKey(LayerObsmPrefix+name, func(k string) bool {
			return slices.ContainsFunc(obsm, func(o h5ad.Named) bool { return o.Name == k })
		})
		obsm = append(obsm, h5ad.Named{Name: key, M: m})
		uns = append(uns, h5ad.Entry{Name: entryKey(uns, name), Value: []h5ad.Entry{
			{Name: "obsm_key", Value: key},
			{Name: "values", Value: string(layerValues(layers))},
			{Name: "var_names", Value: symbols},
			{Name: "gene_ids", Value: ids},
			{Name: "datasets", Value: from},
			{Name: "missing", Value: "NaN: the cell's dataset has no such layer or not that gene (" + strconv.Itoa(len(layers)) + " datasets have it)"},
		}})
	}
	return obsm, uns, nil
}

// layerValues is the value type of layers of one name (vocab.Predicted
// for predict's layers).
func layerValues(layers []store.Layer) vocab.ValueType {
	v := layers[0].Values
	for _, l := range layers[1:] {
		if l.Values != v {
			return "mixed"
		}
	}
	return v
}
