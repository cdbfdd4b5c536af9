package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	kgzip "github.com/klauspost/compress/gzip"
)

// maxLine bounds one text line (a dense CSV row of many cells can be long;
// anything beyond this is treated as malformed rather than buffered).
const maxLine = 256 << 20

// useStdGzip selects compress/gzip instead of klauspost's decoder, and
// syncGzip turns off decompressing ahead in a goroutine. Both exist for the
// benchmarks that measure the difference; Read never changes them.
var useStdGzip, syncGzip = false, false

// textInput is one text file being read line by line, optionally through a
// gzip decoder (detected by its magic bytes, not its name). The raw bytes are
// fed to a hash as they are read; finish drains the file so the hash covers
// every byte.
type textInput struct {
	name  string
	f     *os.File
	raw   *bufio.Reader // over the (hashing) file
	gz    io.ReadCloser
	ahead *asyncReader
	lr    lineReader
}

// openText opens path for line reading; h (may be nil) receives every raw byte.
func openText(path string, h hash.Hash) (*textInput, error) {
	return openTextProgress(path, h, nil)
}

// openTextProgress is openText that also reports raw bytes read to progress.
func openTextProgress(path string, h hash.Hash, progress func(done, total int64)) (*textInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errLine(ErrFormat, path, 0, "%v", err)
	}
	var src io.Reader = f
	if progress != nil {
		var total int64
		if st, err := f.Stat(); err == nil {
			total = st.Size()
		}
		src = &progressReader{r: f, total: total, fn: progress}
	}
	if h != nil {
		src = io.TeeReader(src, h)
	}
	in := &textInput{name: path, f: f, raw: bufio.NewReaderSize(src, 256<<10)}
	magic, _ := in.raw.Peek(2)
	var body io.Reader = in.raw
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		var gz io.ReadCloser
		if useStdGzip {
			gz, err = gzip.NewReader(in.raw)
		} else {
			gz, err = kgzip.NewReader(in.raw)
		}
		if err != nil {
			f.Close()
			return nil, errLine(ErrFormat, path, 0, "bad gzip header: %v", err)
		}
		in.gz = gz
		if syncGzip {
			body = bufio.NewReaderSize(gz, 1<<20)
		} else {
			in.ahead = newAsyncReader(gz)
			body = bufio.NewReaderSize(in.ahead, 1<<20)
		}
	}
	in.lr = lineReader{name: path}
	if br, ok := body.(*bufio.Reader); ok {
		in.lr.r = br
	} else {
		in.lr.r = bufio.NewReaderSize(body, 1<<20)
	}
	return in, nil
}

// finish reads the rest of the raw file into the hash and closes it.
func (in *textInput) finish() error {
	defer in.close()
	if in.ahead != nil {
		in.ahead.close() // the decoder goroutine no longer reads in.raw
	}
	if _, err := io.Copy(io.Discard, in.raw); err != nil {
		return errLine(ErrFormat, in.name, 0, "%v", err)
	}
	return nil
}

func (in *textInput) close() {
	if in.ahead != nil {
		in.ahead.close()
	}
	if in.gz != nil {
		in.gz.Close()
	}
	in.f.Close()
}

// lineReader returns lines without their terminator ("\n" or "\r\n"),
// counting them from 1. The returned slice is valid until the next call.
type lineReader struct {
	r    *bufio.Reader
	name string
	line int64
	long []byte
}

// next returns the next line, or io.EOF after the last one. A final line
// without a newline is returned as a line. Read errors (truncated gzip, bad
// checksum) are wrapped in ErrFormat and name the file and line.
func (lr *lineReader) next() ([]byte, error) {
	b, err := lr.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(lr.long) > maxLine {
				return nil, errLine(ErrFormat, lr.name, lr.line+1, "line longer than %d bytes", maxLine)
			}
			b, err = lr.r.ReadSlice('\n')
			lr.long = append(lr.long, b...)
		}
		b = lr.long
	}
	if err != nil && err != io.EOF {
		return nil, lr.readErr(err)
	}
	if len(b) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	lr.line++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, nil
}

func (lr *lineReader) readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errLine(ErrFormat, lr.name, lr.line+1, "truncated gzip stream (unexpected end of file)")
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, kgzip.ErrChecksum) ||
		errors.Is(err, gzip.ErrHeader) || errors.Is(err, kgzip.ErrHeader) {
		return errLine(ErrFormat, lr.name, lr.line+1, "corrupt gzip stream: %v", err)
	}
	return errLine(ErrFormat, lr.name, lr.line+1, "read: %v", err)
}

// bom is the UTF-8 byte order mark some editors (and Excel) write first.
var bom = []byte("\xef\xbb\xbf")

// trimBOM removes a byte order mark from line when it is line number n 1.
func trimBOM(line []byte, n int64) []byte {
	if n == 1 {
		return bytes.TrimPrefix(line, bom)
	}
	return line
}

// nextContent returns the next line with text on it (a byte order mark on
// line 1 removed), skipping blank lines and, with comments, lines that
// start with '#'; io.EOF after the last. lr.line is the returned line's
// number.
func (lr *lineReader) nextContent(comments bool) ([]byte, error) {
	for {
		line, err := lr.next()
		if err != nil {
			return nil, err
		}
		line = trimBOM(line, lr.line)
		if len(bytes.TrimSpace(line)) == 0 || (comments && line[0] == '#') {
			continue
		}
		return line, nil
	}
}

// splitGuessed splits a line of a small tab- or comma-separated table into
// trimmed fields with surrounding quotes removed. *sep is the table's
// separator; zero means not yet known: tab if the line has one, else comma.
func splitGuessed(line []byte, sep *byte) []string {
	if *sep == 0 {
		*sep = ','
		if bytes.IndexByte(line, '\t') >= 0 {
			*sep = '\t'
		}
	}
	f := strings.Split(string(line), string(*sep))
	for i := range f {
		f[i] = strings.TrimSpace(strings.Trim(strings.TrimSpace(f[i]), `"`))
	}
	return f
}

// nextRecord returns the fields of the next non-empty record of a delimited
// text table and the line it starts on: a line, joined with the lines after
// it while a quoted field is open, since RFC 4180 allows line breaks inside
// quotes (they are kept as "\n"). buf holds a joined record; the fields are
// valid until the next call. A quote that never closes, or a field with text
// after its closing quote, is ErrFormat naming the record's first line.
func (lr *lineReader) nextRecord(dst [][]byte, delim byte, buf *[]byte) ([][]byte, int64, error) {
	var line []byte
	var err error
	for len(line) == 0 {
		if line, err = lr.next(); err != nil {
			return nil, 0, err
		}
		line = trimBOM(line, lr.line)
	}
	start := lr.line
	fields, ok := splitFields(dst, line, delim)
	if ok {
		return fields, start, nil
	}
	*buf = append((*buf)[:0], line...)
	for bytes.Count(*buf, []byte{'"'})%2 == 1 { // a quoted field is open
		line, err = lr.next()
		if err == io.EOF {
			return nil, start, errLine(ErrFormat, lr.name, start, "unterminated quote: the quoted field opened here never closes")
		}
		if err != nil {
			return nil, start, err
		}
		*buf = append(append(*buf, '\n'), line...)
		if len(*buf) > maxLine {
			return nil, start, errLine(ErrFormat, lr.name, start, "record longer than %d bytes (unterminated quote?)", maxLine)
		}
	}
	if fields, ok = splitFields(dst[:0], *buf, delim); !ok {
		return nil, start, errLine(ErrFormat, lr.name, start, "unterminated quote or text after a closing quote")
	}
	return fields, start, nil
}

// delimHint explains a line split on delim into a single field when the
// line holds another delimiter instead: the delimiter came from the file's
// extension (or was set, when explicit), and the file looks otherwise
// delimited. It returns "" when there is nothing to say.
func delimHint(path string, line []byte, delim byte, explicit bool) string {
	if bytes.IndexByte(line, delim) >= 0 {
		return ""
	}
	names := map[byte]string{'\t': "tab", ',': "comma", ';': "semicolon"}
	exts := map[byte]string{'\t': ".tsv", ',': ".csv"}
	for _, d := range []byte{'\t', ',', ';'} {
		if d == delim || bytes.IndexByte(line, d) < 0 {
			continue
		}
		from := "set by the options"
		if !explicit {
			ext := filepath.Ext(strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz"))
			if ext == "" {
				from = "the default for a name without a .tsv or .txt extension"
			} else {
				from = fmt.Sprintf("chosen by the extension %q", ext)
			}
		}
		fix := "set the delimiter"
		if e, ok := exts[d]; ok && !explicit {
			fix = "name it " + e
		}
		return fmt.Sprintf("the delimiter is %s (%s) but the line has none and holds %ss: the file looks %s-separated; %s",
			names[delim], from, names[d], names[d], fix)
	}
	return ""
}

// splitFields splits a line on sep, returning sub-slices of line. It appends
// to dst. Double-quoted fields ("a,b" and "say ""hi""") are unquoted; a quote
// that does not close is reported by ok=false.
func splitFields(dst [][]byte, line []byte, sep byte) (fields [][]byte, ok bool) {
	if bytes.IndexByte(line, '"') < 0 {
		for {
			i := bytes.IndexByte(line, sep)
			if i < 0 {
				return append(dst, line), true
			}
			dst = append(dst, line[:i])
			line = line[i+1:]
		}
	}
	for {
		if len(line) > 0 && line[0] == '"' {
			var f []byte
			i := 1
			closed := false
			for i < len(line) {
				if line[i] == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						f = append(f, '"')
						i += 2
						continue
					}
					closed = true
					i++
					break
				}
				f = append(f, line[i])
				i++
			}
			if !closed || (i < len(line) && line[i] != sep) {
				return dst, false
			}
			if f == nil {
				f = []byte{}
			}
			dst = append(dst, f)
			if i >= len(line) {
				return dst, true
			}
			line = line[i+1:]
			if len(line) == 0 {
				return append(dst, line), true
			}
			continue
		}
		i := bytes.IndexByte(line, sep)
		if i < 0 {
			return append(dst, line), true
		}
		dst = append(dst, line[:i])
		line = line[i+1:]
	}
}

// quoteName shortens a user-provided token for an error message.
func quoteName(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q...", b[:40])
	}
	return fmt.Sprintf("%q", b)
}

// asyncReader decompresses ahead of the parser in its own goroutine, so
// that gzip decoding and parsing overlap on two cores. It hands over 1 MiB
// buffers through a channel; four buffers circulate.
type asyncReader struct {
	full      chan asyncBuf
	free      chan []byte
	cur, last []byte
	err       error
	stop      chan struct{}
	done      chan struct{}
	closed    bool
}

type asyncBuf struct {
	b   []byte
	err error
}

func newAsyncReader(r io.Reader) *asyncReader {
	const nbuf, size = 4, 1 << 20
	a := &asyncReader{full: make(chan asyncBuf, nbuf), free: make(chan []byte, nbuf),
		stop: make(chan struct{}), done: make(chan struct{})}
	for i := 0; i < nbuf; i++ {
		a.free <- make([]byte, size)
	}
	go func() {
		defer close(a.done)
		for {
			var buf []byte
			select {
			case buf = <-a.free:
			case <-a.stop:
				return
			}
			n := 0
			var err error
			for n < len(buf) && err == nil {
				var k int
				k, err = r.Read(buf[n:])
				n += k
			}
			select {
			case a.full <- asyncBuf{buf[:n], err}:
			case <-a.stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return a
}

// Read returns decompressed bytes; the decoder's error (io.EOF, a truncated
// stream) comes after the last bytes read before it.
func (a *asyncReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.last != nil {
			a.free <- a.last[:cap(a.last)]
			a.last = nil
		}
		if a.err != nil {
			return 0, a.err
		}
		b := <-a.full
		a.cur, a.last, a.err = b.b, b.b, b.err
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// close stops the goroutine and waits for it; safe to call twice.
func (a *asyncReader) close() {
	if a.closed {
		return
	}
	a.closed = true
	close(a.stop)
	<-a.done
}

// progressReader reports the bytes read so far every 4 MiB and at EOF.
type progressReader struct {
	r           io.Reader
	done, total int64
	next        int64
	fn          func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done >= p.next || err == io.EOF {
		p.fn(p.done, p.total)
		p.next = p.done + 4<<20
	}
	return n, err
}
