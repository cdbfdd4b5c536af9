package server

import (
	"fmt"
	"net/http"

	"genestore/query"
	"genestore/vocab"
)

func (s *Server) networks(r *http.Request) (any, error) {
	return s.e.Networks(r.Context())
}

func (s *Server) regulationReq(r *http.Request) (query.RegulationRequest, error) {
	p := &params{r: r}
	req := query.RegulationRequest{Symbol: p.path("symbol"), Network: p.str("network"), K: p.int("k", 25)}
	return req, p.err
}

func (s *Server) regulators(r *http.Request) (any, error) {
	req, err := s.regulationReq(r)
	if err != nil {
		return nil, err
	}
	return s.e.Regulators(r.Context(), req)
}

func (s *Server) targets(r *http.Request) (any, error) {
	req, err := s.regulationReq(r)
	if err != nil {
		return nil, err
	}
	return s.e.Targets(r.Context(), req)
}

// upstream answers GET /v1/clusters/{space}/{id}/regulators (space genes).
func (s *Server) upstream(r *http.Request) (any, error) {
	p := &params{r: r}
	if sp := p.path("space"); sp != vocab.SpaceGenes {
		return nil, fmt.Errorf("%w: upstream regulators are for gene clusters, not %q", errBadParam, sp)
	}
	req := query.UpstreamRequest{Cluster: clusterReq(p, vocab.SpaceGenes), ID: s.clusterID(p), Network: p.str("network"),
		TopFraction: p.float("top_fraction", 0.05), K: p.int("k", 10)}
	if p.err != nil {
		return nil, p.err
	}
	return s.e.UpstreamRegulators(r.Context(), req)
}
