package store

import (
	"fmt"
	"math"
	"strconv"

	"genestore/vocab"
)

// spatialVersion is the version byte of spot coordinate records.
//
// Spot coordinates (bucket "spatial", key u32 dataset id; schema 5),
// version 1: uv n (= the dataset's cells), n × (u64 x, u64 y): IEEE-754
// float64 bits as u64, big-endian like every u64 of the codec (not
// little-endian as f32 values are), pairs in cell row order.
const spatialVersion = 1

func encodeCoords(c [][2]float64) []byte {
	e := newEnc(spatialVersion, 16*len(c)+8)
	e.count(len(c))
	for _, p := range c {
		e.u64(math.Float64bits(p[0]))
		e.u64(math.Float64bits(p[1]))
	}
	return e.seal()
}

func decodeCoords(v []byte) ([][2]float64, error) {
	d, err := openRecord("spot coordinates", v, spatialVersion)
	if err != nil {
		return nil, err
	}
	n := d.count(16)
	out := make([][2]float64, n)
	for i := range out {
		out[i] = [2]float64{math.Float64frombits(d.u64()), math.Float64frombits(d.u64())}
	}
	return out, d.done()
}

// SpotCoords returns the x/y coordinates of a dataset's cells (spots) in
// row order, or nil when it has none.
func (tx *Tx) SpotCoords(dataset uint32) ([][2]float64, error) {
	b, err := tx.bucket(bSpatial)
	if err != nil {
		return nil, err
	}
	v := b.Get(u32key(dataset))
	if v == nil {
		return nil, nil
	}
	return decodeCoords(v)
}

// checkCoords validates a dataset's coordinates against its modality: a
// spatial dataset needs one finite x/y pair per cell, no two spots at one
// position; other modalities take none.
func checkCoords(m vocab.Modality, coords [][2]float64, barcodes []string) error {
	if m != vocab.Spatial {
		if coords != nil {
			return fmt.Errorf("%w: spot coordinates given for a dataset of modality %s (use --modality spatial)", ErrInvalid, m)
		}
		return nil
	}
	if coords == nil {
		return fmt.Errorf("%w: modality spatial needs spot coordinates (a Space Ranger spatial/ folder, obsm[\"spatial\"] in an h5ad, or --coords X,Y naming two obs columns)", ErrInvalid)
	}
	if len(coords) != len(barcodes) {
		return fmt.Errorf("%w: %d coordinate pairs for %d spots", ErrInvalid, len(coords), len(barcodes))
	}
	at := make(map[[2]float64]int, len(coords))
	for i, p := range coords {
		for _, v := range p {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: spot %q has coordinate %s", ErrInvalid, barcodes[i], strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if j, dup := at[p]; dup {
			return fmt.Errorf("%w: spots %q and %q are both at (%g, %g): duplicate spots", ErrInvalid, barcodes[j], barcodes[i], p[0], p[1])
		}
		at[p] = i
	}
	return nil
}

// ModalityOf is the modality AddDataset stores a dataset with: opts'
// modality, or spatial when the dataset has coordinates and rna otherwise.
func ModalityOf(opts AddOptions, coords [][2]float64) (vocab.Modality, error) {
	m := opts.Modality
	switch {
	case m == "" && coords != nil:
		return vocab.Spatial, nil
	case m == "":
		return vocab.RNA, nil
	case !m.Valid():
		return "", fmt.Errorf("%w: modality %q (want one of %v)", ErrInvalid, m, vocab.Modalities())
	}
	return m, nil
}
