package expr

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"runtime"
)

// FormatVersion is the version of the byte layout MarshalBinary writes.
//
// Layout, version 1 (integers and floats little-endian):
//
//	offset  size  field
//	0       8     magic "GSEXPR\x00\x00"
//	8       1     format version (byte) = 1
//	9       4     uint32 H, length of the header
//	13      H     header, JSON: {"landmarks": [L symbols], "targets": [T
//	              symbols], "hidden": [widths; empty when there is no MLP],
//	              "dropout", "knn_k", "knn_dims" (p), "knn_refs" (m),
//	              "validation": Validation without GeneMAE, "gene_mae":
//	              [NumKinds booleans: which per-gene arrays follow]}
//	13+H    …     float32 arrays, in this order:
//	              landmark means (L), landmark scales (L), target means (T),
//	              target scales (T), landmark correlation (L·L), ridge
//	              weights (L·T, row-major L × T), least-squares weights
//	              (L·T), ridge penalties (T), blend weights (T·4: MLP,
//	              ridge, kNN, least squares per target);
//	              per MLP layer l: W (in·out, row-major in × out), B (out);
//	              kNN projection (L·p), reference coordinates (m·p),
//	              reference targets (m·T);
//	              per Kind flagged in gene_mae, its validation MAE per
//	              target (T)
//	end−4   4     uint32 CRC-32C (Castagnoli) of every preceding byte
//
// Readers refuse other versions; versions only move forward, and a future
// version adds a decoder case beside this one.
const FormatVersion = 1

const codecMagic = "GSEXPR\x00\x00"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Decoding limits: sizes beyond these are refused before any allocation.
const (
	maxGenes  = 1 << 20
	maxRefs   = 1 << 22
	maxHeader = 1 << 28
)

type codecHeader struct {
	Landmarks  []string       `json:"landmarks"`
	Targets    []string       `json:"targets"`
	Hidden     []int          `json:"hidden"`
	Dropout    float64        `json:"dropout"`
	KNNK       int            `json:"knn_k"`
	KNNDims    int            `json:"knn_dims"`
	KNNRefs    int            `json:"knn_refs"`
	Validation Validation     `json:"validation"`
	GeneMAE    [NumKinds]bool `json:"gene_mae"`
}

// MarshalBinary encodes the model (every predictor, the blend, the
// normalisation and the validation scores) in the layout of FormatVersion.
// Equal models give equal bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	if m == nil || m.nn == nil {
		return nil, fmt.Errorf("%w: not a fitted model (use Fit or UnmarshalBinary)", ErrFormat)
	}
	h := codecHeader{Landmarks: m.landmarks, Targets: m.targets, Dropout: m.dropout,
		KNNK: m.nn.k, KNNDims: m.nn.p, KNNRefs: len(m.nn.ref) / max(m.nn.p, 1), Validation: m.val}
	if m.net != nil {
		h.Hidden = m.hidden
	}
	h.Validation.GeneMAE = [NumKinds][]float32{}
	for k := range NumKinds {
		h.GeneMAE[k] = m.val.GeneMAE[k] != nil
	}
	if math.IsInf(h.Validation.MLPValMSE, 0) || math.IsNaN(h.Validation.MLPValMSE) {
		h.Validation.MLPValMSE = -1
	}
	for k, v := range h.Validation.MeanMAE {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			h.Validation.MeanMAE[k] = -1
		}
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	var buf bytes.Buffer
	buf.WriteString(codecMagic)
	buf.WriteByte(FormatVersion)
	buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(hdr))))
	buf.Write(hdr)
	for _, a := range m.arrays() {
		b := make([]byte, 4*len(*a))
		for i, v := range *a {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		buf.Write(b)
	}
	buf.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(buf.Bytes(), castagnoli)))
	return buf.Bytes(), nil
}

// arrays lists the model's float32 arrays in layout order.
func (m *Model) arrays() []*[]float32 {
	a := []*[]float32{&m.lMean, &m.lScale, &m.tMean, &m.tScale, &m.lCorr, &m.ridgeW, &m.lsW, &m.alpha, &m.blend}
	if m.net != nil {
		for l := range m.net.W {
			a = append(a, &m.net.W[l].W, &m.net.B[l].W)
		}
	}
	a = append(a, &m.nn.proj, &m.nn.ref, &m.nn.refY)
	for k := range NumKinds {
		if m.val.GeneMAE[k] != nil {
			a = append(a, &m.val.GeneMAE[k])
		}
	}
	return a
}

// UnmarshalBinary decodes a model written by MarshalBinary. It checks the
// magic, version, checksum and every size against the bytes present
// before allocating, and refuses other versions.
func (m *Model) UnmarshalBinary(b []byte) error {
	if len(b) < len(codecMagic)+1+4+4 || string(b[:len(codecMagic)]) != codecMagic {
		return fmt.Errorf("%w: not a genestore expression model", ErrFormat)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return fmt.Errorf("%w: checksum mismatch", ErrFormat)
	}
	r := body[len(codecMagic):]
	if v := r[0]; v != FormatVersion {
		return fmt.Errorf("%w: format version %d, this build reads %d", ErrFormat, v, FormatVersion)
	}
	hl := binary.LittleEndian.Uint32(r[1:])
	r = r[5:]
	if uint64(hl) > uint64(len(r)) || hl > maxHeader {
		return fmt.Errorf("%w: truncated header", ErrFormat)
	}
	var h codecHeader
	if err := json.Unmarshal(r[:hl], &h); err != nil {
		return fmt.Errorf("%w: header: %w", ErrFormat, err)
	}
	r = r[hl:]
	L, T, p, nref := len(h.Landmarks), len(h.Targets), h.KNNDims, h.KNNRefs
	if L < minLandmarks || L > maxGenes || T < 1 || T > maxGenes || len(h.Hidden) > 3 ||
		p < 1 || p > L || nref < 1 || nref > maxRefs || h.KNNK < 1 || h.KNNK > nref ||
		!(h.Dropout >= 0 && h.Dropout < 1) {
		return fmt.Errorf("%w: bad header", ErrFormat)
	}
	sizes := append(append([]int{L}, h.Hidden...), T)
	for _, s := range h.Hidden {
		if s < 1 || s > 1<<16 {
			return fmt.Errorf("%w: hidden width %d", ErrFormat, s)
		}
	}
	// Count the floats the header promises (each term < 2^62) and compare
	// with the bytes present before allocating anything.
	lens := []int{L, L, T, T, L * L, L * T, L * T, T, 4 * T}
	if len(h.Hidden) > 0 {
		for l := 0; l+1 < len(sizes); l++ {
			lens = append(lens, sizes[l]*sizes[l+1], sizes[l+1])
		}
	}
	lens = append(lens, L*p, nref*p, nref*T)
	for k := range NumKinds {
		if h.GeneMAE[k] {
			lens = append(lens, T)
		}
	}
	var total uint64
	for _, n := range lens {
		total += uint64(n)
	}
	if total*4 != uint64(len(r)) {
		return fmt.Errorf("%w: %d bytes of arrays, header promises %d", ErrFormat, len(r), total*4)
	}
	next := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(r[4*i:]))
		}
		r = r[4*n:]
		return v
	}
	nm := &Model{landmarks: h.Landmarks, targets: h.Targets, dropout: h.Dropout, val: h.Validation, threads: runtime.GOMAXPROCS(0)}
	nm.val.GeneMAE = [NumKinds][]float32{}
	nm.lMean, nm.lScale, nm.tMean, nm.tScale = next(L), next(L), next(T), next(T)
	nm.lCorr, nm.ridgeW, nm.lsW, nm.alpha, nm.blend = next(L*L), next(L*T), next(L*T), next(T), next(4*T)
	if len(h.Hidden) > 0 {
		nm.hidden = h.Hidden
		nm.net = &mlp{sizes: sizes}
		for l := 0; l+1 < len(sizes); l++ {
			w := next(sizes[l] * sizes[l+1])
			bb := next(sizes[l+1])
			nm.net.W = append(nm.net.W, newParamNoGrad(w))
			nm.net.B = append(nm.net.B, newParamNoGrad(bb))
		}
	}
	nm.nn = &knn{L: L, T: T, p: p, k: h.KNNK}
	nm.nn.proj, nm.nn.ref, nm.nn.refY = next(L*p), next(nref*p), next(nref*T)
	for k := range NumKinds {
		if h.GeneMAE[k] {
			nm.val.GeneMAE[k] = next(T)
		}
	}
	for _, s := range append(nm.lScale, nm.tScale...) {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("%w: scale %v", ErrFormat, s)
		}
	}
	*m = *nm
	return nil
}
