package vae

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"

	"genestore/train/optim"
	"genestore/vocab"
)

// Encoding of a Model (MarshalBinary), version 1. All integers little-endian.
//
//	offset  size  field
//	0       8     magic "GSVAE\x00\x00\x01"
//	8       4     format version (uint32) = 1
//	12      4     header length H (uint32)
//	16      H     header: JSON object {"genes", "latent", "hidden", "likelihood"
//	              ("nb"|"zinb"|"gaussian"), "linear_decoder", "values", "batch_names"}
//	…       4     parameter count P (uint32)
//	then P times:
//	        2     name length N (uint16), then N bytes of name (e.G. "enc.W")
//	        4     rows (uint32), 4 cols (uint32)
//	        4·rows·cols  float32 values, row-major
//	last    4     CRC-32 (IEEE) of every preceding byte
//
// Parameters, in order: enc.W (genes × hidden), enc.B (batches × hidden),
// enc.b (1 × hidden), enc.Z (hidden × 2·latent, μ columns first then
// log σ²), enc.Zb (1 × 2·latent); then either dec.W1 (latent × hidden),
// dec.B1 (batches × hidden), dec.b1 (1 × hidden), dec.W2 (hidden × genes),
// dec.b2 (1 × genes) or, for a linear decoder, lin.W (latent × genes) and
// lin.B (batches × genes); then disp (1 × genes): log θ (NB, ZINB) or
// log σ² (Gaussian); for ZINB (non-linear decoder only) last dec.Wp (hidden ×
// genes) and dec.bp (1 × genes), the zero-inflation logits' head. "zinb"
// was added without a version change: readers older than it refuse such a
// header as a bad likelihood, and NB and Gaussian layouts are unchanged.
const (
	magic         = "GSVAE\x00\x00\x01"
	formatVersion = 1
)

// MarshalBinary encodes the model (hyper-parameters, batch vocabulary and
// weights; not the optimiser state) in the version-1 layout above. Equal
// models give equal bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	hdr, err := json.Marshal(m.hp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	var buf bytes.Buffer
	buf.WriteString(magic)
	le := binary.LittleEndian
	put32 := func(v uint32) { buf.Write(le.AppendUint32(nil, v)) }
	put32(formatVersion)
	put32(uint32(len(hdr)))
	buf.Write(hdr)
	ps := m.params()
	put32(uint32(len(ps)))
	for _, p := range ps {
		buf.Write(le.AppendUint16(nil, uint16(len(p.name))))
		buf.WriteString(p.name)
		put32(uint32(p.rows))
		put32(uint32(p.cols))
		b := make([]byte, 4*len(p.W))
		for i, v := range p.W {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
		buf.Write(b)
	}
	put32(crc32.ChecksumIEEE(buf.Bytes()))
	return buf.Bytes(), nil
}

// UnmarshalBinary decodes a model written by MarshalBinary. It checks the
// magic, version, checksum and every shape, and refuses newer versions.
func (m *Model) UnmarshalBinary(b []byte) error {
	le := binary.LittleEndian
	if len(b) < len(magic)+16 || string(b[:len(magic)]) != magic {
		return fmt.Errorf("%w: not a genestore VAE model", ErrFormat)
	}
	body, sum := b[:len(b)-4], le.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return fmt.Errorf("%w: checksum mismatch", ErrFormat)
	}
	r := body[len(magic):]
	get32 := func() (uint32, error) {
		if len(r) < 4 {
			return 0, fmt.Errorf("%w: truncated", ErrFormat)
		}
		v := le.Uint32(r)
		r = r[4:]
		return v, nil
	}
	v, err := get32()
	if err != nil {
		return err
	}
	if v != formatVersion {
		return fmt.Errorf("%w: format version %d, this build reads %d", ErrFormat, v, formatVersion)
	}
	hl, err := get32()
	if err != nil {
		return err
	}
	if uint64(hl) > uint64(len(r)) {
		return fmt.Errorf("%w: truncated header", ErrFormat)
	}
	var hp hyper
	if err := json.Unmarshal(r[:hl], &hp); err != nil {
		return fmt.Errorf("%w: header: %w", ErrFormat, err)
	}
	r = r[hl:]
	// Sizes bounded as Options bounds them (genes by the bytes left), so
	// rows × cols below cannot overflow; value types and batch names as
	// Train accepts them, since Embed and AddBatches trust them.
	if hp.Genes < 1 || hp.Genes > len(r) || hp.Latent < 1 || hp.Latent > 4096 || hp.Hidden < 1 || hp.Hidden > 65536 ||
		len(hp.BatchNames) < 1 || len(hp.BatchNames) > len(r) ||
		(hp.Likelihood != NB && hp.Likelihood != Gaussian && hp.Likelihood != ZINB) ||
		(hp.Likelihood == ZINB && hp.LinearDecoder) ||
		(hp.Values != vocab.Counts && hp.Values != vocab.Normalized && hp.Values != vocab.Log) {
		return fmt.Errorf("%w: bad header %+v", ErrFormat, hp)
	}
	seen := make(map[string]bool, len(hp.BatchNames))
	for _, n := range hp.BatchNames {
		if seen[n] {
			return fmt.Errorf("%w: batch name %q repeats", ErrFormat, n)
		}
		seen[n] = true
	}
	want := &Model{hp: hp}
	G, H, L, B := hp.Genes, hp.Hidden, hp.Latent, len(hp.BatchNames)
	want.encW, want.encB, want.encb = newShape("enc.W", G, H), newShape("enc.B", B, H), newShape("enc.b", 1, H)
	want.encZ, want.encZb = newShape("enc.Z", H, 2*L), newShape("enc.Zb", 1, 2*L)
	if hp.LinearDecoder {
		want.linW, want.linB = newShape("lin.W", L, G), newShape("lin.B", B, G)
	} else {
		want.d1W, want.d1B, want.d1b = newShape("dec.W1", L, H), newShape("dec.B1", B, H), newShape("dec.b1", 1, H)
		want.d2W, want.d2b = newShape("dec.W2", H, G), newShape("dec.b2", 1, G)
	}
	want.disp = newShape("disp", 1, G)
	if hp.Likelihood == ZINB {
		want.dpW, want.dpb = newShape("dec.Wp", H, G), newShape("dec.bp", 1, G)
	}
	ps := want.params()
	np, err := get32()
	if err != nil {
		return err
	}
	if int(np) != len(ps) {
		return fmt.Errorf("%w: %d parameters, want %d", ErrFormat, np, len(ps))
	}
	for _, p := range ps {
		if len(r) < 2 {
			return fmt.Errorf("%w: truncated", ErrFormat)
		}
		nl := int(le.Uint16(r))
		r = r[2:]
		if len(r) < nl+8 {
			return fmt.Errorf("%w: truncated", ErrFormat)
		}
		name := string(r[:nl])
		r = r[nl:]
		rows, cols := int(le.Uint32(r)), int(le.Uint32(r[4:]))
		r = r[8:]
		if name != p.name || rows != p.rows || cols != p.cols {
			return fmt.Errorf("%w: parameter %s %d×%d, want %s %d×%d", ErrFormat, name, rows, cols, p.name, p.rows, p.cols)
		}
		n := rows * cols
		if uint64(n) > uint64(len(r))/4 {
			return fmt.Errorf("%w: truncated parameter %s", ErrFormat, name)
		}
		p.W = make([]float32, n)
		p.G = make([]float32, n)
		for i := range p.W {
			p.W[i] = math.Float32frombits(le.Uint32(r[4*i:]))
		}
		r = r[4*n:]
	}
	if len(r) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(r))
	}
	*m = *want
	return nil
}

// newShape is a parameter without storage; UnmarshalBinary fills it.
func newShape(name string, rows, cols int) *param {
	return &param{Param: optim.Param{Hi: rows * cols}, name: name, rows: rows, cols: cols}
}
