package gnn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
)

// modelMagic opens every serialised model.
const modelMagic = "GSGNNMOD"

// ModelVersion is the version of the byte layout written by MarshalBinary.
//
// Layout, version 3 (all integers and floats little-endian):
//
//	offset  size  field
//	0       8     magic "GSGNNMOD"
//	8       4     uint32 version (3)
//	12      4     uint32 H, length of the header
//	16      H     header, JSON: {"options": Options, "shared": [[in, out], …],
//	              "datasets": [{"name", "genes", "cells", "profile", "edges"}, …]}
//	              options.Conv ("gcn" or "transformer"), options.Heads,
//	              options.WalkRestart and options.WalkSteps are always set
//	16+H    …     arrays, in this order:
//	              per shared layer: W (in·cols float32, row-major in×cols),
//	              B (out float32); cols = out for "gcn", and
//	              (3·Heads+1)·out for "transformer": per head the query
//	              weights, then per head the keys', then per head the
//	              values', then the skip weight (out columns each)
//	              per dataset: gene ids (genes uint32), input layer W
//	              (profile·Hidden float32), B (Hidden float32), vectors
//	              (genes·Dim float32), positive edges (2·edges int32, pairs a<b
//	              of local gene indices)
//	end−4   4     uint32 CRC-32 (IEEE) of every preceding byte
//
// Version 2 is the same bytes without options.WalkRestart and
// options.WalkSteps: its models were trained on the edges themselves (read
// as WalkRestart 1, WalkSteps 1). Version 1 also lacks options.Conv and
// options.Heads: every version 1 model is a GCN (read as Conv "gcn", Heads
// 1). Readers accept versions 1 to 3 and refuse others; versions only move
// forward, and a future version adds a decoder case beside these.
const ModelVersion = 3

// minModelVersion is the oldest layout UnmarshalBinary still reads.
const minModelVersion = 1

type headerDataset struct {
	Name    string `json:"name"`
	Genes   int    `json:"genes"`
	Cells   int    `json:"cells"`
	Profile int    `json:"profile"`
	Edges   int    `json:"edges"`
}

type header struct {
	Options  Options         `json:"options"`
	Shared   [][2]int        `json:"shared"`
	Datasets []headerDataset `json:"datasets"`
}

// MarshalBinary encodes the model (hyper-parameters, all weights, the
// per-dataset vectors and graphs) in the layout documented at ModelVersion.
// The same model always gives the same bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	h := header{Options: m.opts}
	for _, l := range m.shared {
		h.Shared = append(h.Shared, [2]int{l.In, l.Out})
	}
	for _, d := range m.ds {
		h.Datasets = append(h.Datasets, headerDataset{Name: d.Name, Genes: len(d.Genes), Cells: d.Cells, Profile: d.Layer.In, Edges: len(d.Edges)})
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("gnn: encode header: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(modelMagic)
	le := binary.LittleEndian
	buf.Write(le.AppendUint32(nil, ModelVersion))
	buf.Write(le.AppendUint32(nil, uint32(len(hj))))
	buf.Write(hj)
	f32 := func(v []float32) {
		b := make([]byte, 4*len(v))
		for i, x := range v {
			le.PutUint32(b[4*i:], math.Float32bits(x))
		}
		buf.Write(b)
	}
	for _, l := range m.shared {
		f32(l.W)
		f32(l.B)
	}
	for _, d := range m.ds {
		b := make([]byte, 4*len(d.Genes))
		for i, g := range d.Genes {
			le.PutUint32(b[4*i:], g)
		}
		buf.Write(b)
		f32(d.Layer.W)
		f32(d.Layer.B)
		f32(d.Vecs)
		b = make([]byte, 8*len(d.Edges))
		for i, e := range d.Edges {
			le.PutUint32(b[8*i:], uint32(e[0]))
			le.PutUint32(b[8*i+4:], uint32(e[1]))
		}
		buf.Write(b)
	}
	buf.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(buf.Bytes())))
	return buf.Bytes(), nil
}

// UnmarshalBinary decodes bytes written by MarshalBinary into m, replacing
// its contents. Errors wrap ErrFormat.
func (m *Model) UnmarshalBinary(data []byte) error {
	le := binary.LittleEndian
	if len(data) < 20 || string(data[:8]) != modelMagic {
		return fmt.Errorf("%w: not a gene model", ErrFormat)
	}
	version := le.Uint32(data[8:])
	if version < minModelVersion || version > ModelVersion {
		return fmt.Errorf("%w: version %d, this build reads %d to %d", ErrFormat, version, minModelVersion, ModelVersion)
	}
	body := data[:len(data)-4]
	if crc32.ChecksumIEEE(body) != le.Uint32(data[len(data)-4:]) {
		return fmt.Errorf("%w: checksum mismatch", ErrFormat)
	}
	hl := int(le.Uint32(data[12:]))
	if hl > len(body)-16 {
		return fmt.Errorf("%w: header length %d", ErrFormat, hl)
	}
	var h header
	if err := json.Unmarshal(body[16:16+hl], &h); err != nil {
		return fmt.Errorf("%w: header: %w", ErrFormat, err)
	}
	if version < 3 {
		if h.Options.WalkRestart != 0 || h.Options.WalkSteps != 0 {
			return fmt.Errorf("%w: version %d header sets random walks", ErrFormat, version)
		}
		h.Options.WalkRestart, h.Options.WalkSteps = 1, 1
	}
	switch version {
	case 1:
		if h.Options.Conv != "" || h.Options.Heads != 0 {
			return fmt.Errorf("%w: version 1 header names a convolution", ErrFormat)
		}
		h.Options.Conv, h.Options.Heads = ConvGCN, 1
	default:
		if h.Options.Conv == "" || h.Options.Heads == 0 {
			return fmt.Errorf("%w: header does not name the convolution", ErrFormat)
		}
	}
	if err := h.Options.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	heads := h.Options.sharedHeads()
	rest := body[16+hl:]
	short := false
	take := func(n int) []byte {
		if n < 0 || n > len(rest) {
			short = true
			return nil
		}
		b := rest[:n]
		rest = rest[n:]
		return b
	}
	f32 := func(n int) []float32 {
		b := take(4 * n)
		if b == nil {
			return nil
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return v
	}
	const maxDim = 1 << 26
	out := Model{opts: h.Options}
	for i, s := range h.Shared {
		l := layer{In: s[0], Out: s[1], Heads: heads}
		var want [2]int
		want[0], want[1] = h.Options.sharedShape(i)
		if s != want || s[0]*l.cols() > maxDim {
			return fmt.Errorf("%w: shared layer shape %v", ErrFormat, s)
		}
		l.W, l.B = f32(s[0]*l.cols()), f32(s[1])
		out.shared = append(out.shared, l)
	}
	if len(out.shared) != h.Options.SharedLayers {
		return fmt.Errorf("%w: %d shared layers, options.SharedLayers %d", ErrFormat, len(out.shared), h.Options.SharedLayers)
	}
	if short {
		return fmt.Errorf("%w: truncated in the shared layers", ErrFormat)
	}
	names := map[string]bool{}
	for _, hd := range h.Datasets {
		// Edges is checked against the bytes left before 8·Edges is taken
		// (a count past 2^61 wrapped it and passed).
		if hd.Genes < 0 || hd.Profile < 1 || hd.Edges < 0 || hd.Genes > maxDim || hd.Profile > maxDim ||
			hd.Edges > len(rest)/8 || hd.Cells < 1 {
			return fmt.Errorf("%w: dataset %q shape", ErrFormat, hd.Name)
		}
		if names[hd.Name] {
			return fmt.Errorf("%w: dataset %q twice", ErrFormat, hd.Name)
		}
		names[hd.Name] = true
		d := &datasetState{Name: hd.Name, Cells: hd.Cells}
		b := take(4 * hd.Genes)
		if b == nil && hd.Genes > 0 {
			return fmt.Errorf("%w: dataset %q truncated", ErrFormat, hd.Name)
		}
		d.Genes = make([]uint32, hd.Genes)
		seen := make(map[uint32]bool, hd.Genes)
		for i := range d.Genes {
			d.Genes[i] = le.Uint32(b[4*i:])
			if seen[d.Genes[i]] {
				return fmt.Errorf("%w: dataset %q lists gene %d twice", ErrFormat, hd.Name, d.Genes[i])
			}
			seen[d.Genes[i]] = true
		}
		d.Layer = layer{In: hd.Profile, Out: h.Options.Hidden, W: f32(hd.Profile * h.Options.Hidden), B: f32(h.Options.Hidden)}
		d.Vecs = f32(hd.Genes * h.Options.Dim)
		b = take(8 * hd.Edges)
		if short {
			return fmt.Errorf("%w: dataset %q truncated", ErrFormat, hd.Name)
		}
		d.Edges = make([][2]int32, hd.Edges)
		edges := make(map[[2]int32]bool, hd.Edges)
		for i := range d.Edges {
			a, c := int32(le.Uint32(b[8*i:])), int32(le.Uint32(b[8*i+4:]))
			if a < 0 || c < 0 || int(a) >= hd.Genes || int(c) >= hd.Genes || a >= c || edges[[2]int32{a, c}] {
				return fmt.Errorf("%w: dataset %q edge %d–%d out of range, not a<b, or repeated", ErrFormat, hd.Name, a, c)
			}
			edges[[2]int32{a, c}] = true
			d.Edges[i] = [2]int32{a, c}
		}
		out.ds = append(out.ds, d)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(rest))
	}
	*m = out
	return nil
}
