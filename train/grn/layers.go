package grn

import "genestore/internal/f32"

// The convolution kernels. Activations are stored channels-last: one image
// of h×w pixels and c channels is h·w rows of c floats, and a group of g
// images is g·h·w such rows, so a 3×3 convolution over the whole group is one
// matrix product of the im2col matrix (g·h·w × 9c) with the weights
// (9c × cout, rows ordered ky, kx, channel).

// im2col writes the 3×3, padding-1 patches of src (g images of h×w×c) into
// dst (g·h·w rows of 9c: ky, kx, channel), zero outside the image.
func im2col(dst, src []float32, g, h, w, c int) {
	if c == 1 {
		im2col1(dst, src, g, h, w)
		return
	}
	row := 9 * c
	for img := range g {
		base := img * h * w
		for y := range h {
			for x := range w {
				d := dst[(base+y*w+x)*row:][:row]
				for ky := range 3 {
					sy := y + ky - 1
					for kx := range 3 {
						sx := x + kx - 1
						o := d[(ky*3+kx)*c:][:c]
						if sy < 0 || sy >= h || sx < 0 || sx >= w {
							clear(o)
							continue
						}
						copy(o, src[(base+sy*w+sx)*c:][:c])
					}
				}
			}
		}
	}
}

// im2col1 is im2col for one channel, without the per-channel copies.
func im2col1(dst, src []float32, g, h, w int) {
	for img := range g {
		base := img * h * w
		s := src[base : base+h*w]
		for y := range h {
			for x := range w {
				d := dst[(base+y*w+x)*9:][:9]
				for ky := range 3 {
					sy := y + ky - 1
					for kx := range 3 {
						sx := x + kx - 1
						v := float32(0)
						if sy >= 0 && sy < h && sx >= 0 && sx < w {
							v = s[sy*w+sx]
						}
						d[ky*3+kx] = v
					}
				}
			}
		}
	}
}

// col2im adds the patch gradients of col (laid out as by im2col) back into
// dst (g images of h×w×c), which it first clears.
func col2im(dst, col []float32, g, h, w, c int) {
	clear(dst[:g*h*w*c])
	row := 9 * c
	for img := range g {
		base := img * h * w
		for y := range h {
			for x := range w {
				s := col[(base+y*w+x)*row:][:row]
				for ky := range 3 {
					sy := y + ky - 1
					if sy < 0 || sy >= h {
						continue
					}
					for kx := range 3 {
						sx := x + kx - 1
						if sx < 0 || sx >= w {
							continue
						}
						o := dst[(base+sy*w+sx)*c:][:c]
						p := s[(ky*3+kx)*c:][:c]
						for i := range o {
							o[i] += p[i]
						}
					}
				}
			}
		}
	}
}

// conv is one 3×3, stride-1, padding-1 convolution with bias.
type conv struct {
	cin, cout int
	w, b      []float32 // 9·cin × cout, cout
}

// forward computes out = conv(in) for g images of h×w, using col as the
// im2col scratch (g·h·w·9·cin) and relu when asked.
func (l conv) forward(out, in, col []float32, g, h, w int, relu bool) {
	m, k := g*h*w, 9*l.cin
	im2col(col, in, g, h, w, l.cin)
	f32.Gemm(1, false, false, m, l.cout, k, col, k, l.w, l.cout, false, out, l.cout)
	for r := range m {
		o := out[r*l.cout:][:l.cout]
		for j, bj := range l.b {
			v := o[j] + bj
			if relu && v < 0 {
				v = 0
			}
			o[j] = v
		}
	}
}

// backward adds the weight and bias gradients of dOut (g·h·w × cout, the
// gradient of the pre-activation) into dw and db and, when dIn is non-nil,
// writes the input gradient there. in is the layer's input; col and dcol
// are scratch of g·h·w·9·cin floats.
func (l conv) backward(dIn, dOut, in, col, dcol, dw, db []float32, g, h, w int) {
	m, k := g*h*w, 9*l.cin
	im2col(col, in, g, h, w, l.cin)
	f32.Gemm(1, true, false, k, l.cout, m, col, k, dOut, l.cout, true, dw, l.cout)
	for r := range m {
		d := dOut[r*l.cout:][:l.cout]
		for j := range db {
			db[j] += d[j]
		}
	}
	if dIn == nil {
		return
	}
	f32.Gemm(1, false, true, m, k, l.cout, dOut, l.cout, l.w, l.cout, false, dcol, k)
	col2im(dIn, dcol, g, h, w, l.cin)
}

// reluPool computes out = maxpool2×2(relu(in)) for g images of h×w×c (h, w
// even) and records in arg which of the four inputs won (0..3, row-major in
// the window). A window whose inputs are all ≤ 0 gives 0 and no gradient.
func reluPool(out []float32, arg []uint8, in []float32, g, h, w, c int) {
	h2, w2 := h/2, w/2
	for img := range g {
		for y := range h2 {
			for x := range w2 {
				o := ((img*h2+y)*w2 + x) * c
				i0 := ((img*h+2*y)*w + 2*x) * c
				i1, i2, i3 := i0+c, i0+w*c, i0+w*c+c
				for ch := range c {
					best, a := in[i0+ch], uint8(0)
					if v := in[i1+ch]; v > best {
						best, a = v, 1
					}
					if v := in[i2+ch]; v > best {
						best, a = v, 2
					}
					if v := in[i3+ch]; v > best {
						best, a = v, 3
					}
					if best < 0 {
						best = 0
					}
					out[o+ch], arg[o+ch] = best, a
				}
			}
		}
	}
}

// reluPoolBackward writes into dIn (g images of h×w×c, cleared first) the
// gradient of reluPool given dOut, its output out and arg.
func reluPoolBackward(dIn, dOut, out []float32, arg []uint8, g, h, w, c int) {
	clear(dIn[:g*h*w*c])
	h2, w2 := h/2, w/2
	for img := range g {
		for y := range h2 {
			for x := range w2 {
				o := ((img*h2+y)*w2 + x) * c
				i0 := ((img*h+2*y)*w + 2*x) * c
				for ch := range c {
					if out[o+ch] <= 0 {
						continue
					}
					i := i0 + ch
					switch arg[o+ch] {
					case 1:
						i += c
					case 2:
						i += w * c
					case 3:
						i += w*c + c
					}
					dIn[i] = dOut[o+ch]
				}
			}
		}
	}
}

// reluMask zeroes d where the ReLU output a is not positive.
func reluMask(d, a []float32) {
	for i, v := range a {
		if v <= 0 {
			d[i] = 0
		}
	}
}
