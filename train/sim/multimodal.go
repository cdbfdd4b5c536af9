package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// Species and modality labels of simulated datasets (Dataset.Species, Dataset.Modality). The second species is
// labelled mouse so that a simulation ingests the way a human + mouse store
// does (`ingest --species mouse --orthologs truth/orthologs.tsv`); its
// genes are renamed, not mouse genes.
const (
	SpeciesHome  = "human"
	SpeciesOther = "mouse"
	ModalityRNA  = "rna"
	ModalitySpat = "spatial"
)

// Stream purposes of the multimodal extension (see random.go).
const (
	streamSpatial = 6 // per spatial dataset: domain centres, smooth fields
	streamSpecies = 7 // which genes have no ortholog
)

// Spatial model constants (see doc.go).
const (
	domainWidth   = 0.35 // SD of a domain's Gaussian membership, × grid side / √domains
	fieldWaves    = 2    // plane waves summed in a module's smooth field
	fieldMaxFreq  = 2    // highest spatial frequency of a wave, cycles per grid side
	fieldStrength = 1.0  // SD of a module's smooth field, × ProgramNoise
)

// spatialModel is the spatial structure of one spatial dataset: spots on a
// W × H grid (spot i at x = i mod W, y = ⌊i / W⌋), one tissue domain per
// cell type present, and per module a smooth field added to its activity.
type spatialModel struct {
	w, h    int
	types   []int        // cell type of each domain
	centres [][2]float64 // domain centres in grid units
	sigma   float64      // membership SD in grid units
	waves   [][]wave     // [module] plane waves
}

type wave struct {
	kx, ky, phase, amp float64
}

// isSpatial reports whether dataset d (0-based) is simulated as spots.
func (c Config) isSpatial(d int) bool { return d >= c.Datasets-c.Spatial }

// isOtherSpecies reports whether dataset d is of the second species.
func (c Config) isOtherSpecies(d int) bool {
	return d < c.Datasets-c.Spatial && d >= c.Datasets-c.Spatial-c.OtherSpecies
}

// newSpatial draws the spatial structure of dataset ds.
func (m *model) newSpatial(ds *datasetModel) *spatialModel {
	cfg := m.cfg
	r := newStream(cfg.Seed, streamSpatial, uint64(ds.index), 0)
	s := &spatialModel{w: int(math.Ceil(math.Sqrt(float64(cfg.Cells))))}
	s.h = (cfg.Cells + s.w - 1) / s.w
	for t, ok := range ds.present {
		if ok {
			s.types = append(s.types, t)
			s.centres = append(s.centres, [2]float64{r.Float64() * float64(s.w), r.Float64() * float64(s.h)})
		}
	}
	s.sigma = domainWidth * float64(max(s.w, s.h)) / math.Sqrt(float64(len(s.types)))
	s.waves = make([][]wave, cfg.Modules)
	amp := fieldStrength * cfg.ProgramNoise * math.Sqrt(2.0/fieldWaves)
	for k := range s.waves {
		for range fieldWaves {
			s.waves[k] = append(s.waves[k], wave{
				kx:    2 * math.Pi * float64(r.IntN(fieldMaxFreq+1)) / float64(s.w),
				ky:    2 * math.Pi * float64(1+r.IntN(fieldMaxFreq)) / float64(s.h),
				phase: 2 * math.Pi * r.Float64(),
				amp:   amp,
			})
		}
	}
	return s
}

// coords returns spot i's position.
func (s *spatialModel) coords(i int) (x, y float64) {
	return float64(i % s.w), float64(i / s.w)
}

// spot sets act to spot i's module activities before noise (a mixture of
// the domains' type activities weighted by Gaussian membership, plus each
// module's smooth field) and returns the dominant domain's cell type. w is
// scratch of len(s.types).
func (m *model) spot(s *spatialModel, i int, act, w []float64) int {
	x, y := s.coords(i)
	best, bestW, sum := 0, math.Inf(-1), 0.0
	for d, c := range s.centres {
		dx, dy := x-c[0], y-c[1]
		l := -(dx*dx + dy*dy) / (2 * s.sigma * s.sigma)
		w[d] = l
		if l > bestW {
			best, bestW = d, l
		}
	}
	for d := range w {
		w[d] = math.Exp(w[d] - bestW)
		sum += w[d]
	}
	for k := range act {
		a := 0.0
		for d, t := range s.types {
			a += w[d] * m.typeAct[t][k]
		}
		a /= sum
		for _, wv := range s.waves[k] {
			a += wv.amp * math.Sin(wv.kx*x+wv.ky*y+wv.phase)
		}
		act[k] = a
	}
	return s.types[best]
}

// newSpecies draws which universe genes have no ortholog and names every
// gene in the second species: G0001 → Sg0001 (renamed so that no case
// folding joins it to its ortholog).
func (m *model) newSpecies() {
	cfg := m.cfg
	if cfg.OtherSpecies == 0 {
		return
	}
	r := newStream(cfg.Seed, streamSpecies, 0, 0)
	G := len(m.geneNames)
	w := max(4, digits(G))
	m.otherNames = make([]string, G)
	m.noOrtholog = make([]bool, G)
	for g := range G {
		m.otherNames[g] = "Sg" + fmt.Sprintf("%0*d", w, g+1)
		m.noOrtholog[g] = r.Float64() < cfg.OrthologLoss
	}
}

// geneName is the name of universe gene g in dataset ds.
func (m *model) geneName(ds *datasetModel, g int) string {
	if ds.otherSpecies {
		return m.otherNames[g]
	}
	return m.geneNames[g]
}

// orthologs returns the ortholog table: (home, other) symbol pairs for
// every universe gene that has one, in universe order; nil without a second
// species, and empty (not nil) when every gene lost its ortholog, so that
// truth/orthologs.tsv is still written.
func (m *model) orthologs() [][2]string {
	if m.otherNames == nil {
		return nil
	}
	out := [][2]string{}
	for g, lost := range m.noOrtholog {
		if !lost {
			out = append(out, [2]string{m.geneNames[g], m.otherNames[g]})
		}
	}
	return out
}

// appendCoord appends a spot coordinate (an integer grid position) in
// decimal.
func appendCoord(buf []byte, v float64) []byte {
	return strconv.AppendInt(buf, int64(v), 10)
}

// spatialActivity fills act for a spot of a spatial dataset (mixture plus
// smooth field plus ProgramNoise) and returns its cell type.
func (m *model) spatialActivity(ds *datasetModel, cell int, act, w []float64, r *rand.Rand) int {
	t := m.spot(ds.spatial, cell, act, w)
	for k := range act {
		act[k] += m.cfg.ProgramNoise * r.NormFloat64()
	}
	return t
}
