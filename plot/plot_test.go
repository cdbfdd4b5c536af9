package plot

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	_ "image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// svgTexts parses an SVG file as XML and returns its text content.
func svgTexts(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	var sb strings.Builder
	root := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			root = root || x.Name.Local == "svg"
		case xml.CharData:
			sb.Write(x)
			sb.WriteByte('\n')
		}
	}
	if !root {
		t.Fatalf("%s has no <svg> element", path)
	}
	return sb.String()
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, kind, err := image.Decode(f)
	if err != nil || kind != "png" {
		t.Fatalf("%s: %v (%s)", path, err, kind)
	}
	return img
}

func sampleMap(n int) MapSpec {
	r := rand.New(rand.NewPCG(1, 2))
	s := MapSpec{Title: "UMAP of cells — model vae:abc", Coords: make([]float32, 2*n), Labels: make([]string, n)}
	names := []string{"B cell", "T cell", "NK cell"}
	for i := 0; i < n; i++ {
		c := i % 3
		s.Labels[i] = names[c]
		s.Coords[2*i] = float32(10*c) + float32(r.NormFloat64())
		s.Coords[2*i+1] = float32(r.NormFloat64())
	}
	return s
}

func TestMapPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	s := sampleMap(300)
	png := filepath.Join(dir, "m.png")
	if err := Map(png, s); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, png)
	// the three category colours are all drawn
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	for k := 0; k < 3; k++ {
		c := Palette[k]
		if !seen[[3]uint32{uint32(c.R), uint32(c.G), uint32(c.B)}] {
			t.Errorf("colour of category %d not in the PNG", k)
		}
	}
	svg := filepath.Join(dir, "m.svg")
	if err := Map(svg, s); err != nil {
		t.Fatal(err)
	}
	txt := svgTexts(t, svg)
	for _, want := range []string{"B cell (100)", "T cell (100)", "NK cell (100)", "model vae:abc"} {
		if !strings.Contains(txt, want) {
			t.Errorf("SVG lacks legend/title text %q", want)
		}
	}
}

func TestMapValuesAndOther(t *testing.T) {
	dir := t.TempDir()
	n := 400
	s := sampleMap(n)
	s.Labels = nil
	s.Values = make([]float64, n)
	for i := range s.Values {
		s.Values[i] = float64(i % 7)
	}
	s.Values[0] = math.NaN()
	s.ValueName = "CD79A"
	path := filepath.Join(dir, "v.svg")
	if err := Map(path, s); err != nil {
		t.Fatal(err)
	}
	if txt := svgTexts(t, path); !strings.Contains(txt, "CD79A 6.00") || !strings.Contains(txt, "CD79A 0.00") {
		t.Errorf("colour bar entries missing:\n%s", txt)
	}
	// 25 categories: 19 named, the rest lumped into "other (6)"
	s = sampleMap(n)
	for i := range s.Labels {
		s.Labels[i] = string(rune('a' + i%25))
	}
	path = filepath.Join(dir, "o.svg")
	if err := Map(path, s); err != nil {
		t.Fatal(err)
	}
	if txt := svgTexts(t, path); !strings.Contains(txt, "other (6)") {
		t.Error(`no "other (6)" legend entry`)
	}
}

func TestMapRejects(t *testing.T) {
	dir := t.TempDir()
	s := sampleMap(10)
	for name, c := range map[string]struct {
		path string
		s    MapSpec
	}{
		"extension": {filepath.Join(dir, "m.jpg"), s},
		"labels":    {filepath.Join(dir, "m.png"), MapSpec{Coords: s.Coords, Labels: s.Labels[:3]}},
		"both":      {filepath.Join(dir, "m.png"), MapSpec{Coords: s.Coords, Labels: s.Labels, Values: make([]float64, 10)}},
		"empty":     {filepath.Join(dir, "m.png"), MapSpec{Labels: []string{}}},
	} {
		if err := Map(c.path, c.s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed drawings left files: %v", ents)
	}
}

func TestHistogramsAndNetwork(t *testing.T) {
	dir := t.TempDir()
	vals := []float64{1, 2, 2, 3, 3, 3, 4, 10}
	path := filepath.Join(dir, "qc.svg")
	if err := Histograms(path, "QC of pbmc", []Hist{{Title: "genes per cell", Values: vals}, {Title: "counts per cell", Values: vals}}); err != nil {
		t.Fatal(err)
	}
	txt := svgTexts(t, path)
	for _, w := range []string{"QC of pbmc", "genes per cell", "counts per cell"} {
		if !strings.Contains(txt, w) {
			t.Errorf("QC SVG lacks %q", w)
		}
	}
	if err := Histograms(filepath.Join(dir, "qc.png"), "QC", []Hist{{Title: "x", Values: vals}}); err != nil {
		t.Fatal(err)
	}
	// the bars are drawn: a good share of the picture has the fill colour
	img := decodePNG(t, filepath.Join(dir, "qc.png"))
	fill, all := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			all++
			if c := Palette[0]; r>>8 == uint32(c.R) && g>>8 == uint32(c.G) && bl>>8 == uint32(c.B) {
				fill++
			}
		}
	}
	if fill < all/50 {
		t.Errorf("histogram bars cover %d of %d pixels", fill, all)
	}
	if err := Histograms(filepath.Join(dir, "e.png"), "QC", []Hist{{Title: "x"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty histogram: %v", err)
	}
	net := filepath.Join(dir, "n.svg")
	if err := Network(net, "CD79A", []string{"CD79A", "CD79B", "MS4A1", "NKG7"},
		[]Edge{{0, 1, "+", 3}, {0, 2, "+", 1}, {0, 3, "-", 2}, {1, 2, "mixed", 1}}); err != nil {
		t.Fatal(err)
	}
	txt = svgTexts(t, net)
	for _, w := range []string{"CD79B", "NKG7", "positive correlation", "negative correlation", "conserved in 3 dataset(s)"} {
		if !strings.Contains(txt, w) {
			t.Errorf("network SVG lacks %q", w)
		}
	}
	if err := Network(filepath.Join(dir, "n.png"), "x", []string{"a"}, []Edge{{0, 1, "+", 1}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("edge to a missing node: %v", err)
	}
}

// TestMapExtremeValues: infinite and huge values colour at the ends of the
// ramp instead of indexing it with NaN (a panic before), a histogram of a
// non-finite value is refused, and plots are readable by others (0644,
// not CreateTemp's 0600).
func TestMapExtremeValues(t *testing.T) {
	dir := t.TempDir()
	for name, vals := range map[string][]float64{
		"inf":     {math.Inf(1), math.Inf(-1), 0, 1, 2, math.NaN()},
		"extreme": {-math.MaxFloat64, 0, math.MaxFloat64},
		"allinf":  {math.Inf(1), math.Inf(1), math.Inf(-1)},
	} {
		s := sampleMap(len(vals))
		s.Labels, s.Values, s.ValueName = nil, vals, "x"
		path := filepath.Join(dir, name+".png")
		if err := Map(path, s); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if c := ramp(math.Inf(1), 0, 1); c != ramp(1, 0, 1) {
		t.Errorf("+Inf coloured %v, the top of the ramp is %v", c, ramp(1, 0, 1))
	}
	if c := ramp(math.Inf(-1), 0, 1); c != ramp(0, 0, 1) {
		t.Errorf("-Inf coloured %v, the bottom of the ramp is %v", c, ramp(0, 0, 1))
	}
	if c, want := ramp(0, -math.MaxFloat64, math.MaxFloat64), ramp(0.5, 0, 1); c != want {
		t.Errorf("middle of the widest range coloured %v, want %v", c, want)
	}
	err := Histograms(filepath.Join(dir, "h.png"), "t", []Hist{{Title: "a", Values: []float64{1, math.NaN()}}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "value 1 is NaN") {
		t.Errorf("histogram of NaN: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "inf.png"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("plot file mode %v (%v), want 0644", fi.Mode().Perm(), err)
	}
}

// TestPlotReviewCases: values a few ulps below the maximum (gonum's
// binning panicked), control characters in labels and titles (the SVG was
// not well-formed XML), a real category named "other (…)" (drawn grey as if
// lumped) and a colour bar over ±MaxFloat64 (its legend read +Inf, NaN).
func TestPlotReviewCases(t *testing.T) {
	dir := t.TempDir()
	if err := Histograms(filepath.Join(dir, "h.png"), "QC", []Hist{{Title: "t", Values: []float64{0, 464.5767102777158, 464.57671027771585}}}); err != nil {
		t.Fatalf("values near the maximum: %v", err)
	}
	h := histogram([]float64{0, 1, 1 - 1e-16, 0.5}, 4)
	var total float64
	for _, b := range h.Bins {
		total += b.Weight
	}
	if total != 4 || h.Bins[3].Weight != 2 {
		t.Errorf("bins %+v", h.Bins)
	}
	s := sampleMap(30)
	s.Title = "map \x01 of cells"
	s.Labels[0] = "a\x0bb"
	path := filepath.Join(dir, "c.svg")
	if err := Map(path, s); err != nil {
		t.Fatal(err)
	}
	svgTexts(t, path) // fails on malformed XML
	if err := Network(filepath.Join(dir, "n.svg"), "net\x02", []string{"a\x02", "b"}, []Edge{{A: 0, B: 1, Sign: "+", Conserved: 1}}); err != nil {
		t.Fatal(err)
	}
	svgTexts(t, filepath.Join(dir, "n.svg"))
	cs := categories([]string{"other (a)", "b", "b"})
	for _, c := range cs {
		if c.lumped {
			t.Errorf("category %q taken for the lumped entry", c.name)
		}
	}
	s = sampleMap(3)
	s.Labels, s.Values, s.ValueName = nil, []float64{-math.MaxFloat64, 0, math.MaxFloat64}, "v"
	path = filepath.Join(dir, "w.svg")
	if err := Map(path, s); err != nil {
		t.Fatal(err)
	}
	if txt := svgTexts(t, path); strings.Contains(txt, "Inf") || strings.Contains(txt, "NaN") {
		t.Errorf("colour bar over ±MaxFloat64:\n%s", txt)
	}
}
