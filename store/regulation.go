package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// RegEdge is one directed regulatory edge between two global genes:
// Regulator → Target, with the score of the method that inferred it
// (higher = more confident; comparable only within one network), a sign
// (+1 activation, −1 repression, 0 undetermined) and, per view of the
// network, that view's support for the edge (method-defined, e.g. the
// per-view score or attention weight; empty when the method gives none).
type RegEdge struct {
	Regulator, Target uint32
	Score             float32
	Sign              int8
	Support           []float32
}

// Network describes one stored regulatory network.
type Network struct {
	Name string `json:"name"`
	// Views are the sources the network was inferred from, in the order of
	// every edge's Support (dataset names, or "dataset:column=value").
	Views []string `json:"views"`
	// Method names the scoring method (e.g. "genie3", "deepmcl").
	Method     string     `json:"method"`
	Edges      int        `json:"edges"`
	Regulators int        `json:"regulators"`
	Targets    int        `json:"targets"`
	Provenance Provenance `json:"provenance"`
}

// Limits a network must respect (they bound what a decoder allocates).
const (
	MaxNetworkViews   = 255
	maxNetworkNameLen = 255
)

// Inside the regulation bucket each network is a nested bucket named by
// the network; it holds
//
//	"meta"  network record (version 1): str name, strs views, str method,
//	        uv edges, uv regulators, uv targets, provenance
//	"out"   bucket: u32 regulator → edge list (version 1) of its targets
//	"in"    bucket: u32 target → edge list (version 1) of its regulators
//
// Edge list body: uv n, u8 views V, then n × (u32 partner, f32 score,
// u8 sign + 1, V × f32 support), sorted by score descending then partner.
var (
	kNetMeta = []byte("meta")
	kNetOut  = []byte("out")
	kNetIn   = []byte("in")
)

// PutNetwork replaces network n.Name with edges in one step. Edges must be
// finite, not self-loops, each ordered pair once, signs in {−1, 0, 1}, and
// each Support empty or one value per view. n's Edges, Regulators and
// Targets are filled from edges.
func (tx *Tx) PutNetwork(n Network, edges []RegEdge) error {
	if err := tx.writable(); err != nil {
		return err
	}
	if err := validNetworkName(n.Name); err != nil {
		return err
	}
	if len(n.Views) > MaxNetworkViews {
		return fmt.Errorf("%w: network %q has %d views (at most %d)", ErrInvalid, n.Name, len(n.Views), MaxNetworkViews)
	}
	views := len(n.Views)
	out := make(map[uint32][]RegEdge)
	in := make(map[uint32][]RegEdge)
	for i, e := range edges {
		switch {
		case e.Regulator == e.Target:
			return fmt.Errorf("%w: network %q edge %d is a self-loop on gene %d", ErrInvalid, n.Name, i, e.Regulator)
		case math.IsNaN(float64(e.Score)) || math.IsInf(float64(e.Score), 0):
			return fmt.Errorf("%w: network %q edge %d (%d→%d) has score %v", ErrInvalid, n.Name, i, e.Regulator, e.Target, e.Score)
		case e.Sign < -1 || e.Sign > 1:
			return fmt.Errorf("%w: network %q edge %d has sign %d", ErrInvalid, n.Name, i, e.Sign)
		case len(e.Support) != 0 && len(e.Support) != views:
			return fmt.Errorf("%w: network %q edge %d has %d support values for %d views", ErrInvalid, n.Name, i, len(e.Support), views)
		}
		for _, s := range e.Support {
			if math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
				return fmt.Errorf("%w: network %q edge %d has support %v", ErrInvalid, n.Name, i, s)
			}
		}
		out[e.Regulator] = append(out[e.Regulator], e)
		in[e.Target] = append(in[e.Target], e)
	}
	for g, es := range out {
		slices.SortFunc(es, func(a, b RegEdge) int { return cmpU32(a.Target, b.Target) })
		for i := 1; i < len(es); i++ {
			if es[i].Target == es[i-1].Target {
				return fmt.Errorf("%w: network %q edge %d→%d given twice", ErrInvalid, n.Name, g, es[i].Target)
			}
		}
	}
	n.Edges, n.Regulators, n.Targets = len(edges), len(out), len(in)
	n.Provenance = tx.stamp(n.Provenance)

	root, err := tx.bucket(bRegulation)
	if err != nil {
		return err
	}
	key := []byte(n.Name)
	if root.Bucket(key) != nil {
		if err := root.DeleteBucket(key); err != nil {
			return err
		}
	}
	b, err := root.CreateBucket(key)
	if err != nil {
		return err
	}
	if err := b.Put(kNetMeta, encodeNetwork(n)); err != nil {
		return err
	}
	for _, side := range []struct {
		name   []byte
		lists  map[uint32][]RegEdge
		target bool // the partner is the target
	}{{kNetOut, out, true}, {kNetIn, in, false}} {
		sb, err := b.CreateBucket(side.name)
		if err != nil {
			return err
		}
		sb.FillPercent = 1.0
		genes := make([]uint32, 0, len(side.lists))
		for g := range side.lists {
			genes = append(genes, g)
		}
		slices.Sort(genes)
		for _, g := range genes {
			if err := sb.Put(u32key(g), encodeRegList(side.lists[g], views, side.target)); err != nil {
				return err
			}
		}
	}
	return nil
}

func validNetworkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%w: empty network name", ErrInvalid)
	case len(name) > maxNetworkNameLen:
		return fmt.Errorf("%w: network name of %d bytes (at most %d)", ErrInvalid, len(name), maxNetworkNameLen)
	}
	return nil
}

// DeleteNetwork removes network name; ErrNotFound when there is none.
func (tx *Tx) DeleteNetwork(name string) error {
	if err := tx.writable(); err != nil {
		return err
	}
	root, err := tx.bucket(bRegulation)
	if err != nil {
		return err
	}
	if root.Bucket([]byte(name)) == nil {
		return fmt.Errorf("%w: network %q", ErrNotFound, name)
	}
	return root.DeleteBucket([]byte(name))
}

// Networks lists the stored networks by name.
func (tx *Tx) Networks() ([]Network, error) {
	root, err := tx.bucket(bRegulation)
	if err != nil {
		return nil, err
	}
	var out []Network
	err = forEachNested(root, func(name string, b *bolt.Bucket) error {
		n, err := decodeNetwork(b.Get(kNetMeta))
		if err != nil {
			return fmt.Errorf("network %q: %w", name, err)
		}
		out = append(out, n)
		return nil
	})
	return out, err
}

// Network returns network name's description; ErrNotFound when absent.
func (tx *Tx) Network(name string) (Network, error) {
	b, err := tx.networkBucket(name)
	if err != nil {
		return Network{}, err
	}
	return decodeNetwork(b.Get(kNetMeta))
}

func (tx *Tx) networkBucket(name string) (*bolt.Bucket, error) {
	root, err := tx.bucket(bRegulation)
	if err != nil {
		return nil, err
	}
	b := root.Bucket([]byte(name))
	if b == nil {
		return nil, fmt.Errorf("%w: network %q", ErrNotFound, name)
	}
	return b, nil
}

// TargetsOf returns the edges regulator → * of network name, best first; a
// gene with no targets gives none and no error.
func (tx *Tx) TargetsOf(name string, regulator uint32) ([]RegEdge, error) {
	return tx.regList(name, kNetOut, regulator, true)
}

// RegulatorsOf returns the edges * → target of network name, best first.
func (tx *Tx) RegulatorsOf(name string, target uint32) ([]RegEdge, error) {
	return tx.regList(name, kNetIn, target, false)
}

func (tx *Tx) regList(name string, side []byte, gene uint32, partnerIsTarget bool) ([]RegEdge, error) {
	b, err := tx.networkBucket(name)
	if err != nil {
		return nil, err
	}
	sb := b.Bucket(side)
	if sb == nil {
		return nil, fmt.Errorf("%w: network %q: bucket %q missing", ErrCorrupt, name, side)
	}
	v := sb.Get(u32key(gene))
	if v == nil {
		return nil, nil
	}
	return decodeRegList(v, gene, partnerIsTarget)
}

// EachRegEdge calls fn for every edge of network name, regulator by
// regulator (ascending id), each regulator's targets best first.
func (tx *Tx) EachRegEdge(name string, fn func(RegEdge) error) error {
	b, err := tx.networkBucket(name)
	if err != nil {
		return err
	}
	sb := b.Bucket(kNetOut)
	if sb == nil {
		return fmt.Errorf("%w: network %q: bucket %q missing", ErrCorrupt, name, kNetOut)
	}
	return sb.ForEach(func(k, v []byte) error {
		if len(k) != 4 {
			return fmt.Errorf("%w: network %q: key %x", ErrCorrupt, name, k)
		}
		es, err := decodeRegList(v, binary.BigEndian.Uint32(k), true)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// verifyNetworks decodes every record of every network and checks that
// the two directions hold the same edges.
func (tx *Tx) verifyNetworks(note func(error)) {
	root := tx.btx.Bucket(bRegulation)
	if root == nil {
		note(fmt.Errorf("%w: bucket %q missing", ErrCorrupt, bRegulation))
		return
	}
	note(forEachNested(root, func(name string, b *bolt.Bucket) error {
		n, err := decodeNetwork(b.Get(kNetMeta))
		if err != nil {
			return fmt.Errorf("network %q: %w", name, err)
		}
		count := func(side []byte, partnerIsTarget bool) (int, uint64, error) {
			sb := b.Bucket(side)
			if sb == nil {
				return 0, 0, fmt.Errorf("%w: network %q: bucket %q missing", ErrCorrupt, name, side)
			}
			edges := 0
			var sum uint64 // order-free fingerprint of the (regulator, target) pairs
			err := sb.ForEach(func(k, v []byte) error {
				if len(k) != 4 {
					return fmt.Errorf("%w: network %q: key %x", ErrCorrupt, name, k)
				}
				es, err := decodeRegList(v, binary.BigEndian.Uint32(k), partnerIsTarget)
				if err != nil {
					return fmt.Errorf("network %q: %w", name, err)
				}
				for _, e := range es {
					if len(e.Support) != 0 && len(e.Support) != len(n.Views) {
						return fmt.Errorf("%w: network %q: %d support values for %d views", ErrCorrupt, name, len(e.Support), len(n.Views))
					}
					sum += mix64(uint64(e.Regulator)<<32 | uint64(e.Target))
				}
				edges += len(es)
				return nil
			})
			return edges, sum, err
		}
		no, so, err := count(kNetOut, true)
		if err != nil {
			return err
		}
		ni, si, err := count(kNetIn, false)
		if err != nil {
			return err
		}
		if no != n.Edges || ni != n.Edges || so != si {
			return fmt.Errorf("%w: network %q: %d edges recorded, %d outgoing, %d incoming, directions agree %v",
				ErrCorrupt, name, n.Edges, no, ni, so == si)
		}
		return nil
	}))
}

// mix64 is splitmix64's finaliser: a cheap hash for order-free sums.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

const networkVersion, regListVersion = 1, 1

func encodeNetwork(n Network) []byte {
	e := newEnc(networkVersion, 64+len(n.Name)+16*len(n.Views)+len(n.Provenance.Params))
	e.str(n.Name)
	e.strs(n.Views)
	e.str(n.Method)
	e.uv(uint64(n.Edges))
	e.uv(uint64(n.Regulators))
	e.uv(uint64(n.Targets))
	e.prov(n.Provenance)
	return e.seal()
}

func decodeNetwork(v []byte) (Network, error) {
	d, err := openRecord("network", v, networkVersion)
	if err != nil {
		return Network{}, err
	}
	var n Network
	n.Name = d.str()
	n.Views = d.strs()
	n.Method = d.str()
	n.Edges = int(d.uv())
	n.Regulators = int(d.uv())
	n.Targets = int(d.uv())
	n.Provenance = d.prov()
	if err := d.done(); err != nil {
		return Network{}, err
	}
	if len(n.Views) > MaxNetworkViews {
		return Network{}, fmt.Errorf("%w: network: %d views", ErrCorrupt, len(n.Views))
	}
	return n, nil
}

// encodeRegList encodes es, all sharing one end; partnerIsTarget says which
// end is the partner stored per entry.
func encodeRegList(es []RegEdge, views int, partnerIsTarget bool) []byte {
	sorted := slices.Clone(es)
	partner := func(e RegEdge) uint32 {
		if partnerIsTarget {
			return e.Target
		}
		return e.Regulator
	}
	slices.SortFunc(sorted, func(a, b RegEdge) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return cmpU32(partner(a), partner(b))
	})
	e := newEnc(regListVersion, 8+len(es)*(9+4*views))
	e.uv(uint64(len(sorted)))
	e.u8(byte(views))
	for _, x := range sorted {
		e.u32(partner(x))
		e.f32(x.Score)
		e.u8(byte(x.Sign + 1))
		if len(x.Support) == 0 {
			for range views {
				e.f32(float32(math.NaN()))
			}
			continue
		}
		for _, s := range x.Support {
			e.f32(s)
		}
	}
	return e.seal()
}

// decodeRegList decodes an edge list whose shared end is gene. A support
// written as all-NaN (the edge had none) decodes as empty.
func decodeRegList(v []byte, gene uint32, partnerIsTarget bool) ([]RegEdge, error) {
	d, err := openRecord("regulation edge list", v, regListVersion)
	if err != nil {
		return nil, err
	}
	n := d.uv()
	views := int(d.u8())
	if d.err == nil && n > uint64(d.left()/(9+4*views)) {
		d.fail("%d edges in %d bytes", n, d.left())
	}
	if d.err != nil {
		return nil, d.err
	}
	out := make([]RegEdge, n)
	for i := range out {
		p := d.u32()
		e := RegEdge{Regulator: gene, Target: p, Score: d.f32(), Sign: int8(d.u8()) - 1}
		if !partnerIsTarget {
			e.Regulator, e.Target = p, gene
		}
		if e.Sign < -1 || e.Sign > 1 {
			d.fail("sign byte %d", e.Sign+1)
		}
		if math.IsNaN(float64(e.Score)) || math.IsInf(float64(e.Score), 0) {
			d.fail("score %v", e.Score)
		}
		if views > 0 {
			sup := make([]float32, views)
			allNaN := true
			for j := range sup {
				sup[j] = d.f32()
				allNaN = allNaN && math.IsNaN(float64(sup[j]))
			}
			if !allNaN {
				e.Support = sup
			}
		}
		out[i] = e
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return out, nil
}
