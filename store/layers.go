package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"genestore/vocab"

	bolt "go.etcd.io/bbolt"
)

// Layer describes a derived layer of a dataset: values for some genes ×
// every cell of the dataset that a model computed (predicted expression,
// vocab.Predicted), stored beside the dataset's ingested matrix and never
// mixed with it.
type Layer struct {
	Dataset uint32          `json:"dataset"`
	Name    string          `json:"name"`
	Values  vocab.ValueType `json:"values"`
	// Cells is the dataset's cell count; every gene has one value per cell.
	Cells int `json:"cells"`
	// Genes are the global gene ids of the layer, strictly ascending.
	Genes      []uint32   `json:"genes"`
	Provenance Provenance `json:"provenance"`
}

// LayerChunkCells is the number of cells per stored column chunk: a layer
// holds, per gene, one record of ≤ LayerChunkCells float32 values for each
// run of that many cells (4 KiB, one page), so one gene's values over n
// cells are n/1024 point reads, and a writer needs only one chunk of cells
// × genes in memory.
const LayerChunkCells = 1024

// MaxLayerGenes bounds the genes of one layer (it bounds what the layer
// record's decoder allocates).
const MaxLayerGenes = 1 << 20

// Inside the layers bucket (schema 4) each layer is a nested bucket named
// u32 dataset ‖ layer name; it holds
//
//	"meta"   layer record (version 1): u32 dataset, str name, str value
//	         type, uv cells, uv n + n × u32 gene ids (ascending), provenance
//	"values" bucket: u32 first cell ‖ u32 gene id → column chunk
//	         (version 1): uv n, n × f32 values of cells [first, first+n)
//
// first is a multiple of LayerChunkCells and n = min(LayerChunkCells,
// cells − first). Keys sort by chunk, then gene, so a writer that goes
// chunk by chunk puts them in order.
var (
	kLayerMeta   = []byte("meta")
	kLayerValues = []byte("values")
)

func layerKey(ds uint32, name string) []byte {
	return append(u32key(ds), name...)
}

// PutLayer creates layer (l.Dataset, l.Name), replacing any layer of that
// name, with no values yet: write them with PutLayerChunk for every chunk
// of LayerChunkCells cells, in the same transaction (Verify reports a
// layer with chunks missing). l.Cells must equal the dataset's cell count
// and l.Genes be strictly ascending ids of known genes.
func (tx *Tx) PutLayer(l Layer) error {
	if err := tx.writable(); err != nil {
		return err
	}
	if err := checkName("layer", l.Name); err != nil {
		return err
	}
	d, err := tx.DatasetByID(l.Dataset)
	if err != nil {
		return err
	}
	switch {
	case l.Cells != d.Cells:
		return fmt.Errorf("%w: layer %q of dataset %q has %d cells, the dataset %d", ErrInvalid, l.Name, d.Name, l.Cells, d.Cells)
	case l.Values == "":
		return fmt.Errorf("%w: layer %q has no value type", ErrInvalid, l.Name)
	case len(l.Genes) == 0:
		return fmt.Errorf("%w: layer %q has no genes", ErrInvalid, l.Name)
	case len(l.Genes) > MaxLayerGenes:
		return fmt.Errorf("%w: layer %q has %d genes (at most %d)", ErrInvalid, l.Name, len(l.Genes), MaxLayerGenes)
	}
	for i, g := range l.Genes {
		if i > 0 && g <= l.Genes[i-1] {
			return fmt.Errorf("%w: layer %q genes not strictly ascending at position %d (%d after %d)", ErrInvalid, l.Name, i, g, l.Genes[i-1])
		}
		if _, err := tx.Gene(g); err != nil {
			return fmt.Errorf("layer %q: %w", l.Name, err)
		}
	}
	l.Genes = slices.Clone(l.Genes)
	l.Provenance = tx.stamp(l.Provenance)
	root, err := tx.bucket(bLayers)
	if err != nil {
		return err
	}
	key := layerKey(l.Dataset, l.Name)
	if root.Bucket(key) != nil {
		if err := root.DeleteBucket(key); err != nil {
			return err
		}
	}
	b, err := root.CreateBucket(key)
	if err != nil {
		return err
	}
	if _, err := b.CreateBucket(kLayerValues); err != nil {
		return err
	}
	return b.Put(kLayerMeta, encodeLayer(l))
}

// PutLayerChunk writes cells [first, first+n) of every gene of layer (ds,
// name), n = min(LayerChunkCells, cells − first): values holds len(Genes)
// × n finite values, gene-major (gene i's values are values[i*n:(i+1)*n]).
// first must be a multiple of LayerChunkCells.
func (tx *Tx) PutLayerChunk(ds uint32, name string, first int, values []float32) error {
	if err := tx.writable(); err != nil {
		return err
	}
	b, l, err := tx.layerBucket(ds, name)
	if err != nil {
		return err
	}
	if first < 0 || first >= l.Cells || first%LayerChunkCells != 0 {
		return fmt.Errorf("%w: layer %q chunk at cell %d (cells %d, chunks of %d)", ErrInvalid, name, first, l.Cells, LayerChunkCells)
	}
	n := min(LayerChunkCells, l.Cells-first)
	if len(values) != n*len(l.Genes) {
		return fmt.Errorf("%w: layer %q chunk at cell %d: %d values for %d genes × %d cells", ErrInvalid, name, first, len(values), len(l.Genes), n)
	}
	for i, v := range values {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: layer %q: value %v for gene %d, cell %d", ErrInvalid, name, v, l.Genes[i/n], first+i%n)
		}
	}
	vb := b.Bucket(kLayerValues)
	if vb == nil {
		return fmt.Errorf("%w: layer %q: bucket %q missing", ErrCorrupt, name, kLayerValues)
	}
	vb.FillPercent = 1.0
	for i, g := range l.Genes {
		if err := vb.Put(u32u32key(uint32(first), g), encodeLayerColumn(values[i*n:(i+1)*n])); err != nil {
			return err
		}
	}
	return nil
}

// Layer returns layer (ds, name)'s description; ErrNotFound when absent.
func (tx *Tx) Layer(ds uint32, name string) (Layer, error) {
	_, l, err := tx.layerBucket(ds, name)
	return l, err
}

// Layers lists every stored layer, by dataset id and then name.
func (tx *Tx) Layers() ([]Layer, error) {
	root, err := tx.bucket(bLayers)
	if err != nil {
		return nil, err
	}
	var out []Layer
	err = root.ForEachBucket(func(k []byte) error {
		l, err := decodeLayer(root.Bucket(k).Get(kLayerMeta))
		if err != nil {
			return fmt.Errorf("layer %x: %w", k, err)
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

// DeleteLayer removes layer (ds, name); ErrNotFound when there is none.
func (tx *Tx) DeleteLayer(ds uint32, name string) error {
	if err := tx.writable(); err != nil {
		return err
	}
	root, err := tx.bucket(bLayers)
	if err != nil {
		return err
	}
	key := layerKey(ds, name)
	if root.Bucket(key) == nil {
		return fmt.Errorf("%w: layer %q of dataset %d", ErrNotFound, name, ds)
	}
	return root.DeleteBucket(key)
}

// LayerGene returns gene's value in every cell of layer (ds, name), in
// cell order; ErrNotFound when the layer lacks the gene.
func (tx *Tx) LayerGene(ds uint32, name string, gene uint32) ([]float32, error) {
	b, l, err := tx.layerBucket(ds, name)
	if err != nil {
		return nil, err
	}
	if _, ok := slices.BinarySearch(l.Genes, gene); !ok {
		return nil, fmt.Errorf("%w: gene %d in layer %q of dataset %d", ErrNotFound, gene, name, ds)
	}
	vb := b.Bucket(kLayerValues)
	if vb == nil {
		return nil, fmt.Errorf("%w: layer %q: bucket %q missing", ErrCorrupt, name, kLayerValues)
	}
	out := make([]float32, 0, tx.sizeHint(uint64(l.Cells), 1))
	for first := 0; first < l.Cells; first += LayerChunkCells {
		col, err := layerColumn(vb, l, first, gene)
		if err != nil {
			return nil, err
		}
		out = append(out, col...)
	}
	return out, nil
}

// LayerChunk returns cells [first, first+n) of every gene of layer (ds,
// name), gene-major as PutLayerChunk takes them; first is a multiple of
// LayerChunkCells.
func (tx *Tx) LayerChunk(ds uint32, name string, first int) ([]float32, error) {
	b, l, err := tx.layerBucket(ds, name)
	if err != nil {
		return nil, err
	}
	if first < 0 || first >= l.Cells || first%LayerChunkCells != 0 {
		return nil, fmt.Errorf("%w: layer %q chunk at cell %d (cells %d, chunks of %d)", ErrInvalid, name, first, l.Cells, LayerChunkCells)
	}
	vb := b.Bucket(kLayerValues)
	if vb == nil {
		return nil, fmt.Errorf("%w: layer %q: bucket %q missing", ErrCorrupt, name, kLayerValues)
	}
	n := min(LayerChunkCells, l.Cells-first)
	out := make([]float32, 0, n*len(l.Genes))
	for _, g := range l.Genes {
		col, err := layerColumn(vb, l, first, g)
		if err != nil {
			return nil, err
		}
		out = append(out, col...)
	}
	return out, nil
}

// layerColumn reads and checks one column chunk.
func layerColumn(vb *bolt.Bucket, l Layer, first int, gene uint32) ([]float32, error) {
	v := vb.Get(u32u32key(uint32(first), gene))
	if v == nil {
		return nil, fmt.Errorf("%w: layer %q of dataset %d: gene %d has no values for cells from %d", ErrCorrupt, l.Name, l.Dataset, gene, first)
	}
	col, err := decodeLayerColumn(v)
	if err != nil {
		return nil, fmt.Errorf("layer %q of dataset %d, gene %d, cells from %d: %w", l.Name, l.Dataset, gene, first, err)
	}
	if want := min(LayerChunkCells, l.Cells-first); len(col) != want {
		return nil, fmt.Errorf("%w: layer %q of dataset %d: gene %d has %d values for cells from %d, want %d", ErrCorrupt, l.Name, l.Dataset, gene, len(col), first, want)
	}
	return col, nil
}

func (tx *Tx) layerBucket(ds uint32, name string) (*bolt.Bucket, Layer, error) {
	root, err := tx.bucket(bLayers)
	if err != nil {
		return nil, Layer{}, err
	}
	b := root.Bucket(layerKey(ds, name))
	if b == nil {
		return nil, Layer{}, fmt.Errorf("%w: layer %q of dataset %d", ErrNotFound, name, ds)
	}
	l, err := decodeLayer(b.Get(kLayerMeta))
	if err != nil {
		return nil, Layer{}, fmt.Errorf("layer %q of dataset %d: %w", name, ds, err)
	}
	if l.Dataset != ds || l.Name != name {
		return nil, Layer{}, fmt.Errorf("%w: layer bucket (%d, %q) holds the record of (%d, %q)", ErrCorrupt, ds, name, l.Dataset, l.Name)
	}
	return b, l, nil
}

// verifyLayers decodes every layer and model record, checks that each
// layer's dataset exists with its cell count and that it holds exactly one
// chunk of the right length per gene and chunk, and that each model
// record has its weights blob.
func (tx *Tx) verifyLayers(note func(error)) {
	root := tx.btx.Bucket(bLayers)
	if root == nil {
		note(fmt.Errorf("%w: bucket %q missing", ErrCorrupt, bLayers))
	} else {
		note(root.ForEachBucket(func(k []byte) error {
			if len(k) < 5 {
				return fmt.Errorf("%w: layers/%x: key too short", ErrCorrupt, k)
			}
			ds, name := binary.BigEndian.Uint32(k), string(k[4:])
			b, l, err := tx.layerBucket(ds, name)
			if err != nil {
				return err
			}
			d, err := tx.DatasetByID(ds)
			if err != nil {
				return fmt.Errorf("%w: layer %q: dataset %d: %v", ErrCorrupt, name, ds, err)
			}
			if d.Cells != l.Cells {
				return fmt.Errorf("%w: layer %q of dataset %q: %d cells, the dataset %d", ErrCorrupt, name, d.Name, l.Cells, d.Cells)
			}
			vb := b.Bucket(kLayerValues)
			if vb == nil {
				return fmt.Errorf("%w: layer %q: bucket %q missing", ErrCorrupt, name, kLayerValues)
			}
			want := ((l.Cells + LayerChunkCells - 1) / LayerChunkCells) * len(l.Genes)
			have := 0
			err = vb.ForEach(func(k, v []byte) error {
				if len(k) != 8 {
					return fmt.Errorf("%w: layer %q: value key %x", ErrCorrupt, name, k)
				}
				first, gene := int(binary.BigEndian.Uint32(k)), binary.BigEndian.Uint32(k[4:])
				if first%LayerChunkCells != 0 || first >= l.Cells {
					return fmt.Errorf("%w: layer %q: chunk at cell %d", ErrCorrupt, name, first)
				}
				if _, ok := slices.BinarySearch(l.Genes, gene); !ok {
					return fmt.Errorf("%w: layer %q: values for gene %d, not in the layer", ErrCorrupt, name, gene)
				}
				if _, err := layerColumn(vb, l, first, gene); err != nil {
					return err
				}
				have++
				return nil
			})
			if err != nil {
				return err
			}
			if have != want {
				return fmt.Errorf("%w: layer %q of dataset %q: %d column chunks, want %d", ErrCorrupt, name, d.Name, have, want)
			}
			return nil
		}))
	}
	models := tx.btx.Bucket(bModels)
	if models == nil {
		note(fmt.Errorf("%w: bucket %q missing", ErrCorrupt, bModels))
		return
	}
	note(models.ForEach(func(k, v []byte) error {
		m, err := decodeModelRecord(v)
		if err != nil {
			return fmt.Errorf("models/%s: %w", k, err)
		}
		if m.Name != string(k) {
			return fmt.Errorf("%w: models/%s holds the record of %q", ErrCorrupt, k, m.Name)
		}
		if _, err := tx.blobBucket(vocab.BlobModel, m.Name); err != nil {
			return fmt.Errorf("%w: model record %q has no weights blob: %v", ErrCorrupt, m.Name, err)
		}
		return nil
	}))
}

const layerVersion, layerColumnVersion = 1, 1

func encodeLayer(l Layer) []byte {
	e := newEnc(layerVersion, 32+len(l.Name)+len(l.Values)+4*len(l.Genes)+len(l.Provenance.Params))
	e.u32(l.Dataset)
	e.str(l.Name)
	e.str(string(l.Values))
	e.uv(uint64(l.Cells))
	e.u32s(l.Genes)
	e.prov(l.Provenance)
	return e.seal()
}

func decodeLayer(v []byte) (Layer, error) {
	d, err := openRecord("layer", v, layerVersion)
	if err != nil {
		return Layer{}, err
	}
	var l Layer
	l.Dataset = d.u32()
	l.Name = d.str()
	l.Values = vocab.ValueType(d.str())
	l.Cells = int(d.uvBounded(math.MaxUint32))
	l.Genes = d.u32s()
	l.Provenance = d.prov()
	if err := d.done(); err != nil {
		return Layer{}, err
	}
	if len(l.Genes) > MaxLayerGenes {
		return Layer{}, fmt.Errorf("%w: layer: %d genes", ErrCorrupt, len(l.Genes))
	}
	for i := 1; i < len(l.Genes); i++ {
		if l.Genes[i] <= l.Genes[i-1] {
			return Layer{}, fmt.Errorf("%w: layer: genes not ascending at %d", ErrCorrupt, i)
		}
	}
	return l, nil
}

func encodeLayerColumn(v []float32) []byte {
	e := newEnc(layerColumnVersion, 5+4*len(v))
	e.uv(uint64(len(v)))
	for _, x := range v {
		e.f32(x)
	}
	return e.seal()
}

func decodeLayerColumn(v []byte) ([]float32, error) {
	d, err := openRecord("layer column", v, layerColumnVersion)
	if err != nil {
		return nil, err
	}
	n := d.count(4)
	if d.err != nil {
		return nil, d.err
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = d.f32()
		if math.IsNaN(float64(out[i])) || math.IsInf(float64(out[i]), 0) {
			d.fail("value %v", out[i])
		}
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return out, nil
}
