package vecindex

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"genestore/index"
	"genestore/store"
	"genestore/vocab"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func describe(t *testing.T, db *store.DB, space string) Description {
	t.Helper()
	var d Description
	if err := db.View(func(tx *store.Tx) (err error) { d, err = Describe(tx, space); return err }); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestReindexSettingsSurviveRebuilds sets int8 and M 8 on a space and checks
// that the snapshot follows them, that a rebuild after new vectors keeps
// them, and that the metric stays the space's own.
func TestReindexSettingsSurviveRebuilds(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	for _, space := range []string{vocab.SpaceGenes, vocab.SpaceCellGenes} {
		putRandom(t, db, space, 1, 300, 8, 1)
		if _, err := Load(ctx, db, space, index.DefaultOptions(), nil); err != nil {
			t.Fatal(err)
		}
		d := describe(t, db, space)
		if d.Settings != nil || d.Snapshot == nil || d.Snapshot.Quantize != "float32" || !d.Current || d.Vectors != 300 {
			t.Fatalf("%s before: %+v", space, d)
		}
		if d.Snapshot.Metric != MetricOf(space).String() {
			t.Fatalf("%s rebuilt with metric %s", space, d.Snapshot.Metric)
		}

		s := Settings{Quantize: index.Int8, M: 8}
		ix, err := Reindex(ctx, db, space, s, index.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if o := ix.Options(); o.Quantize != index.Int8 || o.M != 8 || o.EfConstruction != index.DefaultEfConstruction || o.Metric != MetricOf(space) {
			t.Fatalf("%s reindexed with %+v", space, o)
		}
		d = describe(t, db, space)
		if d.Settings == nil || *d.Settings != s || d.Snapshot.Quantize != "int8" || d.Snapshot.M != 8 || !d.Current {
			t.Fatalf("%s after reindex: %+v, settings %+v", space, d, d.Settings)
		}

		// New vectors make the snapshot stale: the rebuild keeps int8 and M 8
		// although the caller asks for the defaults.
		putRandom(t, db, space, 2, 40, 8, 2)
		ix, err = Load(ctx, db, space, index.DefaultOptions(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if o := ix.Options(); o.Quantize != index.Int8 || o.M != 8 || o.Metric != MetricOf(space) || ix.Len() != 340 {
			t.Fatalf("%s rebuilt with %+v, %d vectors", space, o, ix.Len())
		}
		var cur *index.Index
		if err := db.View(func(tx *store.Tx) (err error) {
			cur, err = Current(ctx, tx, space, nil, index.DefaultOptions())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if o := cur.Options(); o.Quantize != index.Int8 || o.M != 8 {
			t.Fatalf("%s: Current built with %+v", space, o)
		}

		// Back to float32 with the defaults.
		if _, err := Reindex(ctx, db, space, Settings{}, index.DefaultOptions()); err != nil {
			t.Fatal(err)
		}
		if d = describe(t, db, space); d.Snapshot.Quantize != "float32" || d.Snapshot.M != index.DefaultM {
			t.Fatalf("%s back to float32: %+v", space, d.Snapshot)
		}
	}
	if _, err := Reindex(ctx, db, "nope", Settings{}, index.DefaultOptions()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reindex of a missing space: %v", err)
	}
	if _, err := Reindex(ctx, db, vocab.SpaceGenes, Settings{M: 1}, index.DefaultOptions()); !errors.Is(err, index.ErrOptions) {
		t.Errorf("reindex with M 1: %v", err)
	}
}

func TestSettingsCodecRejectsDamage(t *testing.T) {
	s := Settings{Quantize: index.Int8, M: 12, EfConstruction: 100, EfSearch: 40}
	b := s.encode()
	got, err := decodeSettings("genes", b)
	if err != nil || got != s {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for name, bad := range map[string][]byte{
		"empty":        nil,
		"version":      append([]byte{9}, b[1:]...),
		"quantization": append([]byte{b[0], 7}, b[2:]...),
		"truncated":    b[:len(b)-1],
		"trailing":     append(append([]byte(nil), b...), 0),
		"M 1":          Settings{M: 1}.encode(),
	} {
		_, err := decodeSettings("genes", bad)
		if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), `space "genes"`) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A damaged record reaches every build of the space as an error.
	db := openStore(t)
	putRandom(t, db, vocab.SpaceGenes, 1, 50, 4, 1)
	if err := db.PutBlob(vocab.BlobIndexSettings, vocab.SpaceGenes, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), db, vocab.SpaceGenes, index.DefaultOptions(), nil); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("load with damaged settings: %v", err)
	}
}

// TestEfConstructionBelowM: a build beam below M is refused, naming the
// minimum (the index would silently raise it to M); one saved before the
// check still reads back.
func TestEfConstructionBelowM(t *testing.T) {
	for _, c := range []struct {
		s  Settings
		ok bool
	}{
		{Settings{EfConstruction: 5}, false}, // default M 16
		{Settings{EfConstruction: 16}, true},
		{Settings{M: 4, EfConstruction: 5}, true},
		{Settings{M: 32, EfConstruction: 20}, false},
		{Settings{}, true},
	} {
		err := c.s.Validate()
		if c.ok != (err == nil) || (err != nil && (!errors.Is(err, index.ErrOptions) || !strings.Contains(err.Error(), "ef-construction") ||
			!strings.Contains(err.Error(), fmt.Sprintf("at least %d", c.s.Apply(index.DefaultOptions()).M)))) {
			t.Errorf("%+v: %v", c.s, err)
		}
	}
	old := Settings{EfConstruction: 5}
	if got, err := decodeSettings("genes", old.encode()); err != nil || got != old {
		t.Errorf("stored ef-construction 5: %+v, %v", got, err)
	}
	// Reindex checks against the M it builds with, the caller's included.
	db := openStore(t)
	putRandom(t, db, vocab.SpaceGenes, 1, 50, 4, 1)
	opts := index.DefaultOptions()
	opts.M = 24
	if _, err := Reindex(context.Background(), db, vocab.SpaceGenes, Settings{EfConstruction: 20}, opts); !errors.Is(err, index.ErrOptions) ||
		!strings.Contains(err.Error(), "at least 24") {
		t.Errorf("reindex with ef-construction 20 under M 24: %v", err)
	}
}

func FuzzDecodeSettings(f *testing.F) {
	f.Add(Settings{Quantize: index.Int8, M: 12}.encode())
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSettings("x", b)
		if err != nil {
			return
		}
		if err := s.validStored(); err != nil { // an ef-construction below M still reads back
			t.Fatalf("decoded invalid settings %+v: %v", s, err)
		}
		if again, err := decodeSettings("x", s.encode()); err != nil || again != s {
			t.Fatalf("re-encoding %+v gives %+v, %v", s, again, err)
		}
	})
}

// TestRebuildKeepsConcurrentReindex runs a slow Rebuild (as Load starts for
// a missing snapshot) and, while it builds, a Reindex to int8 with M 4.
// Whatever the interleaving, the saved snapshot must then be the one the
// saved settings describe: before the fix, a Rebuild that had read the old
// settings overwrote the Reindex'd snapshot (settings do not move the
// generation) and the stale float32 index counted as current.
func TestRebuildKeepsConcurrentReindex(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	space := vocab.SpaceGenes
	putRandom(t, db, space, 1, 4000, 32, 1)
	slow := index.DefaultOptions()
	slow.EfConstruction = 400
	done := make(chan error, 1)
	go func() {
		_, err := Rebuild(ctx, db, space, slow)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // usually: Rebuild has read the old settings
	if _, err := Reindex(ctx, db, space, Settings{Quantize: index.Int8, M: 4, EfConstruction: 8}, index.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	d := describe(t, db, space)
	if d.Snapshot == nil || !d.Current || d.Snapshot.Quantize != "int8" || d.Snapshot.M != 4 {
		t.Fatalf("saved settings %+v, snapshot %+v (current %v)", d.Settings, d.Snapshot, d.Current)
	}
}

// TestWriterAfterReindexUsesNewSettings: a writer that loaded the index
// before a Reindex committed (same generation: Reindex changes no vector)
// gets a rebuild with the new settings from Current, and a snapshot of
// other settings than the saved ones is stale to Load and Describe. The
// writer's float32 index was once saved over Reindex's int8 one and served
// as current for good.
func TestWriterAfterReindexUsesNewSettings(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	putRandom(t, db, "cells", 1, 300, 8, 1)
	opts := index.DefaultOptions()
	ix, err := Load(ctx, db, "cells", opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Reindex(ctx, db, "cells", Settings{Quantize: index.Int8}, opts); err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error {
		cur, err := Current(ctx, tx, "cells", ix, opts)
		if err != nil {
			return err
		}
		if cur == ix || cur.Options().Quantize != index.Int8 {
			t.Errorf("Current kept the %v index loaded before Reindex", ix.Options().Quantize)
		}
		// A writer that saves the old index anyway (as one that skipped
		// Current would) leaves a snapshot that no longer counts.
		if err := tx.PutEmbeddings("cells", 2, []uint32{0}, 8, []float32{1, 0, 0, 0, 0, 0, 0, 0}, store.Provenance{Kind: "test"}); err != nil {
			return err
		}
		if err := ix.Add(vocab.EntityKey(2, 0), []float32{1, 0, 0, 0, 0, 0, 0, 0}); err != nil {
			return err
		}
		return Save(tx, "cells", ix)
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := describe(t, db, "cells"); d.Current || d.Snapshot.Quantize != "float32" {
		t.Errorf("a float32 snapshot under int8 settings described as current: %+v", d.Snapshot)
	}
	var log strings.Builder
	re, err := Load(ctx, db, "cells", opts, &log)
	if err != nil {
		t.Fatal(err)
	}
	if re.Options().Quantize != index.Int8 || !strings.Contains(log.String(), "other settings than the saved ones") {
		t.Errorf("Load served a %v index (log %q)", re.Options().Quantize, log.String())
	}
	if d := describe(t, db, "cells"); !d.Current || d.Snapshot.Quantize != "int8" {
		t.Errorf("after the rebuild: %+v, current %v", d.Snapshot, d.Current)
	}
}
