package weaviate

import (
	"context"
	"fmt"

	"genestore/query"
)

// MaxFetch is the most hits one search asks the cluster for: Weaviate's
// default QUERY_MAXIMUM_RESULTS.
const MaxFetch = 10000

// Backend is a query.Backend whose Search goes to a Weaviate cluster; every
// other read (names, vectors, graphs, TopInner) and every write goes to the
// wrapped backend, the store. The space's alias must have been filled by
// Sync: the cluster answers from the generation it last synced, which
// State records.
type Backend struct {
	query.Backend
	c       *Client
	aliases map[string]string
}

// NewBackend routes the searches of b to the cluster behind c. aliases maps
// a space to its alias; a space not in it uses DefaultAlias.
func NewBackend(b query.Backend, c *Client, aliases map[string]string) *Backend {
	return &Backend{Backend: b, c: c, aliases: aliases}
}

// View calls fn with the wrapped backend's Reader, with Search replaced.
// The reader keeps the wrapped one's derived layers (query.Layers) when it
// has them, but not its HNSW graph (query.IndexGraph): clusters computed
// on this backend search the cluster instead.
func (b *Backend) View(ctx context.Context, fn func(query.Reader) error) error {
	return b.Backend.View(ctx, func(r query.Reader) error {
		rr := remoteReader{Reader: r, b: b}
		if l, ok := r.(query.Layers); ok {
			return fn(layeredReader{rr, l})
		}
		return fn(rr)
	})
}

type remoteReader struct {
	query.Reader
	b *Backend
}

// layeredReader is a remoteReader that forwards query.Layers (an embedded
// interface hides the wrapped reader's optional methods).
type layeredReader struct {
	remoteReader
	query.Layers
}

func (r remoteReader) Search(ctx context.Context, space string, q []float32, k int, filter func(uint64) bool) ([]query.Hit, error) {
	return r.b.Search(ctx, space, q, k, filter)
}

// Search asks the cluster for the k objects of space nearest q and returns
// them best first, scored as the embedded index does: Score = 1 − cosine
// distance, or a·b for the inner-product space cell-genes (Weaviate's
// "dot" distance is −a·b).
//
// IMPORTANT: filter is a Go function, which cannot be sent to the cluster.
// The search asks for more than k (2k+10, then four times as many, up to
// MaxFetch) until k hits pass the filter or the cluster has no more, so a
// filter that admits few vectors makes searches slow and may return fewer
// than k when the admitted vectors are further than MaxFetch others.
func (b *Backend) Search(ctx context.Context, space string, q []float32, k int, filter func(uint64) bool) ([]query.Hit, error) {
	if k <= 0 {
		return nil, nil
	}
	alias, ok := b.aliases[space]
	if !ok {
		alias = DefaultAlias(space)
	}
	limit := min(k, MaxFetch)
	if filter != nil {
		limit = min(2*k+10, MaxFetch)
	}
	for {
		hits, err := b.c.NearVector(ctx, alias, PropKey, q, limit, nil)
		if err != nil {
			return nil, fmt.Errorf("space %q via %s: %w", space, alias, err)
		}
		out := make([]query.Hit, 0, k)
		dot := distanceOf(space) == "dot"
		for _, h := range hits {
			if filter == nil || filter(h.Key) {
				score := 1 - h.Distance
				if dot {
					score = -h.Distance
				}
				out = append(out, query.Hit{Key: h.Key, Score: score})
				if len(out) == k {
					break
				}
			}
		}
		if len(out) == k || len(hits) < limit || limit == MaxFetch {
			return out, nil
		}
		limit = min(4*limit, MaxFetch)
	}
}
