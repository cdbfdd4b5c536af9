package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// damagedError is an ErrDamaged naming the file, the problem and what to do.
type damagedError struct{ path, detail string }

func (e *damagedError) Error() string {
	return fmt.Sprintf("store: %s is damaged: %s (run `genestore verify`; restore a copy)", e.path, e.detail)
}

func (e *damagedError) Is(target error) bool { return target == ErrDamaged }

func damaged(path, format string, args ...any) error {
	return &damagedError{path: path, detail: fmt.Sprintf(format, args...)}
}

// bbolt's on-disk meta page (go.etcd.io/bbolt/internal/common, version 2),
// little-endian on every platform genestore runs on:
//
//	page header  id u64, flags u16, count u16, overflow u32   (16 bytes)
//	meta         magic u32 = 0xED0CDAED, version u32 = 2, pageSize u32,
//	             flags u32, root bucket (root pgid u64, sequence u64),
//	             freelist pgid u64, pgid u64 (high-water mark: pages in use),
//	             txid u64, checksum u64 (FNV-1a 64 of the 56 bytes before it)
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSize   = 64
	boltNoFreelist = ^uint64(0)
)

// boltMeta is a decoded meta page.
type boltMeta struct {
	pageSize                     uint32
	root, freelist, pgid, txid   uint64
	magicOK, versionOK, checksum bool
}

func (m boltMeta) valid() bool { return m.magicOK && m.versionOK && m.checksum }

func decodeBoltMeta(p []byte) boltMeta {
	b := p[boltPageHeader : boltPageHeader+boltMetaSize]
	le := binary.LittleEndian
	h := fnv.New64a()
	h.Write(b[:56])
	return boltMeta{
		magicOK:   le.Uint32(b[0:]) == boltMagic,
		versionOK: le.Uint32(b[4:]) == boltVersion,
		pageSize:  le.Uint32(b[8:]),
		root:      le.Uint64(b[16:]),
		freelist:  le.Uint64(b[32:]),
		pgid:      le.Uint64(b[40:]),
		txid:      le.Uint64(b[48:]),
		checksum:  le.Uint64(b[56:]) == h.Sum64(),
	}
}

// checkFile looks at an existing file before bbolt maps it: bbolt trusts its
// meta page, and a file shorter than the meta claims (a truncated copy, a
// store whose creation ran out of space) makes reads past its end fault
// with SIGBUS, which no recover can catch. It returns ErrNotStore for an
// empty or non-bbolt file, ErrDamaged (naming the problem) for a bbolt file
// that cannot be read safely, and nil otherwise.
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return openError(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return openError(path, err)
	}
	size := st.Size()
	if size == 0 {
		return fmt.Errorf("%w: %s is empty (0 bytes); remove it to create a new store there", ErrNotStore, path)
	}
	readMeta := func(off int64) (boltMeta, bool) {
		var p [boltPageHeader + boltMetaSize]byte
		if off+int64(len(p)) > size {
			return boltMeta{}, false
		}
		if _, err := f.ReadAt(p[:], off); err != nil && err != io.EOF {
			return boltMeta{}, false
		}
		return decodeBoltMeta(p[:]), true
	}
	m0, ok0 := readMeta(0)
	if !ok0 {
		return fmt.Errorf("%w: %s (%d bytes, not a bbolt file)", ErrNotStore, path, size)
	}
	// The second meta page starts one page in: the page size comes from
	// the first meta when it is valid; otherwise try bbolt's page sizes.
	var m1 boltMeta
	ok1 := false
	if m0.valid() && m0.pageSize >= 1024 {
		m1, ok1 = readMeta(int64(m0.pageSize))
	} else {
		for ps := int64(1024); ps <= 1<<24 && !ok1; ps <<= 1 {
			if m, ok := readMeta(ps); ok && m.valid() && int64(m.pageSize) == ps {
				m1, ok1 = m, true
			}
		}
	}
	var m boltMeta
	switch {
	case m0.valid() && ok1 && m1.valid():
		m = m0
		if m1.txid > m0.txid {
			m = m1
		}
		if m0.pageSize != m1.pageSize {
			return damaged(path, "the two meta pages disagree on the page size (%d, %d)", m0.pageSize, m1.pageSize)
		}
	case m0.valid():
		m = m0
	case ok1 && m1.valid():
		m = m1
	case m0.magicOK || (ok1 && m1.magicOK):
		return damaged(path, "both bbolt meta pages are corrupt (bad version or checksum)")
	default:
		return fmt.Errorf("%w: %s (no bbolt meta page)", ErrNotStore, path)
	}
	ps := int64(m.pageSize)
	switch {
	case ps < 1024 || ps&(ps-1) != 0:
		return damaged(path, "meta page gives a page size of %d", ps)
	case size%ps != 0:
		return damaged(path, "its size, %d bytes, is not a whole number of %d-byte pages (truncated?)", size, ps)
	case size < 4*ps:
		return damaged(path, "it holds %d pages, fewer than a bbolt file's 4", size/ps)
	case m.pgid > uint64(size/ps):
		return damaged(path, "it holds %d pages but its meta page says %d are in use (truncated?)", size/ps, m.pgid)
	case m.root < 2 || m.root >= m.pgid:
		return damaged(path, "root page %d outside the %d pages in use", m.root, m.pgid)
	case m.freelist != boltNoFreelist && (m.freelist < 2 || m.freelist >= m.pgid):
		return damaged(path, "free-list page %d outside the %d pages in use", m.freelist, m.pgid)
	}
	return nil
}

// guard turns a panic raised by bbolt (its assertions on a corrupt page),
// or a memory fault while reading the mapped file, into ErrDamaged in *err.
// Other panics — bugs in the caller's function — are re-raised. Call it as
// `defer guard(path, &err, debug.SetPanicOnFault(true))`.
func guard(path string, err *error, oldFault bool) {
	p := recover()
	debug.SetPanicOnFault(oldFault)
	if p == nil {
		return
	}
	if _, fault := p.(interface{ Addr() uintptr }); fault || panickedInBolt() {
		*err = damaged(path, "reading it failed: %v", p)
		return
	}
	panic(p)
}

// panickedInBolt reports whether the innermost non-runtime frame of the
// panic being recovered belongs to bbolt.
func panickedInBolt() bool {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			inPanic = true
		case inPanic && !strings.HasPrefix(f.Function, "runtime."):
			return strings.HasPrefix(f.Function, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}
