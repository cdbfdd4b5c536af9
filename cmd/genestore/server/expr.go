package server

import (
	"fmt"
	"net/http"
)

// predicted answers GET /v1/genes/{symbol}/predicted?dataset=D[&layer=L]:
// the gene's predicted expression in every cell of dataset D (the layer
// written by genestore predict), as the CLI's expr --json.
func (s *Server) predicted(r *http.Request) (any, error) {
	p := &params{r: r}
	sym, ds, layer := p.path("symbol"), p.str("dataset"), p.str("layer")
	if p.err != nil {
		return nil, p.err
	}
	if ds == "" {
		return nil, fmt.Errorf("%w: dataset is required", errBadParam)
	}
	return s.e.PredictedExpr(r.Context(), ds, sym, layer)
}
