package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"genestore/internal/atomicfile"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ErrInvalid reports data that cannot be drawn.
var ErrInvalid = errors.New("plot: invalid input")

// Palette is Tableau 20, the categorical palette; Other is grey.
var (
	Palette = []color.RGBA{
		{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
		{140, 86, 75, 255}, {227, 119, 194, 255}, {188, 189, 34, 255}, {23, 190, 207, 255}, {174, 199, 232, 255},
		{255, 187, 120, 255}, {152, 223, 138, 255}, {255, 152, 150, 255}, {197, 176, 213, 255}, {196, 156, 148, 255},
		{247, 182, 210, 255}, {219, 219, 141, 255}, {158, 218, 229, 255}, {57, 59, 121, 255}, {99, 121, 57, 255},
	}
	Other = color.RGBA{170, 170, 170, 255}
)

// format returns "png" or "svg" from path's extension.
func format(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return "png", nil
	case ".svg":
		return "svg", nil
	}
	return "", fmt.Errorf("%w: %q: the file name must end in .png or .svg", ErrInvalid, path)
}

// save draws fn on a w×h canvas and writes it to path all at once
// (atomicfile: readable by others, 0644).
func save(path string, w, h vg.Length, fn func(dc draw.Canvas)) error {
	f, err := format(path)
	if err != nil {
		return err
	}
	var c vg.CanvasWriterTo
	if f == "png" {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(150))}
	} else {
		c = vgsvg.New(w, h)
	}
	fn(draw.New(c))
	return atomicfile.Write(path, func(f *os.File) error {
		_, err := c.WriteTo(f)
		return err
	})
}

// pointRadius shrinks points as their number grows: 3.5 pt for 300 points
// or fewer, about 1 pt at 10,000, never under 0.4 pt.
func pointRadius(n int) vg.Length {
	r := 3.5 * math.Sqrt(300/float64(max(n, 1)))
	return vg.Points(max(0.4, min(3.5, r)))
}

// MapSpec is a map to draw: n points, coloured by Labels (categorical) or
// by Values (continuous), not both.
type MapSpec struct {
	Title string
	// Coords are n × 2 coordinates, row-major.
	Coords []float32
	// Labels name each point's category; "" draws it as "NA".
	Labels []string
	// Values colour each point on a continuous scale (NaN: grey); ValueName
	// titles the colour bar.
	Values    []float64
	ValueName string
}

// mapCategory is one legend entry.
type mapCategory struct {
	name   string
	idx    []int
	lumped bool // the "other (n)" entry, drawn grey
}

// categories groups points by label, largest first (ties by name); beyond
// len(Palette)−1 categories the smallest are lumped into "other".
func categories(labels []string) []mapCategory {
	by := map[string][]int{}
	for i, l := range labels {
		if l == "" {
			l = "NA"
		}
		by[l] = append(by[l], i)
	}
	cs := make([]mapCategory, 0, len(by))
	for k, v := range by {
		cs = append(cs, mapCategory{name: k, idx: v})
	}
	sort.Slice(cs, func(a, b int) bool {
		if len(cs[a].idx) != len(cs[b].idx) {
			return len(cs[a].idx) > len(cs[b].idx)
		}
		return cs[a].name < cs[b].name
	})
	if len(cs) > len(Palette) {
		other := mapCategory{name: fmt.Sprintf("other (%d)", len(cs)-len(Palette)+1), lumped: true}
		for _, c := range cs[len(Palette)-1:] {
			other.idx = append(other.idx, c.idx...)
		}
		sort.Ints(other.idx)
		cs = append(cs[:len(Palette)-1], other)
	}
	return cs
}

// Map draws a UMAP map to path (.png or .svg): axis-free, a legend of the
// categories with their sizes beside the points (or a colour bar for
// Values), the title on top.
func Map(path string, s MapSpec) error {
	n := len(s.Coords) / 2
	if len(s.Coords)%2 != 0 || n == 0 {
		return fmt.Errorf("%w: %d coordinates", ErrInvalid, len(s.Coords))
	}
	if (s.Labels == nil) == (s.Values == nil) {
		return fmt.Errorf("%w: give labels or values", ErrInvalid)
	}
	if s.Labels != nil && len(s.Labels) != n || s.Values != nil && len(s.Values) != n {
		return fmt.Errorf("%w: %d points, %d labels, %d values", ErrInvalid, n, len(s.Labels), len(s.Values))
	}
	p := gplot.New()
	p.Title.Text = xmlText(s.Title)
	p.HideAxes()
	r := pointRadius(n)
	xs := func(idx []int) plotter.XYs {
		out := make(plotter.XYs, len(idx))
		for j, i := range idx {
			out[j] = plotter.XY{X: float64(s.Coords[2*i]), Y: float64(s.Coords[2*i+1])}
		}
		return out
	}
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := 0; i < n; i++ {
		x, y := float64(s.Coords[2*i]), float64(s.Coords[2*i+1])
		minX, maxX, minY, maxY = min(minX, x), max(maxX, x), min(minY, y), max(maxY, y)
	}
	if s.Labels != nil {
		cs := categories(s.Labels)
		for k, c := range cs {
			sc, err := plotter.NewScatter(xs(c.idx))
			if err != nil {
				return err
			}
			col := Other
			if k < len(Palette) && !c.lumped {
				col = Palette[k]
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: r, Shape: draw.CircleGlyph{}}
			p.Add(sc)
			// the legend shows a fixed-size glyph whatever the point size
			p.Legend.Add(fmt.Sprintf("%s (%d)", xmlText(c.name), len(c.idx)),
				glyphKey{draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}})
		}
	} else {
		// The colour range spans the finite values; ±Inf is drawn at its
		// end of the ramp, NaN in grey.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if math.IsInf(lo, 1) {
			lo, hi = 0, 1
		}
		// draw low values first so high ones stay visible
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return nanLow(s.Values[idx[a]]) < nanLow(s.Values[idx[b]]) })
		sc, err := plotter.NewScatter(xs(idx))
		if err != nil {
			return err
		}
		sc.GlyphStyleFunc = func(j int) draw.GlyphStyle {
			return draw.GlyphStyle{Color: ramp(s.Values[idx[j]], lo, hi), Radius: r, Shape: draw.CircleGlyph{}}
		}
		p.Add(sc)
		for _, q := range []float64{1, 0.5, 0} {
			v := lo*(1-q) + hi*q // not lo + q·(hi−lo), which overflows on a wide range
			p.Legend.Add(fmt.Sprintf("%s %.2f", xmlText(s.ValueName), v),
				glyphKey{draw.GlyphStyle{Color: ramp(v, lo, hi), Radius: vg.Points(4), Shape: draw.CircleGlyph{}}})
		}
	}
	// room on the right for the legend
	w := maxX - minX
	if w == 0 {
		w = 1
	}
	p.X.Min, p.X.Max = minX-0.02*w, maxX+0.45*w
	p.Y.Min, p.Y.Max = minY-0.02*(maxY-minY+1e-9), maxY+0.02*(maxY-minY+1e-9)
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	return save(path, 7*vg.Inch, 5*vg.Inch, p.Draw)
}

func nanLow(v float64) float64 {
	if math.IsNaN(v) {
		return math.Inf(-1)
	}
	return v
}

// ramp maps v in [lo, hi] onto light grey → dark red (viridis-like
// lightness order), values outside clamped to the ends; NaN is pale grey.
func ramp(v, lo, hi float64) color.Color {
	if math.IsNaN(v) {
		return color.RGBA{220, 220, 220, 255}
	}
	t := 0.0
	switch {
	case v >= hi:
		t = 1
	case v <= lo:
	default:
		// Halves first: hi − lo itself may overflow for extreme values.
		t = (v/2 - lo/2) / (hi/2 - lo/2)
	}
	t = max(0, min(1, t))
	stops := []color.RGBA{{210, 210, 210, 255}, {253, 187, 132, 255}, {239, 101, 72, 255}, {153, 0, 13, 255}}
	x := t * float64(len(stops)-1)
	i := min(int(x), len(stops)-2)
	f := x - float64(i)
	a, b := stops[i], stops[i+1]
	mix := func(p, q uint8) uint8 { return uint8(float64(p) + f*(float64(q)-float64(p)) + 0.5) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}

// Hist is one histogram panel.
type Hist struct {
	Title  string
	Values []float64
	Bins   int // 0: 40
}

// Histograms draws panels side by side under one title.
func Histograms(path, title string, hs []Hist) error {
	if len(hs) == 0 {
		return fmt.Errorf("%w: no histograms", ErrInvalid)
	}
	plots := make([][]*gplot.Plot, 1)
	for _, h := range hs {
		if len(h.Values) == 0 {
			return fmt.Errorf("%w: histogram %q has no values", ErrInvalid, h.Title)
		}
		for i, v := range h.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: histogram %q: value %d is %v", ErrInvalid, h.Title, i, v)
			}
		}
		bins := h.Bins
		if bins == 0 {
			bins = 40
		}
		p := gplot.New()
		p.Title.Text = xmlText(h.Title)
		p.Y.Label.Text = "cells"
		hist := histogram(h.Values, bins)
		hist.FillColor = Palette[0]
		hist.LineStyle.Color = color.White
		p.Add(hist)
		plots[0] = append(plots[0], p)
	}
	w := vg.Length(len(hs)) * 3.5 * vg.Inch
	return save(path, w, 3.5*vg.Inch, func(dc draw.Canvas) {
		const top = 22
		t := draw.Crop(dc, 0, 0, 0, -vg.Points(top))
		f := gplot.DefaultFont
		f.Size = vg.Points(13)
		dc.FillText(draw.TextStyle{Color: color.Black, Font: f, Handler: gplot.DefaultTextHandler,
			XAlign: draw.XCenter}, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(top-4)}, xmlText(title))
		tiles := draw.Tiles{Rows: 1, Cols: len(hs), PadX: vg.Points(10), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
		cs := gplot.Align(plots, tiles, t)
		for j, p := range plots[0] {
			p.Draw(cs[0][j])
		}
	})
}

// glyphKey is a legend entry drawn as one glyph.
type glyphKey struct{ s draw.GlyphStyle }

// Thumbnail draws the glyph in the middle of the legend's box.
func (k glyphKey) Thumbnail(c *draw.Canvas) { c.DrawGlyph(k.s, c.Center()) }

// lineKey is a legend entry drawn as a short line.
type lineKey struct{ s draw.LineStyle }

// Thumbnail draws the line across the legend's box.
func (k lineKey) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(k.s, c.Min.X, y, c.Max.X, y)
}

// histogram bins finite values into n equal bins over [min, max] (a
// constant sample: one unit wide around it). gonum's NewHist puts a value
// a few ulps below the maximum past its last bin and panics; here the
// index is clamped.
func histogram(vs []float64, n int) *plotter.Histogram {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi == lo {
		lo, hi = lo-0.5, hi+0.5
	}
	w := (hi - lo) / float64(n)
	bins := make([]plotter.HistogramBin, n)
	for i := range bins {
		bins[i].Min, bins[i].Max = lo+float64(i)*w, lo+float64(i+1)*w
	}
	bins[n-1].Max = hi
	for _, v := range vs {
		i := min(max(int((v-lo)/w), 0), n-1)
		bins[i].Weight++
	}
	return &plotter.Histogram{Bins: bins, Width: w, LineStyle: plotter.DefaultLineStyle}
}

// xmlText replaces what an SVG (XML 1.0) cannot hold — control characters
// other than tab, newline and return, U+FFFE/U+FFFF, invalid UTF-8 — with
// U+FFFD, so a label from the store never makes an unreadable file.
func xmlText(s string) string {
	bad := func(r rune) bool {
		return r == utf8.RuneError || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
	}
	if utf8.ValidString(s) && strings.IndexFunc(s, bad) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if bad(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
