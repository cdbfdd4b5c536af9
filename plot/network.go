package plot

import (
	"fmt"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Edge is one co-expression edge between two nodes (indices into the node
// names). Sign is "+", "-" or "mixed"; Conserved, the number of datasets
// holding it, sets the line width.
type Edge struct {
	A, B      int
	Sign      string
	Conserved int
}

// Edge colours by sign.
var (
	Positive = color.RGBA{214, 39, 40, 255}
	Negative = color.RGBA{31, 119, 180, 255}
	Mixed    = color.RGBA{150, 150, 150, 255}
)

// Network draws a gene's co-expression neighbourhood: node 0 (the gene) in
// the centre, the others on a circle, edges coloured by sign (red +, blue
// −, grey mixed) and as wide as the number of datasets they are conserved
// in; a legend explains both.
func Network(path, title string, nodes []string, edges []Edge) error {
	if len(nodes) == 0 {
		return fmt.Errorf("%w: no nodes", ErrInvalid)
	}
	xy := make(plotter.XYs, len(nodes))
	for i := 1; i < len(nodes); i++ {
		a := 2 * math.Pi * float64(i-1) / float64(len(nodes)-1)
		xy[i] = plotter.XY{X: math.Cos(a), Y: math.Sin(a)}
	}
	p := gplot.New()
	p.Title.Text = xmlText(title)
	p.HideAxes()
	maxC := 1
	for _, e := range edges {
		if e.A < 0 || e.B < 0 || e.A >= len(nodes) || e.B >= len(nodes) || e.A == e.B {
			return fmt.Errorf("%w: edge %d–%d of %d nodes", ErrInvalid, e.A, e.B, len(nodes))
		}
		maxC = max(maxC, e.Conserved)
	}
	width := func(c int) vg.Length { return vg.Points(0.8 + 2.2*float64(max(c, 1)-1)/float64(max(maxC-1, 1))) }
	col := func(s string) color.Color {
		switch s {
		case "+":
			return Positive
		case "-":
			return Negative
		}
		return Mixed
	}
	for _, e := range edges {
		l, err := plotter.NewLine(plotter.XYs{xy[e.A], xy[e.B]})
		if err != nil {
			return err
		}
		l.LineStyle = draw.LineStyle{Color: col(e.Sign), Width: width(e.Conserved)}
		p.Add(l)
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		if i == 0 {
			return draw.GlyphStyle{Color: color.Black, Radius: vg.Points(6), Shape: draw.CircleGlyph{}}
		}
		return draw.GlyphStyle{Color: color.RGBA{60, 60, 60, 255}, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
	}
	p.Add(sc)
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = xmlText(n)
	}
	lab, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: names})
	if err != nil {
		return err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].Font.Size = vg.Points(8)
		lab.TextStyle[i].XAlign = draw.XCenter
	}
	lab.Offset = vg.Point{Y: vg.Points(5)}
	p.Add(lab)
	for _, k := range []struct {
		name string
		c    color.Color
		w    int
	}{{"positive correlation", Positive, 1}, {"negative correlation", Negative, 1}, {"mixed signs", Mixed, 1},
		{fmt.Sprintf("conserved in %d dataset(s)", maxC), Mixed, maxC}} {
		p.Legend.Add(k.name, lineKey{draw.LineStyle{Color: k.c, Width: width(k.w)}})
	}
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -1.3, 2.4, -1.25, 1.25
	return save(path, 7*vg.Inch, 5*vg.Inch, p.Draw)
}
