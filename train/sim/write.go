package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// ErrWrite is wrapped by WriteDir's I/O errors.
var ErrWrite = errors.New("sim: write")

// WriteDir simulates cfg and writes it under dir (created if needed) as one
// 10x Matrix Market folder per dataset plus truth files; doc.go lists the
// layout. Existing files of the same names are replaced; each file is
// written under a temporary name, synced and renamed when complete, a
// dataset's matrix.mtx.gz after its other files, so a failed, cancelled or
// killed run leaves no complete-looking partial file. (A run killed over
// an older output folder may leave a dataset's new features, barcodes and
// obs beside its old matrix: rerun it.) Memory is
// O(genes × datasets) plus a few blocks of 1024 cells per CPU, whatever
// Cells is. progress, if not nil, is called on the calling goroutine after
// each block with the number of cells written so far and the total
// (Datasets × Cells). The bytes written depend only on cfg.
func WriteDir(ctx context.Context, cfg Config, dir string, progress func(done, total int)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m := newModel(cfg)
	total := cfg.Datasets * cfg.Cells
	done := 0
	for _, ds := range m.datasets {
		err := m.writeDataset(ctx, ds, filepath.Join(dir, ds.name), func(n int) {
			done += n
			if progress != nil {
				progress(done, total)
			}
		})
		if err != nil {
			return err
		}
	}
	return m.writeTruth(filepath.Join(dir, "truth"))
}

// tmpFile is a file written under path+".tmp" and renamed on commit.
type tmpFile struct {
	*os.File
	path string
}

func createTmp(path string) (*tmpFile, error) {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return &tmpFile{File: f, path: path}, nil
}

// abort closes and removes the temporary file.
func (t *tmpFile) abort() {
	t.File.Close()
	os.Remove(t.File.Name())
}

// commit syncs and closes the file and renames it into place: without the
// sync, a machine that stops after the rename could find the final name
// holding a file that is empty or short.
func (t *tmpFile) commit() error {
	if err := t.File.Sync(); err != nil {
		t.File.Close()
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	if err := t.File.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	if err := os.Rename(t.File.Name(), t.path); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// blockOut is one block of cells formatted for the output files.
type blockOut struct {
	cb    cellBlock
	text  []byte       // Matrix Market entries being formatted (a chunk)
	mtx   bytes.Buffer // text as one gzip member
	bc    []byte       // barcodes.tsv lines
	obs   []byte       // obs.csv lines
	cells int
	nnz   int64
}

// mtxHeaderLen is the fixed length of the first (stored) gzip member's
// content: header line, padded comment line and size line.
const mtxHeaderLen = 256

const mtxBanner = "%%MatrixMarket matrix coordinate integer general\n"

// mtxHeader returns the first member's content for the given size.
func mtxHeader(name string, genes, cells int, nnz int64) ([]byte, error) {
	size := fmt.Sprintf("%d %d %d\n", genes, cells, nnz)
	comment := "% genestore simulated dataset " + name + " (this comment is padded so the size line can be rewritten in place)"
	pad := mtxHeaderLen - len(mtxBanner) - len(size) - len(comment) - 1
	if pad < 0 {
		return nil, fmt.Errorf("%w: Matrix Market header for %s does not fit %d bytes", ErrWrite, name, mtxHeaderLen)
	}
	h := make([]byte, 0, mtxHeaderLen)
	h = append(h, mtxBanner...)
	h = append(h, comment...)
	h = append(h, strings.Repeat(" ", pad)...)
	h = append(h, '\n')
	h = append(h, size...)
	return h, nil
}

// storedGzipMember returns data (at most 65535 bytes) as one gzip member
// whose single deflate block is stored (uncompressed), so its length is
// len(data)+23 whatever the content: header (10 bytes: magic 1f 8b, method
// 8, no flags, mtime 0, xfl 0, OS 255), block header (BFINAL=1, BTYPE=00,
// LEN, NLEN: 5 bytes), data, CRC-32 and size (little-endian, 8 bytes).
func storedGzipMember(data []byte) []byte {
	n := len(data)
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff,
		1, byte(n), byte(n >> 8), ^byte(n), ^byte(n >> 8)}
	out = append(out, data...)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(data))
	return binary.LittleEndian.AppendUint32(out, uint32(n))
}

// writeDataset writes one dataset's 10x folder and obs.csv under dir.
func (m *model) writeDataset(ctx context.Context, ds *datasetModel, dir string, advance func(cells int)) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	var files []*tmpFile
	defer func() {
		if err != nil {
			for _, f := range files {
				f.abort()
			}
		}
	}()
	open := func(name string) (*tmpFile, error) {
		f, err := createTmp(filepath.Join(dir, name))
		if err == nil {
			files = append(files, f)
		}
		return f, err
	}
	wrap := func(err error) error {
		if err == nil || errors.Is(err, ErrWrite) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("%w: %s: %w", ErrWrite, dir, err)
	}

	// features.tsv.gz
	ff, err := open("features.tsv.gz")
	if err != nil {
		return err
	}
	fz, _ := gzip.NewWriterLevel(ff, gzip.BestSpeed)
	var line []byte
	for _, g := range ds.genes {
		name := m.geneName(ds, g)
		line = append(line[:0], name...)
		line = append(line, '\t')
		line = append(line, name...)
		line = append(line, "\tGene Expression\n"...)
		if _, err := fz.Write(line); err != nil {
			return wrap(err)
		}
	}
	if err := fz.Close(); err != nil {
		return wrap(err)
	}

	// Files are committed in the order they were opened, and the matrix
	// (what a reader of the folder requires) last: a run stopped between
	// two renames leaves no matrix beside an older or missing obs.csv.
	bf, err := open("barcodes.tsv.gz")
	if err != nil {
		return err
	}
	of, err := open("obs.csv")
	if err != nil {
		return err
	}
	// matrix.mtx.gz: a placeholder header member, then one member per block.
	mf, err := open("matrix.mtx.gz")
	if err != nil {
		return err
	}
	hdr, err := mtxHeader(ds.name, len(ds.genes), m.cfg.Cells, 0)
	if err != nil {
		return err
	}
	first := storedGzipMember(hdr)
	mw := bufio.NewWriterSize(mf, 1<<20)
	if _, err := mw.Write(first); err != nil {
		return wrap(err)
	}
	bz, _ := gzip.NewWriterLevel(bf, gzip.BestSpeed)
	ow := bufio.NewWriterSize(of, 1<<16)
	header := "barcode,cell_type,batch\n"
	if ds.spatial != nil {
		header = "barcode,cell_type,batch,x,y\n"
	}
	if _, err := ow.WriteString(header); err != nil {
		return wrap(err)
	}

	workers := defaultWorkers()
	scratches := make([]scratch, workers)
	zws := make([]*gzip.Writer, workers)
	for i := range zws {
		zws[i], _ = gzip.NewWriterLevel(nil, gzip.BestSpeed)
	}
	pool := sync.Pool{New: func() any { return new(blockOut) }}
	var nnz int64
	err = pipeline(ctx, m.numBlocks(), workers,
		func(w, blk int) (*blockOut, error) {
			o := pool.Get().(*blockOut)
			m.fillBlock(ds, blk, &o.cb, &scratches[w])
			o.mtx.Reset()
			zw := zws[w]
			zw.Reset(&o.mtx)
			if err := o.format(m, ds, zw); err != nil {
				return nil, err
			}
			if err := zw.Close(); err != nil {
				return nil, err
			}
			return o, nil
		},
		func(_ int, o *blockOut) error {
			defer pool.Put(o)
			if _, err := mw.Write(o.mtx.Bytes()); err != nil {
				return err
			}
			if _, err := bz.Write(o.bc); err != nil {
				return err
			}
			if _, err := ow.Write(o.obs); err != nil {
				return err
			}
			nnz += o.nnz
			advance(o.cells)
			return nil
		})
	if err != nil {
		return wrap(err)
	}
	if err := mw.Flush(); err != nil {
		return wrap(err)
	}
	hdr, err = mtxHeader(ds.name, len(ds.genes), m.cfg.Cells, nnz)
	if err != nil {
		return err
	}
	if final := storedGzipMember(hdr); len(final) != len(first) {
		return fmt.Errorf("%w: %s: header member changed length (%d → %d)", ErrWrite, dir, len(first), len(final))
	} else if _, err := mf.WriteAt(final, 0); err != nil {
		return wrap(err)
	}
	if err := bz.Close(); err != nil {
		return wrap(err)
	}
	if err := ow.Flush(); err != nil {
		return wrap(err)
	}
	for _, f := range files {
		if err := f.commit(); err != nil {
			return err
		}
	}
	files = nil
	return nil
}

// formatChunk is the size at which formatted Matrix Market text is handed
// to the compressor, so a block's text is never held whole.
const formatChunk = 64 << 10

// format renders o.cb as Matrix Market entries (gene cell count, 1-based)
// written to zw, and as barcode and obs lines kept in o.
func (o *blockOut) format(m *model, ds *datasetModel, zw io.Writer) error {
	cb := &o.cb
	o.cells = cb.len()
	o.nnz = int64(len(cb.genes))
	o.text, o.bc, o.obs = o.text[:0], o.bc[:0], o.obs[:0]
	for i := range cb.len() {
		col := int64(cb.first + i + 1)
		for k := cb.indptr[i]; k < cb.indptr[i+1]; k++ {
			o.text = strconv.AppendInt(o.text, int64(cb.genes[k])+1, 10)
			o.text = append(o.text, ' ')
			o.text = strconv.AppendInt(o.text, col, 10)
			o.text = append(o.text, ' ')
			o.text = strconv.AppendInt(o.text, int64(cb.counts[k]), 10)
			o.text = append(o.text, '\n')
			if len(o.text) >= formatChunk {
				if _, err := zw.Write(o.text); err != nil {
					return err
				}
				o.text = o.text[:0]
			}
		}
		start := len(o.bc)
		o.bc = ds.barcode(o.bc, cb.first+i)
		o.obs = append(o.obs, o.bc[start:]...)
		o.bc = append(o.bc, '\n')
		o.obs = append(o.obs, ',')
		o.obs = append(o.obs, m.typeNames[cb.types[i]]...)
		o.obs = append(o.obs, ',')
		o.obs = append(o.obs, ds.name...)
		if ds.spatial != nil {
			x, y := ds.spatial.coords(cb.first + i)
			o.obs = append(o.obs, ',')
			o.obs = appendCoord(o.obs, x)
			o.obs = append(o.obs, ',')
			o.obs = appendCoord(o.obs, y)
		}
		o.obs = append(o.obs, '\n')
	}
	_, err := zw.Write(o.text)
	return err
}

// writeTruth writes the truth files under dir.
func (m *model) writeTruth(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	M := m.cfg.Modules
	modCol := func(b *bytes.Buffer, mod int) {
		if mod >= 0 {
			b.WriteString(strconv.Itoa(mod + 1))
		}
	}
	write := func(name string, fill func(b *bytes.Buffer)) error {
		var b bytes.Buffer
		fill(&b)
		f, err := createTmp(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if _, err := f.Write(b.Bytes()); err != nil {
			f.abort()
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
		return f.commit()
	}
	var errs []error
	errs = append(errs, write("gene_modules.tsv", func(b *bytes.Buffer) {
		b.WriteString("gene\tmodule\n")
		for g, name := range m.geneNames {
			b.WriteString(name)
			b.WriteByte('\t')
			modCol(b, m.module[g])
			b.WriteByte('\n')
		}
	}))
	for _, ds := range m.datasets {
		errs = append(errs, write(ds.name+"_gene_modules.tsv", func(b *bytes.Buffer) {
			b.WriteString("gene\tmodule\n")
			for j, g := range ds.genes {
				b.WriteString(m.geneName(ds, g))
				b.WriteByte('\t')
				modCol(b, ds.module[j])
				b.WriteByte('\n')
			}
		}))
	}
	errs = append(errs, write("gene_sets.gmt", func(b *bytes.Buffer) {
		members := make([][]string, M)
		for g, mod := range m.module {
			if mod >= 0 {
				members[mod] = append(members[mod], m.geneNames[g])
			}
		}
		for mod, genes := range members {
			fmt.Fprintf(b, "%s\tsimulated module %d", ModuleName(mod, M), mod+1)
			for _, g := range genes {
				b.WriteByte('\t')
				b.WriteString(g)
			}
			b.WriteByte('\n')
		}
	}))
	errs = append(errs, write("cell_types.tsv", func(b *bytes.Buffer) {
		b.WriteString("cell_type\tmodules\tdatasets\n")
		for t, name := range m.typeNames {
			b.WriteString(name)
			b.WriteByte('\t')
			for i, p := range m.typePrograms[t] {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.Itoa(p + 1))
			}
			b.WriteByte('\t')
			sep := ""
			for _, ds := range m.datasets {
				if ds.present[t] {
					b.WriteString(sep + ds.name)
					sep = ","
				}
			}
			b.WriteByte('\n')
		}
	}))
	errs = append(errs, write("batch_genes.tsv", func(b *bytes.Buffer) {
		b.WriteString("dataset\tgene\n")
		for _, ds := range m.datasets {
			for _, j := range ds.batchGenes {
				b.WriteString(ds.name + "\t" + m.geneName(ds, ds.genes[j]) + "\n")
			}
		}
	}))
	if pairs := m.orthologs(); pairs != nil {
		errs = append(errs, write("orthologs.tsv", func(b *bytes.Buffer) {
			b.WriteString(SpeciesHome + "\t" + SpeciesOther + "\n")
			for _, p := range pairs {
				b.WriteString(p[0] + "\t" + p[1] + "\n")
			}
		}))
	}
	errs = append(errs, write("config.json", func(b *bytes.Buffer) {
		js, _ := json.MarshalIndent(m.cfg, "", "  ")
		b.Write(js)
		b.WriteByte('\n')
	}))
	return errors.Join(errs...)
}
