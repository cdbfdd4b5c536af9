package store

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"testing"

	"genestore/internal/sparse"
	"genestore/store/ingest"
	"genestore/vocab"
)

// frame wraps body as a valid record of the given version, so fuzzing
// reaches the body decoders past the checksum.
func frame(version byte, body []byte) []byte {
	b := append([]byte{version}, body...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// fuzzCodec checks, for the raw input and for the input framed as a valid
// record: decode never panics, and when it succeeds, encode∘decode is
// stable (encoding the decoded value and decoding that gives the same
// bytes again).
func fuzzCodec[T any](f *testing.F, version byte, seeds [][]byte, decode func([]byte) (T, error), encode func(T) []byte) {
	for _, s := range seeds {
		f.Add(s)
		if len(s) >= 5 {
			f.Add(s[1 : len(s)-4]) // the body alone, framed by the target
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, frame(version, data)} {
			v, err := decode(in)
			if err != nil {
				continue
			}
			enc1 := encode(v)
			v2, err := decode(enc1)
			if err != nil {
				t.Fatalf("re-decoding an encoded value: %v", err)
			}
			if enc2 := encode(v2); !bytes.Equal(enc1, enc2) {
				t.Fatalf("encode∘decode not stable:\n%x\n%x", enc1, enc2)
			}
		}
	})
}

var seedProv = Provenance{Kind: "k", ModelVersion: "m", Params: []byte(`{"a":1}`), Datasets: []uint32{1, 5}, Created: fixedClock()}

func FuzzDatasetRecord(f *testing.F) {
	fuzzCodec(f, datasetVersion, [][]byte{
		encodeDataset(DatasetInfo{ID: 3, Name: "pbmc", Format: "mtx", Values: vocab.Counts, Cells: 80, Genes: 230, NNZ: 4456,
			ObsColumns: []string{"a", "b"}, BatchKey: "a", Added: fixedClock(), DuplicateSymbols: 2}),
		encodeDataset(DatasetInfo{}),
	}, decodeDataset, encodeDataset)
}

func FuzzGeneRecord(f *testing.F) {
	fuzzCodec(f, geneVersion, [][]byte{encodeGene(GeneInfo{Symbol: "CD3E", SourceID: "ENSG1"}), encodeGene(GeneInfo{})},
		decodeGene, encodeGene)
}

func FuzzGeneRecordV2(f *testing.F) {
	fuzzCodec(f, gene2Version, [][]byte{
		encodeGene(GeneInfo{Symbol: "CD79A", SourceID: "ENSG1", Orthologs: []GeneAlias{{"mouse", "Cd79a", "ENSMUSG1"}}}),
		encodeGene(GeneInfo{Symbol: "Gm123", Species: "mouse"}),
	}, decodeGene, encodeGene)
}

func FuzzSpotCoords(f *testing.F) {
	fuzzCodec(f, spatialVersion, [][]byte{encodeCoords([][2]float64{{1, 2}, {3.5, -4}}), encodeCoords(nil)},
		decodeCoords, encodeCoords)
}

func FuzzU32List(f *testing.F) {
	fuzzCodec(f, u32ListVersion, [][]byte{encodeU32List([]uint32{1, 2, 0xFFFFFFFF}), encodeU32List(nil)},
		decodeU32List, encodeU32List)
}

func FuzzBarcodeChunk(f *testing.F) {
	fuzzCodec(f, barcodesVersion, [][]byte{encodeBarcodes([]string{"AAAC-1", "TTTG-1"}), encodeBarcodes(nil)},
		decodeBarcodes, encodeBarcodes)
}

func FuzzObsColumn(f *testing.F) {
	fuzzCodec(f, obsVersion, [][]byte{
		encodeObs(ingest.ObsColumn{Categorical: true, Values: []string{"T", "B", "T", ""}}),
		encodeObs(ingest.ObsColumn{}),
	}, decodeObs, encodeObs)
}

func FuzzMatrixChunk(f *testing.F) {
	const cols = 1 << 12
	type chunk struct {
		m     *sparse.CSR
		first uint32
	}
	decode := func(v []byte) (chunk, error) {
		m := &sparse.CSR{Cols: cols, Indptr: []int64{0}}
		first, rows, err := decodeMatrixChunk(v, cols, m, 0, math.MaxInt)
		m.Rows = rows
		if err == nil {
			if verr := m.Validate(); verr != nil && !hasNonFinite(m.Data) {
				panic("decoded chunk is not a valid CSR: " + verr.Error())
			}
		}
		return chunk{m, uint32(first)}, err
	}
	encode := func(c chunk) []byte {
		return encodeMatrixChunk(c.m, 0, c.m.Rows, integerValued(c.m.Data), c.first)
	}
	x := &sparse.CSR{Rows: 3, Cols: cols, Indptr: []int64{0, 2, 2, 5}, Indices: []int32{0, 7, 1, 2, 4095}, Data: []float32{1, 2, 3, 4, 5}}
	y := &sparse.CSR{Rows: 2, Cols: cols, Indptr: []int64{0, 1, 2}, Indices: []int32{3, 9}, Data: []float32{0.5, -2}}
	fuzzCodec(f, matrixVersion, [][]byte{
		encodeMatrixChunk(x, 0, 3, true, 4096),
		encodeMatrixChunk(y, 0, 2, false, 0),
		encodeMatrixChunk(x, 1, 3, false, 7),
	}, decode, encode)
}

func hasNonFinite(d []float32) bool {
	for _, v := range d {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return true
		}
	}
	return false
}

func FuzzAdjacency(f *testing.F) {
	fuzzCodec(f, adjacencyVersion, [][]byte{encodeAdjacency([]partner{{1, 0.5}, {9, -1}}), encodeAdjacency(nil)},
		decodeAdjacency, encodeAdjacency)
}

func FuzzEdgeSet(f *testing.F) {
	fuzzCodec(f, edgeSetVersion, [][]byte{encodeEdgeSet(EdgeSet{Dataset: 2, Edges: 10, Provenance: seedProv}), encodeEdgeSet(EdgeSet{})},
		decodeEdgeSet, encodeEdgeSet)
}

func FuzzSpaceRecord(f *testing.F) {
	fuzzCodec(f, spaceVersion, [][]byte{encodeSpace(SpaceInfo{Dim: 32, Generation: 7})}, decodeSpace, encodeSpace)
}

func FuzzVector(f *testing.F) {
	fuzzCodec(f, vectorVersion, [][]byte{encodeVector([]float32{1, -2, 0.5}), encodeVector(nil)},
		func(v []byte) ([]float32, error) { return decodeVectorAppend(nil, v, 0) }, encodeVector)
}

func FuzzEmbeddingSet(f *testing.F) {
	fuzzCodec(f, embeddingSetVersion, [][]byte{encodeEmbeddingSet(EmbeddingSet{Dataset: vocab.Consensus, Count: 3, Provenance: seedProv})},
		decodeEmbeddingSet, encodeEmbeddingSet)
}

func FuzzBlobHeader(f *testing.F) {
	fuzzCodec(f, blobHeaderVersion, [][]byte{encodeBlobHeader(blobHeader{Size: 5, Chunks: 1, CRC: 9})}, decodeBlobHeader, encodeBlobHeader)
}

func FuzzBlobChunk(f *testing.F) {
	fuzzCodec(f, blobChunkVersion, [][]byte{encodeBlobChunk([]byte("weights")), encodeBlobChunk(nil)},
		func(v []byte) ([]byte, error) { return decodeBlobChunkAppend(nil, v) }, encodeBlobChunk)
}

func FuzzClustering(f *testing.F) {
	fuzzCodec(f, clusteringVersion, [][]byte{
		encodeClustering(Clustering{IDs: []uint64{1, vocab.EntityKey(2, 3)}, Labels: []int32{0, -1}, Stale: true, Provenance: seedProv}),
		encodeClustering(Clustering{}),
	}, decodeClustering, encodeClustering)
}

func FuzzCollection(f *testing.F) {
	fuzzCodec(f, collectionVersion, [][]byte{
		encodeCollection([]GeneSet{{"GO:1", "x", []string{"A", "B"}}, {"GO:2", "", nil}}),
		encodeCollection(nil),
	}, decodeCollection, encodeCollection)
}

func FuzzPredictions(f *testing.F) {
	fuzzCodec(f, predictionsVersion, [][]byte{
		encodePredictions(Predictions{Rows: []Prediction{{1, "T", 0.5, []uint32{3}}, {2, "", 1, nil}}, Provenance: seedProv}),
		encodePredictions(Predictions{}),
	}, decodePredictions, encodePredictions)
}

// TestRecordsRejectCorruption flips every byte of a few records in turn:
// each flip must be reported as ErrCorrupt, never accepted or panicking.
func TestRecordsRejectCorruption(t *testing.T) {
	recs := map[string]struct {
		v   []byte
		dec func([]byte) error
	}{
		"dataset":     {encodeDataset(DatasetInfo{ID: 1, Name: "n", Cells: 3}), func(v []byte) error { _, err := decodeDataset(v); return err }},
		"gene v2":     {encodeGene(GeneInfo{Symbol: "CD79A", Orthologs: []GeneAlias{{"mouse", "Cd79a", ""}}}), func(v []byte) error { _, err := decodeGene(v); return err }},
		"coords":      {encodeCoords([][2]float64{{1, 2}}), func(v []byte) error { _, err := decodeCoords(v); return err }},
		"predictions": {encodePredictions(Predictions{Rows: []Prediction{{1, "T", 0.5, nil}}}), func(v []byte) error { _, err := decodePredictions(v); return err }},
		"matrix": {encodeMatrixChunk(&sparse.CSR{Rows: 1, Cols: 4, Indptr: []int64{0, 2}, Indices: []int32{1, 3}, Data: []float32{1, 2}}, 0, 1, true, 0),
			func(v []byte) error {
				_, _, err := decodeMatrixChunk(v, 4, &sparse.CSR{Indptr: []int64{0}}, 0, 1)
				return err
			}},
	}
	for name, r := range recs {
		for i := range r.v {
			for _, bit := range []byte{1, 0x80} {
				v := append([]byte(nil), r.v...)
				v[i] ^= bit
				if err := r.dec(v); err == nil {
					t.Errorf("%s: flipping bit %#x of byte %d went unnoticed", name, bit, i)
				}
			}
		}
		if err := r.dec(r.v[:len(r.v)-1]); err == nil {
			t.Errorf("%s: truncation unnoticed", name)
		}
	}
}
