package store

import (
	"encoding/json"
	"time"
)

// Provenance records how a derived record (edges, embeddings, clustering,
// predictions) was made. It is stored inside the record it describes, so
// the two commit together.
type Provenance struct {
	Kind         string          `json:"kind"`          // what produced it, e.g. "gene-model", "coexpr", "louvain"
	ModelVersion string          `json:"model_version"` // version of the model or algorithm; vectors of different versions are not comparable
	Params       json.RawMessage `json:"params,omitempty"`
	Datasets     []uint32        `json:"datasets,omitempty"` // dataset ids it was computed from
	Created      time.Time       `json:"created"`            // zero: set to the store's clock on write
}

// Provenance layout (embedded in a record body, no framing of its own):
//
//	str Kind, str ModelVersion, bytes Params, uv n + n × u32 Datasets,
//	sv Created as Unix nanoseconds (0 = zero time)
func (e *enc) prov(p Provenance) {
	e.str(p.Kind)
	e.str(p.ModelVersion)
	e.bytes(p.Params)
	e.u32s(p.Datasets)
	e.sv(timeNanos(p.Created))
}

func (d *dec) prov() Provenance {
	var p Provenance
	p.Kind = d.str()
	p.ModelVersion = d.str()
	if b := d.bytes(); len(b) > 0 {
		p.Params = b
	}
	if ds := d.u32s(); len(ds) > 0 {
		p.Datasets = ds
	}
	p.Created = nanosTime(d.sv())
	return p
}

func timeNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func nanosTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// stamp fills a zero Created with the store clock.
func (tx *Tx) stamp(p Provenance) Provenance {
	if p.Created.IsZero() {
		p.Created = tx.db.opts.now()
	}
	p.Created = p.Created.UTC().Round(0)
	return p
}
