package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Fixed constants of the biology model (see doc.go).
const (
	baseRateSD       = 1.0 // SD of log baseline gene rates
	loadMin, loadMax = 0.6, 1.4
	dispersionSD     = 0.5  // SD of log per-gene dispersion factor
	baselineActivity = 0.25 // weak activity every type gives every module
	baselineJitter   = 0.2  // SD of per-type jitter around the baseline
	typeWeightSD     = 0.3  // SD of log cell-type proportions per dataset
	batchGeneFrac    = 0.01 // fraction of a dataset's genes that are batch-specific
	batchGeneBoost   = 4.0  // log boost of batch-specific genes, × BatchEffect
)

// model is everything about a simulation except the cells: the gene
// universe, the cell-type programs and each dataset's structure. It is
// O(genes × datasets + cell types × modules) in memory.
type model struct {
	cfg       Config
	geneNames []string
	module    []int     // canonical module per universe gene, -1 = background
	logBase   []float64 // log baseline rate per universe gene
	load      []float64 // program loading per universe gene
	disp      []float64 // NB dispersion per universe gene

	typeNames    []string
	typePrograms [][]int     // strongly active modules per type, sorted
	typeAct      [][]float64 // [type][module] log activity

	datasets []*datasetModel

	// Second species (Config.OtherSpecies > 0): each universe gene's name
	// there, and whether it lacks an ortholog.
	otherNames []string
	noOrtholog []bool
}

// datasetModel is one dataset's structure. Slices indexed by local gene
// follow genes (universe indices in increasing order).
type datasetModel struct {
	index      int
	name       string
	genes      []int // universe index of each local gene, increasing
	module     []int // module of each local gene after rewiring, -1 = none
	logRate    []float64
	rate0      []float64 // exp(logRate)
	load       []float64
	nb         []nbSampler
	batchGenes []int // local indices of batch-specific genes, increasing
	logLib     float64
	typeCDF    []float64 // cumulative type probabilities
	present    []bool    // cell type present in this dataset
	barcodeW   int

	otherSpecies bool          // genes named as the second species'
	spatial      *spatialModel // nil unless the dataset is spots
}

func digits(n int) int { return len(strconv.Itoa(n)) }

// newModel builds the structure of cfg, which must be valid.
func newModel(cfg Config) *model {
	m := &model{cfg: cfg}
	G, M, T := cfg.Genes, cfg.Modules, cfg.CellTypes

	// Gene universe.
	r := newStream(cfg.Seed, streamGenes, 0, 0)
	w := max(4, digits(G))
	m.geneNames = make([]string, G)
	for g := range G {
		m.geneNames[g] = fmt.Sprintf("G%0*d", w, g+1)
	}
	m.module = make([]int, G)
	for g := range m.module {
		m.module[g] = -1
	}
	perm := r.Perm(G)
	for i, g := range perm[:moduleGeneCount(cfg)] {
		m.module[g] = i % M
	}
	m.logBase = make([]float64, G)
	m.load = make([]float64, G)
	m.disp = make([]float64, G)
	for g := range G {
		m.logBase[g] = baseRateSD * r.NormFloat64()
		m.load[g] = loadMin + (loadMax-loadMin)*r.Float64()
		m.disp[g] = cfg.Dispersion * math.Exp(dispersionSD*r.NormFloat64())
	}

	// Cell-type programs: each type strongly activates 2–3 modules, the
	// least used ones first, so every module is driven when types allow.
	r = newStream(cfg.Seed, streamTypes, 0, 0)
	tw := digits(T)
	usage := make([]int, M)
	m.typeNames = make([]string, T)
	m.typePrograms = make([][]int, T)
	m.typeAct = make([][]float64, T)
	for t := range T {
		m.typeNames[t] = fmt.Sprintf("T%0*d", tw, t+1)
		n := min(2+r.IntN(2), M)
		var progs []int
		for try := 0; ; try++ {
			order := r.Perm(M)
			if try < 10 {
				slices.SortStableFunc(order, func(a, b int) int { return usage[a] - usage[b] })
			}
			progs = slices.Clone(order[:n])
			slices.Sort(progs)
			dup := slices.ContainsFunc(m.typePrograms[:t], func(p []int) bool { return slices.Equal(p, progs) })
			if !dup || try >= 20 {
				break
			}
		}
		for _, p := range progs {
			usage[p]++
		}
		m.typePrograms[t] = progs
		act := make([]float64, M)
		for k := range act {
			act[k] = baselineActivity + baselineJitter*r.NormFloat64()
		}
		for _, p := range progs {
			act[p] += cfg.ProgramStrength * (0.8 + 0.4*r.Float64())
		}
		m.typeAct[t] = act
	}

	// Which dataset measures which gene.
	r = newStream(cfg.Seed, streamDatasets, 0, 0)
	owner := make([]int, G) // -1 = every dataset
	perm = r.Perm(G)
	shared := sharedGeneCount(cfg)
	for i, g := range perm {
		if i < shared {
			owner[g] = -1
		} else {
			owner[g] = r.IntN(cfg.Datasets)
		}
	}

	m.newSpecies()
	m.datasets = make([]*datasetModel, cfg.Datasets)
	for d := range cfg.Datasets {
		m.datasets[d] = m.newDataset(d, owner)
	}
	return m
}

func (m *model) newDataset(d int, owner []int) *datasetModel {
	cfg := m.cfg
	r := newStream(cfg.Seed, streamDataset, uint64(d), 0)
	ds := &datasetModel{index: d, name: "D" + strconv.Itoa(d+1), barcodeW: max(6, digits(cfg.Cells))}
	for g, o := range owner {
		if o < 0 || o == d {
			ds.genes = append(ds.genes, g)
		}
	}
	n := len(ds.genes)
	ds.module = make([]int, n)
	ds.logRate = make([]float64, n)
	ds.load = make([]float64, n)
	ds.nb = make([]nbSampler, n)
	var modGenes []int
	for j, g := range ds.genes {
		ds.module[j] = m.module[g]
		ds.load[j] = m.load[g]
		ds.logRate[j] = m.logBase[g] + cfg.BatchEffect*r.NormFloat64()
		ds.nb[j] = newNBSampler(m.disp[g])
		if m.module[g] >= 0 {
			modGenes = append(modGenes, j)
		}
	}
	// Rewiring: a fixed fraction of module genes leave their module here.
	nRewire := int(math.Round(cfg.Rewire * float64(len(modGenes))))
	r.Shuffle(len(modGenes), func(a, b int) { modGenes[a], modGenes[b] = modGenes[b], modGenes[a] })
	for _, j := range modGenes[:nRewire] {
		old := ds.module[j]
		if cfg.Modules == 1 || r.IntN(2) == 0 {
			ds.module[j] = -1
		} else {
			nw := r.IntN(cfg.Modules - 1)
			if nw >= old {
				nw++
			}
			ds.module[j] = nw
		}
	}
	// Batch-specific genes.
	if cfg.BatchEffect > 0 {
		nb := max(1, int(math.Round(batchGeneFrac*float64(n))))
		p := r.Perm(n)[:nb]
		slices.Sort(p)
		for _, j := range p {
			ds.logRate[j] += batchGeneBoost * cfg.BatchEffect
		}
		ds.batchGenes = p
	}
	ds.rate0 = make([]float64, n)
	for j, lr := range ds.logRate {
		ds.rate0[j] = math.Exp(lr)
	}
	ds.logLib = math.Log(cfg.LibSizeMean) + cfg.LibSizeSD/2*r.NormFloat64()
	// Cell-type proportions, with some types absent after the first dataset.
	T := cfg.CellTypes
	ds.present = make([]bool, T)
	for t := range ds.present {
		ds.present[t] = true
	}
	if d > 0 {
		for _, t := range r.Perm(T)[:cfg.DropDatasetTypes] {
			ds.present[t] = false
		}
	}
	ds.typeCDF = make([]float64, T)
	sum := 0.0
	for t := range T {
		wt := math.Exp(typeWeightSD * r.NormFloat64())
		if ds.present[t] {
			sum += wt
		}
		ds.typeCDF[t] = sum
	}
	for t := range ds.typeCDF {
		ds.typeCDF[t] /= sum
	}
	ds.typeCDF[T-1] = 1
	ds.otherSpecies = cfg.isOtherSpecies(d)
	if cfg.isSpatial(d) {
		ds.spatial = m.newSpatial(ds)
	}
	return ds
}

// blockCells is the number of cells generated from one random stream. It is
// part of the output's definition: changing it changes the data.
const blockCells = 1024

// cellBlock holds the counts of up to blockCells consecutive cells of one
// dataset: cell i's entries are genes[indptr[i]:indptr[i+1]] (local gene
// indices, increasing) with counts[...] (positive).
type cellBlock struct {
	first  int // dataset-wide index of the first cell
	types  []int32
	indptr []int64
	genes  []int32
	counts []int32 // clamped to math.MaxInt32
}

func (b *cellBlock) len() int { return len(b.types) }

// scratch is per-goroutine working memory for fillBlock.
type scratch struct {
	act  []float64
	rate []float64
	dom  []float64 // domain weights of a spot
}

// numBlocks is the number of blocks of a dataset.
func (m *model) numBlocks() int { return (m.cfg.Cells + blockCells - 1) / blockCells }

// fillBlock generates block blk of dataset ds into out, reusing its memory.
func (m *model) fillBlock(ds *datasetModel, blk int, out *cellBlock, sc *scratch) {
	cfg := m.cfg
	r := newStream(cfg.Seed, streamCells, uint64(ds.index), uint64(blk))
	first := blk * blockCells
	n := min(blockCells, cfg.Cells-first)
	out.first = first
	out.types = out.types[:0]
	out.indptr = append(out.indptr[:0], 0)
	out.genes = out.genes[:0]
	out.counts = out.counts[:0]
	if cap(sc.act) < cfg.Modules {
		sc.act = make([]float64, cfg.Modules)
	}
	act := sc.act[:cfg.Modules]
	if cap(sc.rate) < len(ds.genes) {
		sc.rate = make([]float64, len(ds.genes))
	}
	rate := sc.rate[:len(ds.genes)]
	if ds.spatial != nil && cap(sc.dom) < len(ds.spatial.types) {
		sc.dom = make([]float64, len(ds.spatial.types))
	}
	for i := range n {
		var t int
		if ds.spatial != nil {
			t = m.spatialActivity(ds, first+i, act, sc.dom[:len(ds.spatial.types)], r)
		} else {
			t = sampleCDF(r, ds.typeCDF)
			for k, a := range m.typeAct[t] {
				act[k] = a + cfg.ProgramNoise*r.NormFloat64()
			}
		}
		out.types = append(out.types, int32(t))
		lib := math.Exp(ds.logLib + cfg.LibSizeSD*r.NormFloat64())
		sum := 0.0
		for j, v := range ds.rate0 {
			if mod := ds.module[j]; mod >= 0 {
				v *= math.Exp(ds.load[j] * act[mod])
			}
			rate[j] = v
			sum += v
		}
		scale := lib / sum
		for j, v := range rate {
			if c := ds.nb[j].sample(r, v*scale); c > 0 {
				out.genes = append(out.genes, int32(j))
				out.counts = append(out.counts, int32(min(c, math.MaxInt32)))
			}
		}
		out.indptr = append(out.indptr, int64(len(out.genes)))
	}
}

// sampleCDF returns the first index whose cumulative probability exceeds a
// uniform draw.
func sampleCDF(r *rand.Rand, cdf []float64) int {
	u := r.Float64()
	i, _ := slices.BinarySearchFunc(cdf, u, func(c, u float64) int {
		if c <= u {
			return -1
		}
		return 1
	})
	return min(i, len(cdf)-1)
}
