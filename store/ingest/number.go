package ingest

import (
	"math"
	"strconv"
	"unsafe"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat parses a decimal number from b. Simple forms ([-+]digits[.digits],
// at most 15 significant digits) take an exact fast path (the product or
// quotient of two exactly representable float64 values is correctly
// rounded); anything else, including exponents, nan and inf, goes to
// strconv.ParseFloat, so results always equal strconv's.
func parseFloat(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var mant uint64
	digits, frac := 0, 0
	seenDot, any := false, false
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			any = true
			if mant == 0 && c == '0' && !seenDot {
				continue // leading zeros of the integer part
			}
			mant = mant*10 + uint64(c-'0')
			if mant != 0 || seenDot {
				digits++
			}
			if seenDot {
				frac++
			}
			continue
		}
		if c == '.' && !seenDot {
			seenDot = true
			continue
		}
		return parseFloatSlow(b)
	}
	if !any || digits > 15 || frac > 22 {
		return parseFloatSlow(b)
	}
	f := float64(mant)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}

func parseFloatSlow(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil {
		// ParseFloat returns ±Inf with a range error for huge values: keep
		// the value so the caller reports it as infinite, not as garbage.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && math.IsInf(f, 0) {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// parseIndex parses an unsigned decimal integer of at most 18 digits.
func parseIndex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// nextToken returns the next run of non-blank bytes in b starting at i
// (blanks are space and tab) and the position after it.
func nextToken(b []byte, i int) (tok []byte, end int) {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return b[i:j], j
}

// checkValue applies the value rules shared by every format: finite, not
// negative, and integral when counts are required. It returns a description
// of the problem or "".
func checkValue(v float64, counts bool) string {
	switch {
	case math.IsNaN(v):
		return "value is NaN"
	case math.IsInf(v, 0):
		return "value is infinite"
	case v < 0:
		return "negative value " + strconv.FormatFloat(v, 'g', -1, 64)
	case v > math.MaxFloat32:
		return "value " + strconv.FormatFloat(v, 'g', -1, 64) + " overflows float32"
	case counts && v != math.Trunc(v):
		return "non-integer value " + strconv.FormatFloat(v, 'g', -1, 64) + " in a counts matrix"
	case v > maxExactInt && v == math.Trunc(v) && float64(float32(v)) != v:
		return "integer value " + strconv.FormatFloat(v, 'f', -1, 64) + " is above 2^24 = 16777216 and float32 cannot hold it exactly (it would be rounded to " +
			strconv.FormatFloat(float64(float32(v)), 'f', -1, 32) + ")"
	}
	return ""
}

// maxExactInt is 2^24: every integer up to it is exactly a float32, and
// above it only some are (the in-memory matrix is float32).
const maxExactInt = 1 << 24

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
