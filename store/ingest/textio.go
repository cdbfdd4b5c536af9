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

	kgzip "github.com/klauspost/compress/gzip"
)

// maxLine bounds one text line (a dense CSV row of many cells can be long;
// anything beyond this is treated as malformed rather than buffered).
const maxLine = 256 << 20

// useStdGzip selects compress/gzip instead of klauspost's decoder. It exists
// for the benchmark that measures the difference; it is never set by Read.
var useStdGzip = false

// textInput is one text file being read line by line, optionally through a
// gzip decoder (detected by its magic bytes, not its name). The raw bytes are
// fed to a hash as they are read; finish drains the file so the hash covers
// every byte.
type textInput struct {
	name string
	f    *os.File
	raw  *bufio.Reader // over the (hashing) file
	gz   io.ReadCloser
	lr   lineReader
}

// openText opens path for line reading; h (may be nil) receives every raw byte.
func openText(path string, h hash.Hash) (*textInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errLine(ErrFormat, path, 0, "%v", err)
	}
	var src io.Reader = f
	if h != nil {
		src = io.TeeReader(f, h)
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
		body = bufio.NewReaderSize(gz, 1<<20)
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
	if _, err := io.Copy(io.Discard, in.raw); err != nil {
		return errLine(ErrFormat, in.name, 0, "%v", err)
	}
	return nil
}

func (in *textInput) close() {
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
