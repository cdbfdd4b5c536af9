package ingest

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
)

// h5Guard scans an HDF5 file's bytes (as they are hashed) for the two
// structures whose declared sizes scigolib/hdf5 v0.14.0 allocates without
// checking: local heaps ("HEAP", version 0) and global heap collections
// ("GCOL", version 1). A size beyond the end of the file would make the
// library ask for terabytes and end the process, so such a file is refused
// before the library sees it. The eight-byte patterns (signature, version,
// three zero bytes) occur by chance with probability 2^-64 per position.
type h5Guard struct {
	size    int64 // file size
	pos     int64 // file offset of window[0]
	window  []byte
	lenSize int
	offSize int
	bad     string // first problem found
	badAt   int64
}

var (
	sigHeap = []byte("HEAP\x00\x00\x00\x00")
	sigGCOL = []byte("GCOL\x01\x00\x00\x00")
	// The library checks only "HEAP" before trusting a local heap, so a
	// heap with a damaged version byte must be caught too; such a match
	// counts when its data segment address lies inside the file (random
	// bytes pass that test with probability size/2^64).
	sigHeapLoose = []byte("HEAP")
)

const h5GuardKeep = 40 // bytes kept between writes: signature + 2 lengths + 1 offset

func (g *h5Guard) Write(p []byte) (int, error) {
	if g.lenSize == 0 && g.pos == 0 && len(g.window) == 0 {
		g.lenSize, g.offSize = 8, 8
		if len(p) >= 16 && bytes.HasPrefix(p, []byte("\x89HDF\r\n\x1a\n")) {
			switch p[8] {
			case 0, 1:
				g.offSize, g.lenSize = int(p[13]), int(p[14])
			case 2, 3:
				g.offSize, g.lenSize = int(p[9]), int(p[10])
			}
		}
		if g.lenSize != 2 && g.lenSize != 4 && g.lenSize != 8 {
			g.lenSize = 8
		}
		if g.offSize != 2 && g.offSize != 4 && g.offSize != 8 {
			g.offSize = 8
		}
	}
	g.window = append(g.window, p...)
	if g.bad == "" {
		g.scan(sigHeap, func(at int64, f []byte) {
			size := g.field(f, 0, g.lenSize)
			addr := g.field(f, 2*g.lenSize, g.offSize)
			if size > uint64(g.size) || addr > uint64(g.size) || addr+size > uint64(g.size) {
				g.bad, g.badAt = "local heap declares a data segment beyond the end of the file", at
			}
		})
		if g.offSize == 8 {
			g.scan(sigHeapLoose, func(at int64, f []byte) {
				f = f[4:] // version and reserved bytes
				size := g.field(f, 0, g.lenSize)
				addr := g.field(f, 2*g.lenSize, g.offSize)
				if addr < uint64(g.size) && (size > uint64(g.size) || addr+size > uint64(g.size)) {
					g.bad, g.badAt = "local heap declares a data segment beyond the end of the file", at
				}
			})
		}
		g.scan(sigGCOL, func(at int64, f []byte) {
			if size := g.field(f, 0, g.lenSize); size > uint64(g.size-at) {
				g.bad, g.badAt = "global heap collection declares a size beyond the end of the file", at
			}
		})
	}
	if keep := len(g.window) - h5GuardKeep; keep > 0 {
		g.pos += int64(keep)
		g.window = append(g.window[:0], g.window[keep:]...)
	}
	return len(p), nil
}

// scan calls check for every occurrence of sig whose following fields are
// inside the window.
func (g *h5Guard) scan(sig []byte, check func(at int64, fields []byte)) {
	need := 8 + 2*g.lenSize + g.offSize // signature, version, reserved, fields
	for i := 0; ; {
		j := bytes.Index(g.window[i:], sig)
		if j < 0 {
			return
		}
		i += j
		if i+need > len(g.window) {
			return // seen again with the next write
		}
		check(g.pos+int64(i), g.window[i+len(sig):i+need])
		i++
	}
}

func (g *h5Guard) field(f []byte, off, n int) uint64 {
	switch n {
	case 2:
		return uint64(binary.LittleEndian.Uint16(f[off:]))
	case 4:
		return uint64(binary.LittleEndian.Uint32(f[off:]))
	default:
		return binary.LittleEndian.Uint64(f[off:])
	}
}

// hashH5 feeds the file to h (may be nil) and checks it with an h5Guard.
func hashH5(path string, size int64, h io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return errLine(ErrFormat, path, 0, "%v", err)
	}
	defer f.Close()
	g := &h5Guard{size: size}
	var w io.Writer = g
	if h != nil {
		w = io.MultiWriter(h, g)
	}
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(w, struct{ io.Reader }{f}, buf); err != nil {
		return errLine(ErrFormat, path, 0, "%v", err)
	}
	if g.bad != "" {
		return errObj(ErrFormat, path, "offset "+itoa(g.badAt), "%s (corrupt file)", g.bad)
	}
	return nil
}
