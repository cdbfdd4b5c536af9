package annbench

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
)

// readVecs reads a TEXMEX ".fvecs"/".ivecs" file: per row an int32 dim, then
// dim 4-byte values (little-endian). It returns the rows back to back as
// raw uint32 bit patterns, the row count and dim.
func readVecs(path string) (data []uint32, rows, dim int, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("annbench: %w", err)
	}
	if len(raw) < 4 {
		return nil, 0, 0, fmt.Errorf("%w: %s: empty", ErrData, path)
	}
	d := int(int32(binary.LittleEndian.Uint32(raw)))
	if d <= 0 || d > 1<<20 {
		return nil, 0, 0, fmt.Errorf("%w: %s: dimension %d", ErrData, path, d)
	}
	stride := 4 * (d + 1)
	if len(raw)%stride != 0 {
		return nil, 0, 0, fmt.Errorf("%w: %s: %d bytes is not a whole number of %d-byte rows", ErrData, path, len(raw), stride)
	}
	rows = len(raw) / stride
	data = make([]uint32, 0, rows*d)
	for r := 0; r < rows; r++ {
		row := raw[r*stride : (r+1)*stride]
		if int(int32(binary.LittleEndian.Uint32(row))) != d {
			return nil, 0, 0, fmt.Errorf("%w: %s: row %d has another dimension", ErrData, path, r)
		}
		for i := 4; i < len(row); i += 4 {
			data = append(data, binary.LittleEndian.Uint32(row[i:]))
		}
	}
	return data, rows, d, nil
}

// readFvecs reads an .fvecs file into row-major float32s.
func readFvecs(path string) ([]float32, int, int, error) {
	u, rows, dim, err := readVecs(path)
	if err != nil {
		return nil, 0, 0, err
	}
	f := make([]float32, len(u))
	for i, x := range u {
		f[i] = math.Float32frombits(x)
	}
	return f, rows, dim, nil
}

// readIvecs reads an .ivecs file into row-major int32s.
func readIvecs(path string) ([]int32, int, int, error) {
	u, rows, dim, err := readVecs(path)
	if err != nil {
		return nil, 0, 0, err
	}
	v := make([]int32, len(u))
	for i, x := range u {
		v[i] = int32(x)
	}
	return v, rows, dim, nil
}
