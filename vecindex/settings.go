package vecindex

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"genestore/index"
	"genestore/store"
	"genestore/vocab"
)

// Settings are a space's own index options, kept in the store (blob kind
// vocab.BlobIndexSettings, named by the space) so that every later build of
// the space's index uses them: a rebuild of a stale snapshot, a retrain
// that replaces the space's vectors, a drop. A zero field keeps the
// caller's option. The metric is not a setting: each space's metric is
// part of what its vectors mean (MetricOf).
type Settings struct {
	Quantize       index.Quantization `json:"-"`                         // index.Float32 or index.Int8
	M              int                `json:"M,omitempty"`               // links per node (0: the caller's)
	EfConstruction int                `json:"ef_construction,omitempty"` // build beam (0: the caller's)
	EfSearch       int                `json:"ef_search,omitempty"`       // default query beam (0: the caller's)
}

// MarshalJSON writes the quantization by name ("float32", "int8").
func (s Settings) MarshalJSON() ([]byte, error) {
	type plain Settings
	return json.Marshal(struct {
		Quantize string `json:"quantize"`
		plain
	}{s.Quantize.String(), plain(s)})
}

// Apply returns opts with s's non-zero fields (and its quantization)
// replacing opts's.
func (s Settings) Apply(opts index.Options) index.Options {
	opts.Quantize = s.Quantize
	if s.M > 0 {
		opts.M = s.M
	}
	if s.EfConstruction > 0 {
		opts.EfConstruction = s.EfConstruction
	}
	if s.EfSearch > 0 {
		opts.EfSearch = s.EfSearch
	}
	return opts
}

// Validate reports whether s, applied to the default options, makes valid
// index options. It also refuses an EfConstruction below the M it builds
// with (s.M, else the default): the index would raise it to M, so the
// settings would claim a beam the snapshot was not built with.
func (s Settings) Validate() error {
	if err := s.validStored(); err != nil {
		return err
	}
	return s.checkEfConstruction(index.DefaultOptions())
}

// validStored is Validate without the EfConstruction floor: settings saved
// before it was enforced still read back (the index raises their beam to M).
func (s Settings) validStored() error {
	if s.M < 0 || s.EfConstruction < 0 || s.EfSearch < 0 {
		return fmt.Errorf("%w: negative index setting (M %d, ef-construction %d, ef %d)", index.ErrOptions, s.M, s.EfConstruction, s.EfSearch)
	}
	return s.Apply(index.DefaultOptions()).Validate()
}

// checkEfConstruction refuses a non-zero s.EfConstruction below the M that
// s applied to opts builds with.
func (s Settings) checkEfConstruction(opts index.Options) error {
	m := s.Apply(opts).M
	if m == 0 {
		m = index.DefaultM
	}
	if s.EfConstruction > 0 && s.EfConstruction < m {
		return fmt.Errorf("%w: ef-construction %d is below its minimum, M = %d (the index raises a smaller build beam to M): give at least %d, or 0 for the default",
			index.ErrOptions, s.EfConstruction, m, m)
	}
	return nil
}

// settingsVersion is the version byte of the settings blob.
//
// Index settings (blob kind vocab.BlobIndexSettings, name = space),
// version 1: u8 quantization, uv M, uv efConstruction, uv efSearch. The
// blob's own checksums guard the bytes.
const settingsVersion = 1

func (s Settings) encode() []byte {
	b := []byte{settingsVersion, byte(s.Quantize)}
	for _, v := range []int{s.M, s.EfConstruction, s.EfSearch} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	return b
}

func decodeSettings(space string, b []byte) (Settings, error) {
	bad := func(what string) (Settings, error) {
		return Settings{}, fmt.Errorf("%w: index settings of space %q: %s", store.ErrCorrupt, space, what)
	}
	if len(b) < 2 {
		return bad(fmt.Sprintf("%d bytes", len(b)))
	}
	if b[0] != settingsVersion {
		return bad(fmt.Sprintf("version %d, this build reads %d", b[0], settingsVersion))
	}
	s := Settings{Quantize: index.Quantization(b[1])}
	b = b[2:]
	for _, p := range []*int{&s.M, &s.EfConstruction, &s.EfSearch} {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > 1<<20 {
			return bad("truncated or out-of-range field")
		}
		*p, b = int(v), b[n:]
	}
	if len(b) != 0 {
		return bad(fmt.Sprintf("%d trailing bytes", len(b)))
	}
	if err := s.validStored(); err != nil {
		return bad(err.Error())
	}
	return s, nil
}

// ReadSettings returns the settings saved for space, and whether there are
// any. A damaged record is an error wrapping store.ErrCorrupt.
func ReadSettings(tx *store.Tx, space string) (Settings, bool, error) {
	b, err := tx.Blob(vocab.BlobIndexSettings, space)
	if errors.Is(err, store.ErrNotFound) {
		return Settings{}, false, nil
	}
	if err != nil {
		return Settings{}, false, err
	}
	s, err := decodeSettings(space, b)
	return s, err == nil, err
}

// Saved returns the settings saved for space, or nil when there are none.
func Saved(tx *store.Tx, space string) (*Settings, error) {
	s, ok, err := ReadSettings(tx, space)
	if err != nil || !ok {
		return nil, err
	}
	return &s, nil
}

// Holds reports whether an index with options o was built with the saved
// settings s (nil: none saved, so any options hold). An index built before
// Reindex saved other settings does not hold them, whatever its
// generation: Reindex changes no vector and so no generation.
func (s *Settings) Holds(o index.Options) bool {
	if s == nil {
		return true
	}
	want := s.Apply(o)
	// the index raises an EfConstruction below M to M (settings saved
	// before Validate refused that would otherwise never hold)
	want.EfConstruction = max(want.EfConstruction, want.M)
	return want == o
}

// SaveSettings records s as space's index settings.
func SaveSettings(tx *store.Tx, space string, s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return tx.PutBlob(vocab.BlobIndexSettings, space, s.encode())
}

// MetricOf is the metric of space's index: inner product for
// vocab.SpaceCellGenes (gene loadings, whose norms carry weight), cosine
// for every other space.
func MetricOf(space string) index.Metric {
	if space == vocab.SpaceCellGenes {
		return index.InnerProduct
	}
	return index.Cosine
}

// OptionsFor returns the options a build of space's index uses: opts with
// the space's metric (MetricOf) and its saved settings, if any, applied.
func OptionsFor(tx *store.Tx, space string, opts index.Options) (index.Options, error) {
	s, err := Saved(tx, space)
	return s.For(space, opts), err
}

// For is OptionsFor with the saved settings s already read (nil: none).
func (s *Settings) For(space string, opts index.Options) index.Options {
	opts.Metric = MetricOf(space)
	if s == nil {
		return opts
	}
	return s.Apply(opts)
}

// Description is one space's index as the store holds it.
type Description struct {
	Space   string `json:"space"`
	Dim     int    `json:"dim"`
	Vectors int    `json:"vectors"`
	// Settings are the space's saved settings (nil: none, builds use the
	// caller's options).
	Settings *Settings `json:"settings,omitempty"`
	// Snapshot is what the saved index's header says (nil: none saved or
	// unreadable; SnapshotError says why when one is saved).
	Snapshot      *Snapshot `json:"snapshot,omitempty"`
	SnapshotError string    `json:"snapshot_error,omitempty"`
	SnapshotBytes int       `json:"snapshot_bytes"`
	// Current is whether the snapshot is of the space's generation (a stale
	// one is rebuilt by the next query).
	Current bool `json:"current"`
}

// Snapshot describes a saved index from its header.
type Snapshot struct {
	Version        int    `json:"format_version"`
	Metric         string `json:"metric"`
	Quantize       string `json:"quantize"`
	M              int    `json:"M"`
	EfConstruction int    `json:"ef_construction"`
	EfSearch       int    `json:"ef_search"`
	Nodes          int    `json:"nodes"` // tombstones included
	Deleted        int    `json:"deleted"`
	Generation     uint64 `json:"generation"`
}

// Describe reads space's index settings and snapshot header in tx.
func Describe(tx *store.Tx, space string) (Description, error) {
	info, err := tx.Space(space)
	if err != nil {
		return Description{}, err
	}
	d := Description{Space: space, Dim: info.Dim}
	for _, set := range info.Sets {
		d.Vectors += set.Count
	}
	if s, ok, err := ReadSettings(tx, space); err != nil {
		return Description{}, err
	} else if ok {
		d.Settings = &s
	}
	blob, err := tx.Blob(vocab.BlobIndex, space)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return d, nil
	case err != nil:
		d.SnapshotError = err.Error()
		return d, nil
	}
	d.SnapshotBytes = len(blob)
	h, err := index.ReadSnapshotInfo(blob)
	if err != nil {
		d.SnapshotError = err.Error()
		return d, nil
	}
	d.Snapshot = &Snapshot{Version: h.Version, Metric: h.Options.Metric.String(), Quantize: h.Options.Quantize.String(),
		M: h.Options.M, EfConstruction: h.Options.EfConstruction, EfSearch: h.Options.EfSearch,
		Nodes: h.Nodes, Deleted: h.Deleted, Generation: h.Generation}
	d.Current = h.Generation == info.Generation && d.Settings.Holds(h.Options)
	return d, nil
}

// ErrChanged reports that a space's vectors changed while Reindex built
// its index: nothing was written.
var ErrChanged = errors.New("vecindex: the space's vectors changed while indexing; nothing written, run again")

// Reindex saves s as space's index settings and rebuilds its index with
// them over opts: the vectors are read in one transaction, the index is
// built outside any, and the settings and the snapshot are written in one
// more, which fails with ErrChanged (writing nothing) if the space's
// vectors changed meanwhile. A process that holds the space's index in
// memory keeps it until the space's generation changes.
func Reindex(ctx context.Context, db *store.DB, space string, s Settings, opts index.Options) (*index.Index, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkEfConstruction(opts); err != nil { // opts may set another M
		return nil, err
	}
	var v *Vectors
	opts.Metric = MetricOf(space)
	if err := db.View(func(tx *store.Tx) (err error) { v, err = ReadVectors(tx, space); return err }); err != nil {
		return nil, err
	}
	ix, err := Build(ctx, v, s.Apply(opts))
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *store.Tx) error {
		if g, err := tx.Generation(space); err != nil {
			return err
		} else if g != v.Generation {
			return fmt.Errorf("%w (space %q at generation %d, read at %d)", ErrChanged, space, g, v.Generation)
		}
		if err := SaveSettings(tx, space, s); err != nil {
			return err
		}
		return Save(tx, space, ix)
	})
	if err != nil {
		return nil, err
	}
	return ix, nil
}
