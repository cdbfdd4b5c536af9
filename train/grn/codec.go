package grn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
)

// Encoding of a Model (MarshalBinary), version 4. All integers and floats
// little-endian.
//
//	offset  size  field
//	0       8     magic "GSGRNMOD"
//	8       1     format version (byte) = 4
//	9       4     header length H (uint32, at most 65,536)
//	13      H     header, JSON: {"bins", "conv1", "conv2", "hidden", "embed",
//	              "head", "neighbours", "views", "genes", "single_view",
//	              "range_bins" (omitted when false), "evidence" (features
//	              per view; omitted when 0), "members" (networks of the
//	              committee; omitted when 1), "blend" (late fusion;
//	              omitted when false)}
//	13+H    …     the parameters, float32 row-major, in this order:
//	              conv1.W (9 × conv1), conv1.B (conv1),
//	              conv2.W (9·conv1 × conv1), conv2.B (conv1),
//	              conv3.W (9·conv1 × conv2), conv3.B (conv2),
//	              conv4.W (9·conv2 × conv2), conv4.B (conv2),
//	              fc1.W ((bins/4)²·conv2 × hidden), fc1.B (hidden),
//	              fc2.W (hidden × embed), fc2.B (embed),
//	              slot (1+neighbours × embed), q.img (embed), q.view (embed),
//	              head1.W (embed × head), head1.B (head),
//	              head2.W (head × 1), head2.B (1),
//	              and only when evidence > 0:
//	              ev.W (evidence × embed), ev.lin (evidence);
//	              and only when blend: the blend (a, b, c) (3);
//	              with members M > 1 this block of parameters is repeated
//	              M times, one network after the other
//	end−4   4     CRC-32C (Castagnoli) of every preceding byte
//
// Convolution weights are indexed (ky, kx, input channel) × output channel;
// fc1.W's rows follow the channels-last flattening (y, x, channel) of the
// last pooled map. The header fixes every shape, so the parameter bytes
// carry no lengths: a decoder computes the expected size from the header
// and refuses any other. Versions only move forward; a future layout adds
// a decoder case beside the old ones.
//
// Version 3 (written before late fusion) is version 4 without the
// "blend" header field and the blends; it still decodes.
//
// Version 2 (written before committees) is version 3 without the
// "members" header field: one network; it still decodes.
//
// Version 1 (models without evidence, written before the head read
// unsupervised evidence) is version 2 without the "evidence" header field
// and the ev.* parameters; it still decodes, as a model without evidence.
const (
	codecMagic   = "GSGRNMOD"
	CodecVersion = 4 // the version MarshalBinary writes
	maxHeader    = 1 << 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary encodes the model (shapes, view count, weights; not the
// optimiser state) in the layout documented at CodecVersion. Equal models
// give equal bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	hdr, err := json.Marshal(m.hp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	var buf bytes.Buffer
	buf.WriteString(codecMagic)
	buf.WriteByte(CodecVersion)
	le := binary.LittleEndian
	buf.Write(le.AppendUint32(nil, uint32(len(hdr))))
	buf.Write(hdr)
	write := func(w []float32) {
		b := make([]byte, 4*len(w))
		for i, x := range w {
			le.PutUint32(b[4*i:], math.Float32bits(x))
		}
		buf.Write(b)
	}
	for _, c := range m.committee() {
		for _, p := range c.params() {
			write(p.W)
		}
		if m.hp.Blend {
			write(c.blend[:])
		}
	}
	buf.Write(le.AppendUint32(nil, crc32.Checksum(buf.Bytes(), castagnoli)))
	return buf.Bytes(), nil
}

// UnmarshalBinary decodes bytes written by MarshalBinary into m, replacing
// its contents. It checks the magic, version, checksum, every shape and the
// exact length before allocating, so corrupt input gives an error wrapping
// ErrFormat, never a panic or an allocation larger than the input.
func (m *Model) UnmarshalBinary(data []byte) error {
	le := binary.LittleEndian
	if len(data) < len(codecMagic)+1+4+4 || string(data[:len(codecMagic)]) != codecMagic {
		return fmt.Errorf("%w: not a regulatory-network model", ErrFormat)
	}
	version := data[8]
	if version < 1 || version > CodecVersion {
		return fmt.Errorf("%w: format version %d, this build reads 1 to %d", ErrFormat, version, CodecVersion)
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != le.Uint32(data[len(data)-4:]) {
		return fmt.Errorf("%w: checksum mismatch", ErrFormat)
	}
	hl := int(le.Uint32(data[9:]))
	if hl > maxHeader || hl > len(body)-13 {
		return fmt.Errorf("%w: header length %d", ErrFormat, hl)
	}
	var hp hyper
	if err := json.Unmarshal(body[13:13+hl], &hp); err != nil {
		return fmt.Errorf("%w: header: %w", ErrFormat, err)
	}
	if err := hp.check(); err != nil {
		return err
	}
	if version == 1 && hp.Evidence != 0 {
		return fmt.Errorf("%w: a version 1 model with evidence", ErrFormat)
	}
	if version < 3 && hp.Members != 0 {
		return fmt.Errorf("%w: a version %d model with members", ErrFormat, version)
	}
	if version < 4 && hp.Blend {
		return fmt.Errorf("%w: a version %d model with a blend", ErrFormat, version)
	}
	rest := body[13+hl:]
	total := int64(0)
	for _, s := range hp.paramShapes() {
		total += int64(s.rows) * int64(s.cols)
	}
	if hp.Blend {
		total += int64(len(blendIdentity))
	}
	total *= int64(max(1, hp.Members))
	if total*4 != int64(len(rest)) {
		return fmt.Errorf("%w: %d parameter bytes, the header needs %d", ErrFormat, len(rest), total*4)
	}
	nm := newModel(hp, nil)
	for range hp.Members - 1 {
		nm.members = append(nm.members, newModel(hp, nil))
	}
	off := 0
	read := func(dst []float32, what string) error {
		for i := range dst {
			x := math.Float32frombits(le.Uint32(rest[off:]))
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%w: non-finite %s", ErrFormat, what)
			}
			dst[i] = x
			off += 4
		}
		return nil
	}
	for _, c := range nm.committee() {
		for _, p := range c.params() {
			if err := read(p.W, "weight"); err != nil {
				return err
			}
		}
		if hp.Blend {
			if err := read(c.blend[:], "blend"); err != nil {
				return err
			}
		}
	}
	*m = *nm
	return nil
}

// check validates a decoded header.
func (h hyper) check() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrFormat}, a...)...) }
	switch {
	case h.Bins < 4 || h.Bins > maxBins || h.Bins%4 != 0:
		return bad("bins %d", h.Bins)
	case h.Conv1 < 1 || h.Conv1 > maxWidth, h.Conv2 < 1 || h.Conv2 > maxWidth,
		h.Hidden < 1 || h.Hidden > maxWidth, h.Embed < 1 || h.Embed > maxWidth, h.Head < 1 || h.Head > maxWidth:
		return bad("widths %d, %d, %d, %d, %d", h.Conv1, h.Conv2, h.Hidden, h.Embed, h.Head)
	case h.Neighbours < 0 || h.Neighbours > maxNeighbours:
		return bad("neighbours %d", h.Neighbours)
	case h.Views < 1 || h.Views > maxViews:
		return bad("views %d", h.Views)
	case h.Genes < 2 || h.Genes > maxGenes:
		return bad("genes %d", h.Genes)
	case h.Evidence < 0 || h.Evidence > maxEvidence:
		return bad("evidence %d", h.Evidence)
	case h.Members == 1 || h.Members < 0 || h.Members > maxMembers:
		return bad("members %d", h.Members)
	}
	return nil
}
