package layout

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
)

// Layout is a stored map of one embedding space: a 2-D coordinate per
// entity key, how it was computed, and the state of the space it belongs
// to.
type Layout struct {
	// Space is the embedding space ("cells" or "genes").
	Space string
	// Generation is the space's generation the coordinates were computed at
	// (or extended to by Transform).
	Generation uint64
	// ModelVersion is the model version of the space's vectors.
	ModelVersion string
	// Params are the UMAP parameters of the fit.
	Params Params
	// Fitted is the number of points placed by the fit; the others were
	// placed later by Transform.
	Fitted int
	// Keys are the entities' keys (vocab.EntityKey), strictly ascending.
	Keys []uint64
	// Coords holds len(Keys) × 2 coordinates.
	Coords []float32
}

// Version is the record version Encode writes.
const Version = 1

var magic = [4]byte{'G', 'L', 'A', 'Y'}

// ErrCorrupt reports bytes that are not a layout record.
var ErrCorrupt = errors.New("layout: corrupt record")

// maxString bounds the space and model strings.
const maxString = 4096

// Encode writes l in the version 1 byte layout, little-endian:
//
//	[0:4]   "GLAY"
//	[4]     version = 1
//	u64     generation
//	u16 len ‖ bytes   space
//	u16 len ‖ bytes   model version
//	u32 n_neighbors, f64 min_dist, f64 spread, f64 a, f64 b, u32 epochs,
//	u32 negative_sample_rate, f64 learning_rate, f64 repulsion_strength,
//	u8 init, u32 threads, u64 seed
//	u32 fitted
//	u32 n
//	n × u64 keys (strictly ascending)
//	n × 2 × f32 coordinates (finite)
//	u32 CRC-32C (Castagnoli) of everything before it
//
// It fails on a Layout Decode would refuse.
func Encode(l *Layout) ([]byte, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	n := len(l.Keys)
	b := make([]byte, 0, 128+len(l.Space)+len(l.ModelVersion)+16*n)
	b = append(b, magic[:]...)
	b = append(b, Version)
	b = binary.LittleEndian.AppendUint64(b, l.Generation)
	for _, s := range []string{l.Space, l.ModelVersion} {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	p := l.Params
	b = binary.LittleEndian.AppendUint32(b, uint32(p.NNeighbors))
	for _, f := range []float64{p.MinDist, p.Spread, p.A, p.B} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Epochs))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.NegativeRate))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.LearningRate))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Repulsion))
	b = append(b, byte(p.Init))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Threads))
	b = binary.LittleEndian.AppendUint64(b, p.Seed)
	b = binary.LittleEndian.AppendUint32(b, uint32(l.Fitted))
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	for _, k := range l.Keys {
		b = binary.LittleEndian.AppendUint64(b, k)
	}
	for _, c := range l.Coords {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(c))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// check reports what makes l unstorable.
func (l *Layout) check() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrCorrupt}, a...)...) }
	switch {
	case len(l.Space) > maxString || len(l.ModelVersion) > maxString:
		return bad("space or model name longer than %d bytes", maxString)
	case len(l.Coords) != 2*len(l.Keys):
		return bad("%d coordinates for %d keys", len(l.Coords), len(l.Keys))
	case uint64(len(l.Keys)) > math.MaxUint32:
		return bad("%d keys", len(l.Keys))
	case l.Fitted < 0 || l.Fitted > len(l.Keys):
		return bad("%d fitted of %d points", l.Fitted, len(l.Keys))
	case l.Params.NNeighbors < 0 || l.Params.Epochs < 0 || l.Params.NegativeRate < 0 || l.Params.Threads < 0 ||
		int64(l.Params.NNeighbors) > math.MaxUint32 || int64(l.Params.Epochs) > math.MaxUint32 ||
		int64(l.Params.NegativeRate) > math.MaxUint32 || int64(l.Params.Threads) > math.MaxUint32:
		return bad("parameters %+v", l.Params)
	case l.Params.Init > InitRandom:
		return bad("init %d", uint8(l.Params.Init))
	}
	for _, f := range []float64{l.Params.MinDist, l.Params.Spread, l.Params.A, l.Params.B, l.Params.LearningRate, l.Params.Repulsion} {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return bad("parameter %v", f)
		}
	}
	for i := 1; i < len(l.Keys); i++ {
		if l.Keys[i] <= l.Keys[i-1] {
			return bad("keys not strictly ascending at %d", i)
		}
	}
	for i, c := range l.Coords {
		if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
			return bad("coordinate %d is %v", i, c)
		}
	}
	return nil
}

// Decode reads a record written by Encode, refusing anything else (wrong
// magic or version, truncation, trailing bytes, checksum mismatch,
// unsorted keys, non-finite values) with an error wrapping ErrCorrupt.
func Decode(b []byte) (*Layout, error) {
	r := reader{b: b}
	if len(b) < 9 || [4]byte(b[:4]) != magic {
		return nil, fmt.Errorf("%w: not a layout record (magic %q)", ErrCorrupt, b[:min(4, len(b))])
	}
	if b[4] != Version {
		return nil, fmt.Errorf("%w: version %d (this build reads %d)", ErrCorrupt, b[4], Version)
	}
	if len(b) < 4+5 {
		return nil, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(b))
	}
	body := b[:len(b)-4]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(b[len(b)-4:]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, recorded %08x", ErrCorrupt, got, want)
	}
	r.b = body[5:]
	l := &Layout{}
	l.Generation = r.u64()
	l.Space = r.str()
	l.ModelVersion = r.str()
	p := &l.Params
	p.NNeighbors = int(r.u32())
	p.MinDist, p.Spread, p.A, p.B = r.f64(), r.f64(), r.f64(), r.f64()
	p.Epochs = int(r.u32())
	p.NegativeRate = int(r.u32())
	p.LearningRate, p.Repulsion = r.f64(), r.f64()
	p.Init = Init(r.u8())
	p.Threads = int(r.u32())
	p.Seed = r.u64()
	l.Fitted = int(r.u32())
	n := int(r.u32())
	if r.err == nil && len(r.b) != 16*n {
		return nil, fmt.Errorf("%w: %d bytes for %d points (want %d)", ErrCorrupt, len(r.b), n, 16*n)
	}
	if r.err != nil {
		return nil, r.err
	}
	l.Keys = make([]uint64, n)
	for i := range l.Keys {
		l.Keys[i] = r.u64()
	}
	l.Coords = make([]float32, 2*n)
	for i := range l.Coords {
		l.Coords[i] = math.Float32frombits(r.u32())
	}
	if err := l.check(); err != nil {
		return nil, err
	}
	return l, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) take(k int) []byte {
	if r.err != nil {
		return make([]byte, k)
	}
	if len(r.b) < k {
		r.err = fmt.Errorf("%w: truncated", ErrCorrupt)
		return make([]byte, k)
	}
	out := r.b[:k]
	r.b = r.b[k:]
	return out
}

func (r *reader) u8() byte     { return r.take(1)[0] }
func (r *reader) u32() uint32  { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *reader) u64() uint64  { return binary.LittleEndian.Uint64(r.take(8)) }
func (r *reader) f64() float64 { return math.Float64frombits(r.u64()) }
func (r *reader) str() string  { return string(r.take(int(binary.LittleEndian.Uint16(r.take(2))))) }

// Index returns the position of key in l.Keys, or −1.
func (l *Layout) Index(key uint64) int {
	i, ok := slices.BinarySearch(l.Keys, key)
	if !ok {
		return -1
	}
	return i
}
