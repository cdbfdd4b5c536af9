package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"genestore/internal/sparse"
	"genestore/query"
	"genestore/store"
	"genestore/train/grn"
	"genestore/train/grn/classic"
	"genestore/train/prep"
	"genestore/vocab"
)

// GRNOptions configure PrepareGRN and TrainGRN.
type GRNOptions struct {
	// Name of the network to write (default "default"); an existing network
	// of that name is replaced.
	Name string
	// Datasets are the views, one per dataset (empty: every dataset). With
	// ViewsBy set, exactly one dataset is allowed (empty: the store's only
	// one); a name given twice counts once.
	Datasets []string
	// ViewsBy names an obs column of the one dataset: each of its values is
	// a view (time points, conditions, pseudotime windows).
	ViewsBy string
	// Regulators are the candidate regulator symbols (typically
	// transcription factors, e.g. a genome-wide list); empty means every
	// selected gene. A symbol matches its gene exactly, else ignoring
	// letter case when that names one gene (a human list on mouse data).
	// As BEELINE keeps the varying TFs beside the most variable genes, a
	// listed regulator enters the network when it ranks among the
	// RegulatorPool most variable genes, or has known edges; the others
	// are left out and counted. Symbols not in every view are skipped and
	// reported.
	Regulators []string
	// Known are prior edges by symbol. With any, the supervised model is
	// trained on them; without, the unsupervised default scores the pairs.
	Known []KnownEdge
	// Genes is how many genes enter the network: the most variable ones
	// across the views (mean HVG rank), plus the candidate regulators (see
	// Regulators) and every known-edge gene. Default 500.
	Genes int
	// RegulatorPool is how far down the variability ranking a listed
	// regulator may rank and still enter the network; 0 means 2 × Genes,
	// negative means every listed regulator in the data.
	RegulatorPool int
	// MinCells is the fewest cells a view may have (default 20).
	MinCells int
	// Method names the scorer; empty picks the default for the data
	// (supervised with Known, unsupervised otherwise). See GRNMethods.
	Method string
	// Aggregate is how an unsupervised method combines several views:
	// classic.MedianRank (the default, also for "") or classic.MeanRank.
	// The supervised model's view attention does not use it; the
	// ensemble its scores are fused with (NoFusion) does.
	Aggregate classic.Aggregation
	// Seed makes the run reproducible.
	Seed uint64
	// Model are the DeepMCL hyper-parameters (zero fields: its defaults;
	// Seed, Regulators and Evidence are set from the fields above).
	Model grn.Options
	// NoEvidence trains DeepMCL on the pair images alone, without the
	// per-view unsupervised evidence (classic.Evidence) its head reads by
	// default.
	NoEvidence bool
	// NoFusion stores the DeepMCL network's own scores. By default each
	// pair's stored score is the mean of its normalised rank among the
	// network's scores and among the unsupervised ensemble's on the same
	// views and candidates (classic.RankMean; see fuseWithEnsemble).
	NoFusion bool
}

// KnownEdge is a prior regulator → target edge by symbol; Sign is +1, −1 or
// 0 (unknown).
type KnownEdge struct {
	Regulator, Target string
	Sign              int8
}

// DefaultGRNOptions returns the documented defaults.
func DefaultGRNOptions() GRNOptions {
	return GRNOptions{Name: "default", Genes: 500, MinCells: 20, Seed: 1}
}

func (o GRNOptions) withDefaults() GRNOptions {
	d := DefaultGRNOptions()
	if o.Name == "" {
		o.Name = d.Name
	}
	if o.Genes == 0 {
		o.Genes = d.Genes
	}
	if o.MinCells == 0 {
		o.MinCells = d.MinCells
	}
	return o
}

// Validate reports every problem with o at once.
func (o GRNOptions) Validate() error {
	var errs []error
	if o.Genes < 0 {
		errs = append(errs, fmt.Errorf("pipeline: grn genes %d must be positive", o.Genes))
	}
	if o.MinCells < 0 {
		errs = append(errs, fmt.Errorf("pipeline: grn min cells %d must be positive", o.MinCells))
	}
	if n := distinct(o.Datasets); o.ViewsBy != "" && n > 1 {
		errs = append(errs, fmt.Errorf("pipeline: views by obs column %q need exactly one dataset, got %d (%s)", o.ViewsBy, n, strings.Join(o.Datasets, ", ")))
	}
	if err := (classic.Options{Aggregate: o.Aggregate}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("pipeline: grn: %w", err))
	}
	for i, k := range o.Known {
		if k.Regulator == "" || k.Target == "" {
			errs = append(errs, fmt.Errorf("pipeline: known edge %d has an empty symbol", i+1))
		}
		if k.Sign < -1 || k.Sign > 1 {
			errs = append(errs, fmt.Errorf("pipeline: known edge %d has sign %d", i+1, k.Sign))
		}
	}
	return errors.Join(errs...)
}

// regulatorPool is o.RegulatorPool with its default (2 × Genes).
func regulatorPool(o GRNOptions) int {
	if o.RegulatorPool == 0 {
		return 2 * max(o.Genes, 2)
	}
	return o.RegulatorPool
}

// GRNInput is what a network method sees: dense log-normalised views over
// one gene list, the candidate regulators and the known edges as indices
// into that list.
type GRNInput struct {
	Views      []grn.View
	ViewNames  []string
	Datasets   []uint32 // datasets the views came from
	GeneIDs    []uint32 // global gene id of each view column
	Symbols    []string // symbol of each view column
	Regulators []int    // candidate regulator columns (nil: all)
	Known      []grn.Known
	// SkippedRegulators are requested regulator symbols absent from the
	// views; UnvariedRegulators those in the views but outside the
	// RegulatorPool most variable genes; SkippedKnown counts known edges
	// with a gene absent.
	SkippedRegulators  []string
	UnvariedRegulators []string
	SkippedKnown       int

	datasetSums map[uint32]string // content hash of each dataset read
}

// PrepareGRN reads the views from the store (one read transaction),
// selects genes, and normalises each view: counts are scaled to 10,000 per
// cell and log1p-ed, normalised values log1p-ed, log values kept.
func PrepareGRN(ctx context.Context, db *store.DB, o GRNOptions, log io.Writer) (*GRNInput, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	if log == nil {
		log = io.Discard
	}
	type raw struct {
		info  store.DatasetInfo
		x     *sparse.CSR
		genes []uint32
		obs   []string
	}
	var raws []raw
	symbol := map[uint32]string{}
	err := db.View(func(tx *store.Tx) error {
		infos, err := selectDatasets(tx, o.Datasets)
		if err != nil {
			return err
		}
		if o.ViewsBy != "" && len(infos) != 1 {
			// No dataset named: the store's only one, if it has one.
			return fmt.Errorf("%w: views by obs column %q need exactly one dataset, and the store has %d: name one with --datasets", store.ErrInvalid, o.ViewsBy, len(infos))
		}
		for _, info := range infos {
			r := raw{info: info}
			if r.x, err = tx.Matrix(info.ID); err != nil {
				return err
			}
			if r.genes, err = tx.DatasetGenes(info.ID); err != nil {
				return err
			}
			if o.ViewsBy != "" {
				if r.obs, err = tx.ObsColumn(info.ID, o.ViewsBy); err != nil {
					return fmt.Errorf("dataset %q: obs column %q: %w", info.Name, o.ViewsBy, err)
				}
			}
			raws = append(raws, r)
		}
		// Symbols of the genes every dataset has.
		for _, id := range commonGenes(raws, func(r raw) []uint32 { return r.genes }) {
			g, err := tx.Gene(id)
			if err != nil {
				return err
			}
			symbol[id] = g.Symbol
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(raws) == 0 {
		return nil, fmt.Errorf("%w: the store holds no datasets", ErrNoData)
	}
	common := commonGenes(raws, func(r raw) []uint32 { return r.genes })
	if len(common) < 2 {
		return nil, fmt.Errorf("%w: the views share %d genes", ErrNoData, len(common))
	}
	bySymbol := map[string]uint32{}
	folded := map[string][]uint32{} // lower-cased symbol → distinct genes
	for _, id := range common {
		bySymbol[symbol[id]] = id
		l := strings.ToLower(symbol[id])
		if !slices.Contains(folded[l], id) {
			folded[l] = append(folded[l], id)
		}
	}
	// lookup finds a listed symbol's gene: exactly, else ignoring case when
	// that names one gene (ETV5 for Etv5; not CD3E for cd3e beside Cd3e).
	lookup := func(s string) (uint32, bool) {
		if id, ok := bySymbol[s]; ok {
			return id, true
		}
		if ids := folded[strings.ToLower(s)]; len(ids) == 1 {
			return ids[0], true
		}
		return 0, false
	}

	// Rank genes by variability in each dataset; keep the best mean rank.
	meanRank := map[uint32]float64{}
	for _, r := range raws {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		scores, err := prep.HVGScores(r.x, r.info.Values)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: %w", r.info.Name, err)
		}
		col := map[uint32]int{}
		for j, g := range r.genes {
			col[g] = j
		}
		sc := make([]float64, len(common)) // the common genes' scores
		for i, g := range common {
			sc[i] = scores[col[g]]
		}
		for rank, i := range prep.HVGOrder(sc) {
			meanRank[common[i]] += float64(rank) / float64(len(raws))
		}
	}
	keep := map[uint32]bool{}
	in := &GRNInput{datasetSums: map[uint32]string{}}
	for _, r := range raws {
		in.datasetSums[r.info.ID] = r.info.SHA256
	}
	byRank := slices.Clone(common)
	sort.SliceStable(byRank, func(a, b int) bool { return meanRank[byRank[a]] < meanRank[byRank[b]] })
	rankOf := make(map[uint32]int, len(byRank))
	for r, g := range byRank {
		rankOf[g] = r
	}
	pool := regulatorPool(o)
	knownReg := map[uint32]bool{} // a listed regulator with known edges enters whatever its rank
	for _, k := range o.Known {
		if id, ok := lookup(k.Regulator); ok {
			knownReg[id] = true
		}
	}
	var regIDs []uint32
	for _, s := range o.Regulators {
		id, ok := lookup(s)
		switch {
		case !ok:
			in.SkippedRegulators = append(in.SkippedRegulators, s)
		case pool > 0 && rankOf[id] >= pool && !knownReg[id]:
			in.UnvariedRegulators = append(in.UnvariedRegulators, s)
		default:
			keep[id] = true
			regIDs = append(regIDs, id)
		}
	}
	if len(o.Regulators) > 0 && len(regIDs) == 0 {
		if len(in.UnvariedRegulators) == 0 {
			return nil, fmt.Errorf("%w: none of the %d regulators is in every view (first: %s)",
				ErrNoData, len(o.Regulators), strings.Join(firstN(in.SkippedRegulators, 5), ", "))
		}
		return nil, fmt.Errorf("%w: none of the %d regulators is both in every view and among the %d most variable genes (%d in the views, first: %s); raise the gene count",
			ErrNoData, len(o.Regulators), pool, len(in.UnvariedRegulators), strings.Join(firstN(in.UnvariedRegulators, 5), ", "))
	}
	usable := 0
	for _, k := range o.Known {
		a, okA := lookup(k.Regulator)
		b, okB := lookup(k.Target)
		if okA && okB && a != b {
			keep[a], keep[b] = true, true
			usable++
		}
	}
	if len(o.Known) > 0 && usable == 0 {
		return nil, fmt.Errorf("%w: none of the %d known edges has both genes in the data", ErrNoData, len(o.Known))
	}
	in.SkippedKnown = len(o.Known) - usable
	for _, g := range byRank {
		if len(keep) >= max(o.Genes, 2) {
			break
		}
		keep[g] = true
	}
	for _, g := range common { // view columns in global-id order
		if keep[g] {
			in.GeneIDs = append(in.GeneIDs, g)
			in.Symbols = append(in.Symbols, symbol[g])
		}
	}
	colOf := map[uint32]int{}
	for j, g := range in.GeneIDs {
		colOf[g] = j
	}
	for _, id := range regIDs {
		in.Regulators = append(in.Regulators, colOf[id])
	}
	slices.Sort(in.Regulators)
	in.Regulators = slices.Compact(in.Regulators)
	for _, k := range o.Known {
		a, okA := lookup(k.Regulator)
		b, okB := lookup(k.Target)
		if okA && okB && a != b {
			in.Known = append(in.Known, grn.Known{Regulator: int32(colOf[a]), Target: int32(colOf[b]), Sign: k.Sign})
		}
	}

	// Build the views.
	for _, r := range raws {
		xn, err := prep.Normalize(r.x, r.info.Values, 1e4)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: %w", r.info.Name, err)
		}
		cols := make([]int, len(in.GeneIDs))
		pos := map[uint32]int{}
		for j, g := range r.genes {
			pos[g] = j
		}
		for j, g := range in.GeneIDs {
			cols[j] = pos[g]
		}
		sub := xn.SelectCols(cols)
		groups := [][]int{nil}
		names := []string{r.info.Name}
		if o.ViewsBy != "" {
			groups, names = groupRows(r.obs)
			for i := range names {
				names[i] = fmt.Sprintf("%s:%s=%s", r.info.Name, o.ViewsBy, names[i])
			}
		}
		for gi, rows := range groups {
			m := sub
			if rows != nil {
				m = sub.SelectRows(rows)
			}
			if m.Rows < o.MinCells {
				return nil, fmt.Errorf("%w: view %q has %d cells (at least %d needed)", ErrNoData, names[gi], m.Rows, o.MinCells)
			}
			in.Views = append(in.Views, denseView(names[gi], m))
			in.ViewNames = append(in.ViewNames, names[gi])
			in.Datasets = append(in.Datasets, r.info.ID)
		}
	}
	fmt.Fprintf(log, "grn: %d views, %d genes, %d candidate regulators, %d known edges\n",
		len(in.Views), len(in.GeneIDs), len(in.Regulators), len(in.Known))
	if n := len(in.SkippedRegulators); n > 0 {
		fmt.Fprintf(log, "grn: %d regulators not in every view, skipped (first: %s)\n", n, strings.Join(firstN(in.SkippedRegulators, 5), ", "))
	}
	if n := len(in.UnvariedRegulators); n > 0 {
		fmt.Fprintf(log, "grn: %d regulators not among the %d most variable genes, left out (first: %s)\n", n, regulatorPool(o), strings.Join(firstN(in.UnvariedRegulators, 5), ", "))
	}
	if in.SkippedKnown > 0 {
		fmt.Fprintf(log, "grn: %d known edges name a gene not in every view, skipped\n", in.SkippedKnown)
	}
	return in, nil
}

// commonGenes returns the gene ids every item has, ascending.
func commonGenes[T any](items []T, genes func(T) []uint32) []uint32 {
	if len(items) == 0 {
		return nil
	}
	count := map[uint32]int{}
	for _, it := range items {
		seen := map[uint32]bool{}
		for _, g := range genes(it) {
			if !seen[g] {
				seen[g] = true
				count[g]++
			}
		}
	}
	var out []uint32
	for g, c := range count {
		if c == len(items) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// groupRows splits row indices by value (empty values dropped), values in
// sorted order.
func groupRows(values []string) ([][]int, []string) {
	by := map[string][]int{}
	for i, v := range values {
		if v != "" {
			by[v] = append(by[v], i)
		}
	}
	names := make([]string, 0, len(by))
	for v := range by {
		names = append(names, v)
	}
	slices.Sort(names)
	groups := make([][]int, len(names))
	for i, v := range names {
		groups[i] = by[v]
	}
	return groups, names
}

func denseView(name string, m *sparse.CSR) grn.View {
	v := grn.View{Name: name, Cells: m.Rows, Genes: m.Cols, X: make([]float32, m.Rows*m.Cols)}
	for r := range m.Rows {
		idx, val := m.Row(r)
		row := v.X[r*m.Cols : (r+1)*m.Cols]
		for k, j := range idx {
			row[j] = val[k]
		}
	}
	return v
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }

// GRNResult summarises TrainGRN.
type GRNResult struct {
	Network            store.Network
	Genes              int
	SkippedRegulators  []string
	UnvariedRegulators []string // in the views, outside the regulator pool
	SkippedKnown       int
}

// MethodDeepMCL names the supervised model (train/grn): TrainGRN uses it
// by default when known edges are given.
const MethodDeepMCL = "deepmcl"

// GRNModelBlob is the name, under blob kind "model", of network name's
// DeepMCL weights.
func GRNModelBlob(name string) string { return "grn:" + name }

// GRNMethods lists the method names TrainGRN accepts: the supervised
// DeepMCL model and the unsupervised scores of train/grn/classic.
func GRNMethods() []string {
	out := []string{MethodDeepMCL}
	for _, m := range classic.Methods() {
		out = append(out, string(m))
	}
	return out
}

// TrainGRN infers a regulatory network over the views o names and writes
// it as network o.Name, in three phases: read the views (one read
// transaction), score every candidate pair with no transaction open, and
// commit the network in one write transaction that first checks that
// every dataset it read is unchanged (ErrConflict otherwise).
func TrainGRN(ctx context.Context, db *store.DB, o GRNOptions, log io.Writer) (*GRNResult, error) {
	if log == nil {
		log = io.Discard
	}
	in, err := PrepareGRN(ctx, db, o, log)
	if err != nil {
		return nil, err
	}
	o = o.withDefaults()
	var (
		edges   []store.RegEdge
		net     store.Network
		weights []byte
	)
	if o.Method == MethodDeepMCL || (o.Method == "" && len(in.Known) > 0) {
		if len(in.Known) == 0 {
			return nil, fmt.Errorf("pipeline: method %s needs known edges (--known)", MethodDeepMCL)
		}
		edges, net, weights, err = scoreSupervised(ctx, in, o, log)
	} else {
		edges, net, err = scoreUnsupervised(ctx, in, o, log)
	}
	if err != nil {
		return nil, err
	}
	net.Name, net.Views = o.Name, in.ViewNames
	net.Provenance.Datasets = uniqueU32(in.Datasets)
	err = db.Update(func(tx *store.Tx) error {
		if err := checkDatasetsUnchanged(tx, in.Datasets, in.datasetSums); err != nil {
			return err
		}
		if err := tx.PutNetwork(net, edges); err != nil {
			return err
		}
		if weights != nil {
			if err := tx.PutBlob(vocab.BlobModel, GRNModelBlob(o.Name), weights); err != nil {
				return err
			}
		} else if err := tx.DeleteBlob(vocab.BlobModel, GRNModelBlob(o.Name)); err != nil {
			// A DeepMCL network of this name had weights: they go with it.
			return err
		}
		net, err = tx.Network(o.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "grn: network %q: %d edges from %d regulators (%s)\n", net.Name, net.Edges, net.Regulators, net.Method)
	return &GRNResult{Network: net, Genes: len(in.GeneIDs), SkippedRegulators: in.SkippedRegulators,
		UnvariedRegulators: in.UnvariedRegulators, SkippedKnown: in.SkippedKnown}, nil
}

// checkDatasetsUnchanged fails with ErrConflict when a dataset read before
// is gone or no longer has the content hash it had.
func checkDatasetsUnchanged(tx *store.Tx, ids []uint32, sums map[uint32]string) error {
	for _, id := range uniqueU32(ids) {
		d, err := tx.DatasetByID(id)
		if err != nil {
			return fmt.Errorf("%w: dataset %d was removed while the job ran: %v", ErrConflict, id, err)
		}
		if d.SHA256 != sums[id] {
			return fmt.Errorf("%w: dataset %q changed while the job ran", ErrConflict, d.Name)
		}
	}
	return nil
}

func uniqueU32(s []uint32) []uint32 {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// NamedEdge is a stored regulatory edge with gene symbols.
type NamedEdge struct {
	Regulator string  `json:"regulator"`
	Target    string  `json:"target"`
	Score     float32 `json:"score"`
	Sign      int8    `json:"sign"`
}

// ResolveNetwork names the network a command means: name itself when
// given, else query.DefaultNetwork over the stored networks (as the query
// engine's regulators and targets choose). With several and none named
// "default" the error lists them.
func ResolveNetwork(tx *store.Tx, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	nets, err := tx.Networks()
	if err != nil {
		return "", err
	}
	names := make([]string, len(nets))
	for i, n := range nets {
		names[i] = n.Name
	}
	if n, ok := query.DefaultNetwork(names); ok {
		return n, nil
	}
	if len(names) == 0 {
		return "", fmt.Errorf("%w: no regulatory network is stored (infer one with `genestore train grn`)", store.ErrNotFound)
	}
	return "", fmt.Errorf("%w: network \"default\"; name one of: %s", store.ErrNotFound, strings.Join(names, ", "))
}

// NetworkEdges returns network name's edges with symbols: regulators in
// gene-id order, each one's targets best first; top > 0 keeps only the top
// best edges overall, best first.
func NetworkEdges(tx *store.Tx, name string, top int) ([]NamedEdge, error) {
	sym := map[uint32]string{}
	symbol := func(id uint32) (string, error) {
		if s, ok := sym[id]; ok {
			return s, nil
		}
		g, err := tx.Gene(id)
		if err != nil {
			return "", err
		}
		sym[id] = g.Symbol
		return g.Symbol, nil
	}
	var out []NamedEdge
	err := tx.EachRegEdge(name, func(e store.RegEdge) error {
		a, err := symbol(e.Regulator)
		if err != nil {
			return err
		}
		b, err := symbol(e.Target)
		if err != nil {
			return err
		}
		out = append(out, NamedEdge{a, b, e.Score, e.Sign})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if top > 0 && top < len(out) {
		slices.SortStableFunc(out, func(a, b NamedEdge) int {
			switch {
			case a.Score > b.Score:
				return -1
			case a.Score < b.Score:
				return 1
			}
			return 0
		})
		out = out[:top]
	}
	return out, nil
}

// scoreUnsupervised scores every candidate pair with a classic method,
// each edge's support being its normalised rank in each view.
func scoreUnsupervised(ctx context.Context, in *GRNInput, o GRNOptions, log io.Writer) ([]store.RegEdge, store.Network, error) {
	method := o.Method
	if method == "" {
		method = string(classic.DefaultOptions().Method)
	}
	if len(in.Known) > 0 {
		fmt.Fprintf(log, "grn: %d known edges are not used by the unsupervised method %s\n", len(in.Known), method)
	}
	co := classicOptions(o)
	co.Method = classic.Method(method)
	res, err := classic.Infer(ctx, in.Views, int32s(in.Regulators), co)
	if err != nil {
		return nil, store.Network{}, err
	}
	edges := make([]store.RegEdge, len(res.Edges))
	for i, e := range res.Edges {
		edges[i] = store.RegEdge{Regulator: in.GeneIDs[e.Regulator], Target: in.GeneIDs[e.Target],
			Score: float32(e.Score), Sign: e.Sign, Support: res.Support[i]}
	}
	params, _ := json.Marshal(map[string]any{"method": res.Method, "ensemble_of": res.Members, "combination": res.Combination, "aggregate": co.Aggregate,
		"genes": len(in.GeneIDs), "regulators": len(in.Regulators), "known_edges": len(in.Known),
		"views_by": o.ViewsBy, "seed": o.Seed, "skipped_regulators": len(in.SkippedRegulators),
		"unvaried_regulators": len(in.UnvariedRegulators), "regulator_pool": regulatorPool(o),
		"support": "per view, the pair's normalised rank among the view's pairs (1 = the view's best)"})
	// v2: since 2026-12-07 several views are combined as params'
	// "combination" says, by default their median rank; v1 took the mean.
	net := store.Network{Method: string(res.Method),
		Provenance: store.Provenance{Kind: "grn", ModelVersion: "classic-" + string(res.Method) + "-v2", Params: params}}
	return edges, net, nil
}

// fewKnownEdges is the number of known edges under which train grn warns
// that the supervised model may not beat the unsupervised default: with
// 8–19 known edges (BEELINE's HSC, VSC, mCAD) it was below or level with
// the ensemble on two of three families, with 34–43 (GSD) above it (see
// train/grn's Caveats).
const fewKnownEdges = 30

// scoreSupervised trains the DeepMCL model on the known edges and scores
// every candidate regulator → gene pair, each edge's support being the
// model's attention weight on each view. Without a regulator list the
// candidates are the known edges' regulators.
func scoreSupervised(ctx context.Context, in *GRNInput, o GRNOptions, log io.Writer) ([]store.RegEdge, store.Network, []byte, error) {
	regs := in.Regulators
	if regs == nil {
		regs = knownRegulators(in.Known)
	}
	mo := o.Model
	mo.Seed = o.Seed
	fmt.Fprintf(log, "grn: training DeepMCL on %d known edges over %d views, %d candidate regulators\n", len(in.Known), len(in.Views), len(regs))
	if len(in.Known) < fewKnownEdges {
		fmt.Fprintf(log, "grn: with under %d known edges DeepMCL was not reliably better than the unsupervised default on held-out regulators (BEELINE HSC: 1.52 against 2.17); compare both with eval grn --known\n", fewKnownEdges)
	}
	// The evidence and the fusion both score the views with GENIE3 and
	// Spearman partial correlations: the memo computes them once.
	memo := classic.NewMemo()
	model, rep, ev, err := trainDeepMCL(ctx, in.Views, in.Known, regs, mo, !o.NoEvidence, memo, log)
	if err != nil {
		return nil, store.Network{}, nil, err
	}
	members := rep.Members
	if len(members) == 0 {
		members = []grn.Report{*rep}
	}
	var epochs, best []int
	held := 0.0
	for _, r := range members {
		epochs, best = append(epochs, r.Epochs), append(best, r.BestEpoch)
		if n := len(r.HeldAUPRC); n > 0 && r.BestEpoch >= 1 && r.BestEpoch <= n {
			held += r.HeldAUPRC[r.BestEpoch-1] / float64(len(members))
		}
	}
	fmt.Fprintf(log, "grn: %d networks, epochs %v (best %v), held-out AUPRC %.3f, %.0f pairs/s\n",
		len(members), epochs, best, held, rep.PairsPerSec)
	var scored []grn.Edge
	var atts [][]float32
	err = model.ScoreAttention(ctx, in.Views, ev, regs, nil, func(e grn.Edge, att []float32) error {
		scored, atts = append(scored, e), append(atts, slices.Clone(att))
		return nil
	})
	if err != nil {
		return nil, store.Network{}, nil, err
	}
	fusion := ""
	if !o.NoFusion {
		if fusion, err = fuseWithEnsemble(ctx, in, regs, o, scored, nil, memo, log); err != nil {
			return nil, store.Network{}, nil, err
		}
	}
	edges := make([]store.RegEdge, len(scored))
	for i, e := range scored {
		edges[i] = store.RegEdge{Regulator: in.GeneIDs[e.Regulator], Target: in.GeneIDs[e.Target],
			Score: float32(e.Score), Sign: e.Sign, Support: atts[i]}
	}
	weights, err := model.MarshalBinary()
	if err != nil {
		return nil, store.Network{}, nil, err
	}
	if model.SingleView() {
		for i := range edges {
			edges[i].Support = nil
		}
	}
	version := modelVersion(MethodDeepMCL, weights)
	recorded := mo
	recorded.Regulators = nil // listed by the network itself
	params, _ := json.Marshal(map[string]any{"method": MethodDeepMCL, "model": recorded, "evidence": model.Evidence(), "genes": len(in.GeneIDs),
		"regulators": len(regs), "known_edges": len(in.Known), "views_by": o.ViewsBy, "seed": o.Seed,
		"epochs": epochs, "best_epoch": best, "held_out_auprc": held, "fusion": fusion, "aggregate": o.Aggregate,
		"skipped_regulators": len(in.SkippedRegulators), "unvaried_regulators": len(in.UnvariedRegulators),
		"regulator_pool": regulatorPool(o)})
	net := store.Network{Method: MethodDeepMCL,
		Provenance: store.Provenance{Kind: "grn", ModelVersion: version, Params: params}}
	return edges, net, weights, nil
}

// fuseWithEnsemble replaces the score of each edge (the DeepMCL network's
// scores of every candidate pair) by the mean of its normalised rank among
// those scores and among the unsupervised ensemble's scores of the same
// pairs (classic's default method on the same views and candidates, with
// o's seed and view aggregation), and returns what it fused with, for the
// provenance. The two err on different pairs: on the simulator's held-out
// regulators (pipeline's TestGRNSupervisedHeldOut -long, 5 seeds) the
// fused AUPRC was 0.916 against the network's 0.897 and the ensemble's
// 0.888, above both on every seed; on BEELINE's GSD (train/grn's
// TestBEELINE/GSD -long, AUPRC ratio, 5 splits) 1.66 against 1.53 and
// 1.55. Signs stay the network's. ens, when not nil, is that ensemble
// already computed (Infer with the same views, regulators, seed and
// aggregation); otherwise it is computed through memo (may be nil). A view
// under classic.MinCells cells (possible through the API without
// evidence) leaves the scores unfused, said in log, and returns "".
func fuseWithEnsemble(ctx context.Context, in *GRNInput, regs []int, o GRNOptions, edges []grn.Edge, ens *classic.Result, memo *classic.Memo, log io.Writer) (string, error) {
	for _, v := range in.Views {
		if v.Cells < classic.MinCells {
			fmt.Fprintf(log, "grn: view %q has %d cells, under the unsupervised ensemble's %d: scores not fused\n", v.Name, v.Cells, classic.MinCells)
			return "", nil
		}
	}
	if ens == nil {
		co := classicOptions(o)
		co.Signs, co.Memo = false, memo
		var err error
		if ens, err = classic.Infer(ctx, in.Views, int32s(regs), co); err != nil {
			return "", fmt.Errorf("fusion with the unsupervised ensemble: %w", err)
		}
	}
	genes := len(in.GeneIDs)
	pos := make([]int32, genes) // regulator gene → 1 + its index in regs
	for i, r := range regs {
		pos[r] = int32(i + 1)
	}
	score := make([]float64, len(regs)*genes) // dense: regulator index × genes + target; NaN: not scored
	for k := range score {
		score[k] = math.NaN()
	}
	for _, e := range ens.Edges {
		if p := pos[e.Regulator]; p > 0 {
			score[int(p-1)*genes+int(e.Target)] = e.Score
		}
	}
	a, b := make([]float64, len(edges)), make([]float64, len(edges))
	for i, e := range edges {
		p := pos[e.Regulator]
		k := int(p-1)*genes + int(e.Target)
		if p == 0 || math.IsNaN(score[k]) {
			return "", fmt.Errorf("fusion with the unsupervised ensemble: it did not score %s → %s", in.Symbols[e.Regulator], in.Symbols[e.Target])
		}
		a[i], b[i] = e.Score, score[k]
	}
	for i, f := range classic.RankMean(a, b) {
		edges[i].Score = f
	}
	fusion := fmt.Sprintf("mean normalised rank with %s (%s)", ens.Method, ens.Combination)
	reused := 0
	if memo != nil {
		reused = memo.Hits()
	}
	fmt.Fprintf(log, "grn: scores fused with the unsupervised ensemble's (%s; %d score matrices reused from the evidence)\n", fusion, reused)
	return fusion, nil
}

// classicOptions is grn/classic's default with the run's seed and view
// aggregation: what scoreUnsupervised, the fusion and eval grn's baselines
// run.
func classicOptions(o GRNOptions) classic.Options {
	co := classic.DefaultOptions()
	co.Seed = o.Seed
	if o.Aggregate != "" {
		co.Aggregate = o.Aggregate
	}
	return co
}

// int32s converts regulator columns to grn/classic's int32 indices; nil
// (every gene a candidate) stays nil.
func int32s(regs []int) []int32 {
	if regs == nil {
		return nil
	}
	out := make([]int32, len(regs))
	for i, r := range regs {
		out[i] = int32(r)
	}
	return out
}

// knownRegulators returns the distinct regulators of known, ascending.
func knownRegulators(known []grn.Known) []int {
	var regs []int
	for _, k := range known {
		regs = append(regs, int(k.Regulator))
	}
	slices.Sort(regs)
	return slices.Compact(regs)
}

// trainDeepMCL trains DeepMCL (mo; mo.SingleView for the baseline) on the
// known edges and returns it with the evidence its Score needs (nil
// without evidence). Negatives are drawn only from the regulators with
// known edges, whose lists of targets the known edges are taken to be:
// the other candidates' pairs are unlabelled, not negative.
//
// With evidence, grn/classic scores the pairs of the candidate and known
// regulators: the single-view baseline reads the features of the pooled
// cells; the multi-view model reads each view's features beside the
// pooled ones when there are at least evidenceEPV known edges per feature
// of that layout (the events-per-variable rule of thumb for logistic
// regression: 160 edges), else the pooled ones alone, which on GSD's 38 known edges
// did better (held-out AUPRC ratio 1.54 against 1.33 with both).
func trainDeepMCL(ctx context.Context, views []grn.View, known []grn.Known, candidates []int, mo grn.Options, evidence bool, memo *classic.Memo, log io.Writer) (*grn.Model, *grn.Report, *grn.Evidence, error) {
	trainRegs := knownRegulators(known)
	mo.Regulators, mo.Evidence = trainRegs, nil
	if evidence {
		evRegs := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(candidates), trainRegs...))))
		regs32 := int32s(evRegs)
		in, kind, compute := views, "each view's and the pooled", classic.Evidence
		switch {
		case mo.SingleView:
			in, kind = grn.PoolViews(views), "the pooled"
		case len(known) < evidenceEPV*2*len(classic.EvidenceFeatures):
			kind, compute = "the pooled", classic.PooledEvidence
		}
		co := classic.DefaultOptions()
		co.Seed, co.Memo = mo.Seed, memo
		fmt.Fprintf(log, "grn: unsupervised evidence (%s) of %s cells for %d regulators\n",
			strings.Join(classic.EvidenceFeatures, ", "), kind, len(evRegs))
		ev, err := compute(ctx, in, regs32, co)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("evidence: %w", err)
		}
		mo.Evidence = ev
	}
	model, rep, err := grn.Train(ctx, views, known, mo)
	if err != nil {
		return nil, nil, nil, err
	}
	return model, rep, mo.Evidence, nil
}

// evidenceEPV is the fewest known edges per evidence feature for which
// the multi-view model reads per-view evidence.
const evidenceEPV = 10

// distinct counts the different strings in names.
func distinct(names []string) int {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		seen[n] = true
	}
	return len(seen)
}
