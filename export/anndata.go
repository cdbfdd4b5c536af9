package export

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/h5ad"
	"genestore/vocab"
)

// ObsmKey is the obsm entry that holds the exported vectors.
const ObsmKey = "X_genestore"

// buildAnnData turns a snapshot into an AnnData, reading the rows'
// metadata (obs columns, clusters, transferred labels, counts) in tx.
func buildAnnData(ctx context.Context, tx *store.Tx, s *snapshot, opts Options) (*h5ad.AnnData, error) {
	n := len(s.names)
	a := &h5ad.AnnData{}
	a.Obs.Index = uniqueIndex(s.names, s.datasets)
	vecs := &h5ad.Dense{Rows: n, Cols: s.dim, Data: s.vecs}
	a.Obsm = []h5ad.Named{{Name: ObsmKey, M: vecs}}
	cols := &columns{}
	var err error
	if vocab.IsCellSpace(s.space) {
		err = cellColumns(ctx, tx, s, cols)
	} else {
		geneColumns(s, cols)
	}
	if err != nil {
		return nil, err
	}
	if err := clusterColumns(tx, s, cols); err != nil {
		return nil, err
	}
	a.Obs.Columns = cols.list
	if opts.WithCounts {
		if a.XSparse, a.Var, err = counts(ctx, tx, s); err != nil {
			return nil, err
		}
	} else {
		a.X = vecs
		a.Var.Index = make([]string, s.dim)
		for d := range a.Var.Index {
			a.Var.Index[d] = "dim" + strconv.Itoa(d)
		}
	}
	uns := provenance(s, opts)
	if vocab.IsCellSpace(s.space) && !opts.NoLayers {
		obsm, layers, err := layerMatrices(ctx, tx, s)
		if err != nil {
			return nil, err
		}
		a.Obsm = append(a.Obsm, obsm...)
		if len(layers) > 0 {
			uns = append(uns, h5ad.Entry{Name: "layers", Value: layers})
		}
	}
	a.Uns = []h5ad.Entry{{Name: "genestore", Value: uns}}
	return a, nil
}

// columns collects obs columns under unique names. The datasets' own obs
// columns keep their names (reserved up front); a column genestore derives
// whose name is taken gets "_genestore" (then "_genestore2", …) appended.
type columns struct {
	list     []h5ad.Column
	reserved []string
}

func (c *columns) add(col h5ad.Column) { c.put(col, false) }

// addObs adds one of the datasets' own obs columns.
func (c *columns) addObs(col h5ad.Column) { c.put(col, true) }

func (c *columns) put(col h5ad.Column, own bool) {
	col.Name = h5ad.Key(col.Name)
	name := col.Name
	for k := 1; c.taken(name, own); k++ {
		name = col.Name + "_genestore"
		if k > 1 {
			name += strconv.Itoa(k)
		}
	}
	col.Name = name
	c.list = append(c.list, col)
}

func (c *columns) taken(name string, own bool) bool {
	if name == "_index" || (!own && slices.Contains(c.reserved, name)) {
		return true
	}
	return slices.ContainsFunc(c.list, func(x h5ad.Column) bool { return x.Name == name })
}

// categorical codes values ("" = missing) against their sorted distinct
// values.
func categorical(values []string, present []bool) *h5ad.Categorical {
	var cats []string
	for i, v := range values {
		if present == nil || present[i] {
			cats = append(cats, v)
		}
	}
	slices.SortFunc(cats, naturalCompare)
	cats = slices.Compact(cats)
	codes := make([]int32, len(values))
	for i, v := range values {
		codes[i] = -1
		if present == nil || present[i] {
			k, _ := slices.BinarySearchFunc(cats, v, naturalCompare)
			codes[i] = int32(k)
		}
	}
	return &h5ad.Categorical{Categories: cats, Codes: codes}
}

// uniqueKey returns h5ad.Key(name) ("/" is a path separator in HDF5), or
// that with "_2", "_3", … appended while taken says it is in use: two
// names may differ only by a "/" and an "_".
func uniqueKey(name string, taken func(string) bool) string {
	key := h5ad.Key(name)
	for k := 2; taken(key); k++ {
		key = h5ad.Key(name) + "_" + strconv.Itoa(k)
	}
	return key
}

// entryKey is uniqueKey among the names of es.
func entryKey(es []h5ad.Entry, name string) string {
	return uniqueKey(name, func(k string) bool {
		return slices.ContainsFunc(es, func(e h5ad.Entry) bool { return e.Name == k })
	})
}

// naturalCompare orders numbers by value before other text, text bytewise,
// so cluster labels read 0, 1, 2, …, 10. Two spellings of NaN ("nan",
// "NaN") are different text, not equal numbers.
func naturalCompare(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	switch {
	case errA == nil && errB == nil && x != y && !(math.IsNaN(x) && math.IsNaN(y)):
		return cmp.Compare(x, y)
	case errA == nil && errB != nil:
		return -1
	case errA != nil && errB == nil:
		return 1
	}
	return cmp.Compare(a, b)
}

// cellColumns adds the cells' dataset, barcode, batch, every obs column of
// their datasets, and every transferred label with its confidence.
func cellColumns(ctx context.Context, tx *store.Tx, s *snapshot, cols *columns) error {
	n := len(s.names)
	obsNames := s.obsNames()
	for _, name := range obsNames {
		cols.reserved = append(cols.reserved, h5ad.Key(name))
	}
	cols.add(h5ad.Column{Name: "dataset", Categorical: categorical(s.datasets, nil)})
	cols.add(h5ad.Column{Name: "barcode", Strings: s.names})
	batch := make([]string, n)
	obs := make([][]string, len(obsNames))
	has := make([][]bool, len(obsNames))
	textual := make([]bool, len(obsNames))
	for k := range obsNames {
		obs[k], has[k] = make([]string, n), make([]bool, n)
	}
	for _, set := range s.sets {
		if err := ctx.Err(); err != nil {
			return err
		}
		for k, name := range obsNames {
			if !slices.Contains(set.info.ObsColumns, name) {
				continue
			}
			c, err := tx.Obs(set.id, name)
			if err != nil {
				return fmt.Errorf("export: obs column %q of %q: %w", name, set.name, err)
			}
			textual[k] = textual[k] || c.Categorical
			for r, id := range set.ids {
				if int(id) >= len(c.Values) {
					return fmt.Errorf("export: %w: obs column %q of %q has %d values, cell %d has a vector", store.ErrCorrupt, name, set.name, len(c.Values), id)
				}
				obs[k][set.first+r] = c.Values[id]
				has[k][set.first+r] = c.Values[id] != ""
			}
		}
		// as the cell model names batches: the dataset, or "dataset/value"
		// of the batch key (the model's own, else the dataset's)
		key := batchKey(set.provenance)
		if key == "" {
			key = set.info.BatchKey
		}
		for r := range set.ids {
			batch[set.first+r] = set.name
			if k := slices.Index(obsNames, key); k >= 0 && has[k][set.first+r] {
				batch[set.first+r] = set.name + "/" + obs[k][set.first+r]
			}
		}
	}
	cols.add(h5ad.Column{Name: "batch", Categorical: categorical(batch, nil)})
	modalityColumns(s, cols)
	for k, name := range obsNames {
		if !textual[k] {
			if f, ok := floats(obs[k], has[k]); ok {
				cols.addObs(h5ad.Column{Name: name, Floats: f})
				continue
			}
		}
		cols.addObs(h5ad.Column{Name: name, Categorical: categorical(obs[k], has[k])})
	}
	return transferredLabels(tx, s, obsNames, cols)
}

// batchKey is the batch_key parameter of the cell model's provenance.
func batchKey(p store.Provenance) string {
	var params struct {
		BatchKey string `json:"batch_key"`
	}
	if json.Unmarshal(p.Params, &params) != nil {
		return ""
	}
	return params.BatchKey
}

// floats parses numeric text; missing values are NaN.
func floats(values []string, present []bool) ([]float64, bool) {
	out := make([]float64, len(values))
	for i, v := range values {
		if !present[i] {
			out[i] = math.NaN()
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

// transferredLabels adds "<label>_transferred" and
// "<label>_transferred_confidence" for every stored label transfer
// (predictions of kind cell-labels named "<query>:<label>") onto the
// exported cells. The label column is an obs column of the references, so
// the candidates are every dataset name × every obs column name.
func transferredLabels(tx *store.Tx, s *snapshot, obsNames []string, cols *columns) error {
	datasets, err := tx.Datasets()
	if err != nil {
		return err
	}
	labels := slices.Clone(obsNames)
	for _, d := range datasets {
		for _, c := range d.ObsColumns {
			if !slices.Contains(labels, c) {
				labels = append(labels, c)
			}
		}
	}
	row := make(map[uint64]int, len(s.keys))
	for i, k := range s.keys {
		row[k] = i
	}
	n := len(s.names)
	for _, label := range labels {
		values, present, conf := make([]string, n), make([]bool, n), make([]float64, n)
		for i := range conf {
			conf[i] = math.NaN()
		}
		found := false
		for _, set := range s.sets {
			p, err := tx.Predictions(vocab.KindCellLabels, set.name+":"+label)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			for _, r := range p.Rows {
				if i, ok := row[r.Entity]; ok {
					values[i], present[i], conf[i] = r.Label, true, float64(r.Score)
					found = true
				}
			}
		}
		if found {
			cols.add(h5ad.Column{Name: label + "_transferred", Categorical: categorical(values, present)})
			cols.add(h5ad.Column{Name: label + "_transferred_confidence", Floats: conf})
		}
	}
	return nil
}

// geneColumns adds each gene row's symbol, source id, dataset ("*" for
// the consensus) and a consensus flag.
func geneColumns(s *snapshot, cols *columns) {
	consensus := make([]bool, len(s.keys))
	for i, k := range s.keys {
		ds, _ := vocab.SplitEntityKey(k)
		consensus[i] = ds == vocab.Consensus
	}
	cols.add(h5ad.Column{Name: "symbol", Strings: s.names})
	cols.add(h5ad.Column{Name: "gene_id", Strings: s.geneIDs})
	cols.add(h5ad.Column{Name: "dataset", Categorical: categorical(s.datasets, nil)})
	cols.add(h5ad.Column{Name: "consensus", Bools: consensus})
	modalityColumns(s, cols)
}

// modalityColumns adds each row's dataset modality and species (the home
// species for a dataset that names none); consensus rows have neither.
func modalityColumns(s *snapshot, cols *columns) {
	n := len(s.names)
	mod, sp := make([]string, n), make([]string, n)
	hasMod, hasSp := make([]bool, n), make([]bool, n)
	for _, set := range s.sets {
		if set.id == vocab.Consensus {
			continue
		}
		m, spc := string(set.info.Modality), store.SpeciesOf(set.info, s.home)
		for r := set.first; r < set.first+set.n; r++ {
			mod[r], hasMod[r] = m, m != ""
			sp[r], hasSp[r] = spc, spc != ""
		}
	}
	cols.add(h5ad.Column{Name: "modality", Categorical: categorical(mod, hasMod)})
	cols.add(h5ad.Column{Name: "species", Categorical: categorical(sp, hasSp)})
}

// clusterColumns adds one categorical "cluster_<name>" column per stored
// clustering of the space (missing for rows it does not cover).
func clusterColumns(tx *store.Tx, s *snapshot, cols *columns) error {
	names, err := tx.Clusterings(s.space)
	if err != nil && !isNotFound(err) {
		return err
	}
	slices.Sort(names)
	row := make(map[uint64]int, len(s.keys))
	for i, k := range s.keys {
		row[k] = i
	}
	n := len(s.names)
	for _, name := range names {
		c, err := tx.Clustering(s.space, name)
		if err != nil {
			return err
		}
		values, present := make([]string, n), make([]bool, n)
		for j, key := range c.IDs {
			if i, ok := row[key]; ok {
				values[i], present[i] = strconv.Itoa(int(c.Labels[j])), true
			}
		}
		cols.add(h5ad.Column{Name: "cluster_" + name, Categorical: categorical(values, present)})
	}
	return nil
}

// counts returns the stored matrix rows of the snapshot's cells as one CSR
// over the union of their datasets' genes (in global gene id order), and
// the var frame naming those genes.
func counts(ctx context.Context, tx *store.Tx, s *snapshot) (*h5ad.CSR, h5ad.Frame, error) {
	var all []uint32
	colGenes := make([][]uint32, len(s.sets))
	for i, set := range s.sets {
		g, err := tx.DatasetGenes(set.id)
		if err != nil {
			return nil, h5ad.Frame{}, err
		}
		colGenes[i] = g
		all = append(all, g...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	x := &h5ad.CSR{Rows: len(s.names), Cols: len(all), Indptr: []int64{0}}
	for i, set := range s.sets {
		if err := ctx.Err(); err != nil {
			return nil, h5ad.Frame{}, err
		}
		m, err := tx.Matrix(set.id)
		if err != nil {
			return nil, h5ad.Frame{}, err
		}
		remap := make([]int32, len(colGenes[i]))
		for c, g := range colGenes[i] {
			k, _ := slices.BinarySearch(all, g)
			remap[c] = int32(k)
		}
		rows := make([]int, len(set.ids))
		for r, id := range set.ids {
			rows[r] = int(id)
		}
		if err := appendRows(x, m, rows, remap); err != nil {
			return nil, h5ad.Frame{}, fmt.Errorf("export: counts of %q: %w", set.name, err)
		}
	}
	symbols, ids := make([]string, len(all)), make([]string, len(all))
	for i, g := range all {
		info, err := tx.Gene(g)
		if err != nil {
			return nil, h5ad.Frame{}, err
		}
		symbols[i], ids[i] = info.Symbol, info.SourceID
	}
	v := h5ad.Frame{Index: uniqueIndex(symbols, ids), Columns: []h5ad.Column{
		{Name: "gene_ids", Strings: ids},
		{Name: "gene_symbols", Strings: symbols},
	}}
	return x, v, nil
}

// appendRows appends rows of m to x with columns renumbered by remap,
// sorted within each row.
func appendRows(x *h5ad.CSR, m *sparse.CSR, rows []int, remap []int32) error {
	type entry struct {
		col int32
		v   float32
	}
	var buf []entry
	for _, r := range rows {
		if r < 0 || r >= m.Rows {
			return fmt.Errorf("%w: cell %d outside the %d-row matrix", store.ErrCorrupt, r, m.Rows)
		}
		idx, vals := m.Row(r)
		buf = buf[:0]
		for k, c := range idx {
			if int(c) >= len(remap) {
				return fmt.Errorf("%w: column %d outside the %d genes", store.ErrCorrupt, c, len(remap))
			}
			buf = append(buf, entry{remap[c], vals[k]})
		}
		slices.SortFunc(buf, func(a, b entry) int { return cmp.Compare(a.col, b.col) })
		for _, e := range buf {
			x.Indices = append(x.Indices, e.col)
			x.Data = append(x.Data, e.v)
		}
		x.Indptr = append(x.Indptr, int64(len(x.Data)))
	}
	return nil
}

// provenance is uns["genestore"]: the space, its generation and
// dimension, and each vector set's provenance (model version, parameters
// as JSON text, time, source datasets).
func provenance(s *snapshot, opts Options) []h5ad.Entry {
	var sets []h5ad.Entry
	var versions []string
	for _, set := range s.sets {
		p := set.provenance
		var from []string
		for _, id := range p.Datasets {
			name, ok := s.datasetNames[id]
			if !ok {
				name = strconv.FormatUint(uint64(id), 10)
			}
			from = append(from, name)
		}
		e := []h5ad.Entry{
			{Name: "kind", Value: p.Kind},
			{Name: "model_version", Value: p.ModelVersion},
			{Name: "params", Value: string(p.Params)},
			{Name: "vectors", Value: int64(set.n)},
		}
		if !p.Created.IsZero() {
			e = append(e, h5ad.Entry{Name: "created", Value: p.Created.UTC().Format(time.RFC3339Nano)})
		}
		if len(from) > 0 {
			e = append(e, h5ad.Entry{Name: "datasets", Value: from})
		}
		if set.id != vocab.Consensus {
			e = append(e, h5ad.Entry{Name: "values", Value: string(set.info.Values)},
				h5ad.Entry{Name: "modality", Value: string(set.info.Modality)},
				h5ad.Entry{Name: "species", Value: store.SpeciesOf(set.info, s.home)})
		}
		sets = append(sets, h5ad.Entry{Name: entryKey(sets, set.name), Value: e})
		if !slices.Contains(versions, p.ModelVersion) {
			versions = append(versions, p.ModelVersion)
		}
	}
	x := "vectors"
	if opts.WithCounts {
		x = "counts"
	}
	out := []h5ad.Entry{
		{Name: "space", Value: s.space},
		{Name: "generation", Value: int64(s.generation)},
		{Name: "dim", Value: int64(s.dim)},
		{Name: "model_version", Value: joinVersions(versions)},
		{Name: "obsm_key", Value: ObsmKey},
		{Name: "X", Value: x},
	}
	if len(sets) > 0 {
		out = append(out, h5ad.Entry{Name: "sets", Value: sets})
	}
	return out
}

func joinVersions(v []string) string {
	out := ""
	for i, s := range v {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}
