package weaviate

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"genestore/index"
	"genestore/store"
	"genestore/vecindex"
	"genestore/vocab"
)

// Property names of the objects Sync writes.
const (
	PropKey        = "key"          // text: vocab.EntityKey as a decimal (uint64 does not fit Weaviate's int64)
	PropDataset    = "dataset"      // int: dataset id (vocab.Consensus = 4294967295)
	PropEntity     = "entity"       // int: cell row or gene id
	PropName       = "name"         // text: barcode or gene symbol
	PropDatasetStr = "dataset_name" // text: dataset name ("consensus" for vocab.Consensus)
	PropModel      = "model"        // text: model version of the vector's set
	PropGeneration = "generation"   // int: the space's generation when the object was sent
)

// BlobKind is the store blob kind under which sync state is kept, one blob
// per (space, URL), named "SPACE URL".
const BlobKind = "weaviate-sync"

// SyncOptions configure Sync. The zero value syncs space "cells" into 1
// shard with 1 replica.
type SyncOptions struct {
	// Space is the store's embedding space; "" means vocab.SpaceCells.
	Space string
	// Alias is the name readers use; "" means DefaultAlias(Space). The
	// collection behind it is Alias + "_" + a hash of the space's model
	// versions and dimension.
	Alias string
	// Shards and Replicas of a new collection; 0 means 1. An existing
	// collection keeps its own (Weaviate cannot change them).
	Shards, Replicas int
	// BatchSize is the number of objects per batch request; 0 means 200
	// (a replica must commit its share of a batch within Weaviate's fixed
	// 10 s internal timeout, also on a loaded machine).
	BatchSize int
	// Workers is the number of batches in flight; 0 means 2.
	Workers int
	// Consistency of writes: "ONE", "QUORUM" or "ALL"; "" means "ALL" so
	// that every replica holds what the recorded state says.
	Consistency string
	// DryRun reports what would be sent and deleted without writing.
	DryRun bool
	// Progress, when set, is called after each batch with vectors sent so
	// far and the total to send.
	Progress func(done, total int)
}

// Validate reports every problem with o at once.
func (o SyncOptions) Validate() error {
	var errs []error
	if o.Shards < 0 || o.Replicas < 0 || o.BatchSize < 0 || o.Workers < 0 {
		errs = append(errs, fmt.Errorf("%w: negative shards, replicas, batch size or workers", ErrInvalid))
	}
	switch o.Consistency {
	case "", "ONE", "QUORUM", "ALL":
	default:
		errs = append(errs, fmt.Errorf("%w: consistency %q (want ONE, QUORUM or ALL)", ErrInvalid, o.Consistency))
	}
	if o.Alias != "" && !validClass(o.Alias) {
		errs = append(errs, fmt.Errorf("%w: alias %q: want an upper-case letter, then letters, digits or _", ErrInvalid, o.Alias))
	}
	return errors.Join(errs...)
}

func (o SyncOptions) withDefaults() SyncOptions {
	if o.Space == "" {
		o.Space = vocab.SpaceCells
	}
	if o.Alias == "" {
		o.Alias = DefaultAlias(o.Space)
	}
	o.Shards = max(o.Shards, 1)
	o.Replicas = max(o.Replicas, 1)
	if o.BatchSize == 0 {
		o.BatchSize = 200
	}
	if o.Workers == 0 {
		o.Workers = 2
	}
	if o.Consistency == "" {
		o.Consistency = "ALL"
	}
	return o
}

func validClass(s string) bool {
	if s == "" || !unicode.IsUpper(rune(s[0])) || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// DefaultAlias names the alias of a space: "Genestore" and the space name in
// CamelCase ("cells" → "GenestoreCells", "cell-genes" →
// "GenestoreCellGenes"; other characters are dropped).
func DefaultAlias(space string) string {
	var b strings.Builder
	b.WriteString("Genestore")
	up := true
	for _, r := range space {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if up {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// State is what the store records about one space's copy in one cluster.
// It is kept as a JSON blob (kind BlobKind, name "SPACE URL") with Version 1.
type State struct {
	Version    int        `json:"version"`
	URL        string     `json:"url"`
	Space      string     `json:"space"`
	Alias      string     `json:"alias"`
	Collection string     `json:"collection"`
	Generation uint64     `json:"generation"` // the space's generation the cluster holds
	Sets       []SetState `json:"sets"`
	Synced     time.Time  `json:"synced"`
}

// SetState identifies the version of one vector set that was sent.
type SetState struct {
	Dataset uint32    `json:"dataset"`
	Count   int       `json:"count"`
	Model   string    `json:"model"`
	Created time.Time `json:"created"` // the set's provenance time: it moves on every write
}

func stateName(space, url string) string { return space + " " + url }

// LoadState reads the sync state of space for the cluster at url
// (ErrNotFound when it was never synced there).
func LoadState(db *store.DB, space, url string) (State, error) {
	var st State
	err := db.View(func(tx *store.Tx) error {
		b, err := tx.Blob(BlobKind, stateName(space, url))
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: space %q was never synced to %s", ErrNotFound, space, url)
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("weaviate: sync state of %q: %w", space, err)
		}
		if st.Version != 1 {
			return fmt.Errorf("weaviate: sync state of %q has version %d, this build reads 1", space, st.Version)
		}
		return nil
	})
	return st, err
}

// SyncReport tells what a Sync did (or, with DryRun, would do).
type SyncReport struct {
	Space      string        `json:"space"`
	Alias      string        `json:"alias"`
	Collection string        `json:"collection"`
	Generation uint64        `json:"generation"`
	Created    bool          `json:"created"`  // the collection was new
	Replaced   string        `json:"replaced"` // the collection the alias left (deleted), if any
	Sent       int           `json:"sent"`     // vectors sent
	SetsSent   []uint32      `json:"sets_sent"`
	SetsKept   []uint32      `json:"sets_kept"` // unchanged since the last sync
	Deleted    int           `json:"deleted"`   // objects removed from the cluster
	Retries    int           `json:"retries"`   // batches sent again after a failure
	DryRun     bool          `json:"dry_run"`
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// collectionName is alias + "_" + 10 hex digits of a hash of the space's
// dimension and sorted model versions: a set of another model version
// makes a new collection, so one collection never mixes versions that the
// store no longer holds.
func collectionName(alias string, info store.SpaceInfo) string {
	var models []string
	for _, s := range info.Sets {
		models = append(models, s.Provenance.ModelVersion)
	}
	slices.Sort(models)
	models = slices.Compact(models)
	key := strconv.Itoa(info.Dim) + "\x00" + strings.Join(models, "\x00")
	if distanceOf(info.Name) != "cosine" {
		// A collection's distance cannot change: a space mirrored under
		// another distance than before gets a new collection. (Cosine
		// spaces keep the names they always had.)
		key += "\x00" + distanceOf(info.Name)
	}
	h := sha256.Sum256([]byte(key))
	return alias + "_" + hex.EncodeToString(h[:5])
}

// distanceOf is the Weaviate distance of space's collection: the embedded
// index's metric (vecindex.MetricOf), cosine or "dot" (−a·b) for the inner
// product of cell-genes.
func distanceOf(space string) string {
	if vecindex.MetricOf(space) == index.InnerProduct {
		return "dot"
	}
	return "cosine"
}

// ObjectID is the UUID of entity key in space: a name-based (version 5
// style, SHA-1) UUID, so resending a vector overwrites it instead of
// adding a copy.
func ObjectID(space string, key uint64) string {
	h := sha1.Sum([]byte("genestore\x00" + space + "\x00" + strconv.FormatUint(key, 10)))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func newCollection(class string, o SyncOptions) Collection {
	t := true
	return Collection{
		Class:           class,
		Description:     "genestore space " + o.Space,
		Vectorizer:      "none",
		VectorIndexType: "hnsw",
		VectorIndexConfig: &VectorIndexConfig{Distance: distanceOf(o.Space), MaxConnections: index.DefaultM,
			EfConstruction: index.DefaultEfConstruction, Ef: index.DefaultEfSearch},
		ShardingConfig:    &ShardingConfig{DesiredCount: o.Shards},
		ReplicationConfig: &ReplicationConfig{Factor: o.Replicas},
		Properties: []Property{
			{Name: PropKey, DataType: []string{"text"}, IndexFilterable: &t},
			{Name: PropDataset, DataType: []string{"int"}, IndexFilterable: &t},
			{Name: PropEntity, DataType: []string{"int"}, IndexFilterable: &t},
			{Name: PropName, DataType: []string{"text"}, IndexFilterable: &t},
			{Name: PropDatasetStr, DataType: []string{"text"}, IndexFilterable: &t},
			{Name: PropModel, DataType: []string{"text"}, IndexFilterable: &t},
			{Name: PropGeneration, DataType: []string{"int"}, IndexFilterable: &t},
		},
	}
}

// Sync makes the cluster behind c hold exactly the vectors of one space of
// db, and records what it holds in db (see State):
//
//   - an alias that already leads to another space's collection (aliases
//     drop punctuation and case) is refused with ErrMismatch before
//     anything is sent: give the space an alias of its own;
//   - the first sync creates the collection (vectorizer none, cosine or
//     "dot" as the space's metric, the embedded index's HNSW parameters,
//     Shards × Replicas), sends every vector and points the alias at it;
//   - later syncs send only the sets whose count, model version or write
//     time changed since the recorded state, and delete the objects of
//     sets the store no longer has;
//   - when the space's model versions change, a new collection is filled
//     and the alias moved to it in one step; then the old one is deleted.
//
// Objects have name-based UUIDs (ObjectID), so a sync that was interrupted
// and rerun overwrites what it had sent. Before the state is written, the
// per-dataset counts in the cluster are compared with the store's; a
// difference is repaired once (delete and resend the dataset) and is
// ErrMismatch if it remains.
func Sync(ctx context.Context, db *store.DB, c *Client, opts SyncOptions) (SyncReport, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return SyncReport{}, err
	}
	o := opts.withDefaults()
	var info store.SpaceInfo
	if err := db.View(func(tx *store.Tx) (err error) { info, err = tx.Space(o.Space); return err }); err != nil {
		return SyncReport{}, err
	}
	st, err := LoadState(db, o.Space, c.URL())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return SyncReport{}, err
	}
	class := collectionName(o.Alias, info)
	rep := SyncReport{Space: o.Space, Alias: o.Alias, Collection: class, Generation: info.Generation, DryRun: o.DryRun}
	if err := checkOwner(ctx, c, o); err != nil {
		return rep, err
	}

	_, err = c.GetCollection(ctx, class)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return rep, err
	}
	rep.Created = !exists
	// Which sets need sending: all of them unless the recorded state is of
	// this very collection.
	sent := map[uint32]SetState{}
	if exists && st.Collection == class {
		for _, s := range st.Sets {
			sent[s.Dataset] = s
		}
	}
	var todo []store.EmbeddingSet
	total := 0
	for _, s := range info.Sets {
		if prev, ok := sent[s.Dataset]; ok && prev == setState(s) {
			rep.SetsKept = append(rep.SetsKept, s.Dataset)
			continue
		}
		todo = append(todo, s)
		rep.SetsSent = append(rep.SetsSent, s.Dataset)
		total += s.Count
	}
	var gone []uint32 // recorded sets the store no longer has
	for ds := range sent {
		if !slices.ContainsFunc(info.Sets, func(s store.EmbeddingSet) bool { return s.Dataset == ds }) {
			gone = append(gone, ds)
		}
	}
	slices.Sort(gone)
	if o.DryRun {
		rep.Sent = total
		for _, ds := range gone {
			rep.Deleted += sent[ds].Count
		}
		rep.Elapsed = time.Since(start)
		return rep, nil
	}
	if !exists {
		if err := c.CreateCollection(ctx, newCollection(class, o)); err != nil {
			return rep, err
		}
	}
	done := 0
	for _, s := range todo {
		n, err := sendSet(ctx, db, c, o, class, info.Generation, s.Dataset, &done, total, &rep.Retries)
		rep.Sent += n
		if err != nil {
			return rep, err
		}
	}
	for _, ds := range gone {
		n, err := c.DeleteWhere(ctx, class, whereDataset(ds), o.Consistency)
		rep.Deleted += n
		if err != nil {
			return rep, err
		}
	}
	// Check the cluster against the store, dataset by dataset; repair once.
	// A collection created moments ago may not be in the GraphQL schema yet.
	if err := waitQueryable(ctx, c, class); err != nil {
		return rep, err
	}
	for attempt := 0; ; attempt++ {
		bad, extra, err := compareCounts(ctx, c, class, info)
		if err != nil {
			return rep, err
		}
		if len(bad) == 0 && len(extra) == 0 {
			break
		}
		if attempt == 1 {
			return rep, fmt.Errorf("%w: collection %s after repair: datasets with wrong counts %v, unknown datasets %v", ErrMismatch, class, bad, extra)
		}
		for _, ds := range append(bad, extra...) {
			n, err := c.DeleteWhere(ctx, class, whereDataset(ds), o.Consistency)
			rep.Deleted += n
			if err != nil {
				return rep, err
			}
		}
		for _, ds := range bad {
			n, err := sendSet(ctx, db, c, o, class, info.Generation, ds, &done, total, &rep.Retries)
			rep.Sent += n
			if err != nil {
				return rep, err
			}
		}
	}
	// Move the alias, then drop the collection it left.
	prev, err := c.Alias(ctx, o.Alias)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return rep, err
	}
	if err := c.SetAlias(ctx, o.Alias, class); err != nil {
		return rep, err
	}
	// Weaviate rebuilds its GraphQL schema after a schema change in the
	// background: wait until queries through the alias work, so that a
	// query right after Sync returns does not fail.
	if err := waitQueryable(ctx, c, o.Alias); err != nil {
		return rep, err
	}
	if prev != "" && prev != class {
		if err := c.DeleteCollection(ctx, prev); err != nil {
			return rep, err
		}
		rep.Replaced = prev
	}
	ns := State{Version: 1, URL: c.URL(), Space: o.Space, Alias: o.Alias, Collection: class,
		Generation: info.Generation, Synced: time.Now().UTC()}
	for _, s := range info.Sets {
		ns.Sets = append(ns.Sets, setState(s))
	}
	data, err := json.Marshal(ns)
	if err != nil {
		return rep, err
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.PutBlob(BlobKind, stateName(o.Space, c.URL()), data) }); err != nil {
		return rep, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func setState(s store.EmbeddingSet) SetState {
	return SetState{Dataset: s.Dataset, Count: s.Count, Model: s.Provenance.ModelVersion, Created: s.Provenance.Created.UTC()}
}

func whereDataset(ds uint32) Where {
	v := int64(ds)
	return Where{Operator: "Equal", Path: []string{PropDataset}, ValueInt: &v}
}

// compareCounts returns the store's datasets whose object count in class
// differs from the store's, and the dataset ids in class the store's space
// does not have.
func compareCounts(ctx context.Context, c *Client, class string, info store.SpaceInfo) (bad, extra []uint32, err error) {
	got, err := c.CountBy(ctx, class, PropDataset)
	if err != nil {
		return nil, nil, err
	}
	counts := map[uint32]int{}
	for v, n := range got {
		// Weaviate may print an int group value as "7" or "7e+00".
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > float64(^uint32(0)) || f != float64(uint32(f)) {
			return nil, nil, fmt.Errorf("%w: dataset value %q in %s", errDecode, v, class)
		}
		counts[uint32(f)] += n
	}
	for _, s := range info.Sets {
		if counts[s.Dataset] != s.Count {
			bad = append(bad, s.Dataset)
		}
		delete(counts, s.Dataset)
	}
	for ds := range counts {
		extra = append(extra, ds)
	}
	slices.Sort(extra)
	return bad, extra, nil
}

// sendSet sends every vector of dataset ds in o.Space in batches, with
// o.Workers batches in flight, and returns how many were sent.
func sendSet(ctx context.Context, db *store.DB, c *Client, o SyncOptions, class string, gen uint64, ds uint32, done *int, total int, retries *int) (int, error) {
	var (
		ids   []uint32
		dim   int
		vecs  []float32
		names []string
		dsn   = "consensus"
		model string
	)
	err := db.View(func(tx *store.Tx) error {
		var err error
		if ids, dim, vecs, err = tx.Embeddings(o.Space, ds); err != nil {
			return err
		}
		info, err := tx.Space(o.Space)
		if err != nil {
			return err
		}
		// One collection never mixes generations: vectors read after a
		// commit would join those of the generation the sync started at.
		if info.Generation != gen {
			return fmt.Errorf("%w: space %q is at generation %d, the sync began at %d", ErrChanged, o.Space, info.Generation, gen)
		}
		for _, s := range info.Sets {
			if s.Dataset == ds {
				model = s.Provenance.ModelVersion
			}
		}
		if ds != vocab.Consensus {
			d, err := tx.DatasetByID(ds)
			if err != nil {
				return err
			}
			dsn = d.Name
		}
		names = make([]string, len(ids))
		if vocab.IsCellSpace(o.Space) && ds != vocab.Consensus {
			bc, err := tx.Barcodes(ds)
			if err != nil {
				return err
			}
			for i, id := range ids {
				if int(id) < len(bc) {
					names[i] = bc[id]
				}
			}
			return nil
		}
		if o.Space == vocab.SpaceGenes || o.Space == vocab.SpaceCellGenes {
			for i, id := range ids {
				g, err := tx.Gene(id)
				if err != nil {
					return err
				}
				names[i] = g.Symbol
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	type batch struct{ lo, hi int }
	work := make(chan batch)
	var (
		mu   sync.Mutex
		sent int
		errs []error
		wg   sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				objs := make([]Object, 0, b.hi-b.lo)
				for i := b.lo; i < b.hi; i++ {
					key := vocab.EntityKey(ds, ids[i])
					objs = append(objs, Object{Class: class, ID: ObjectID(o.Space, key), Vector: vecs[i*dim : (i+1)*dim],
						Properties: map[string]any{PropKey: strconv.FormatUint(key, 10), PropDataset: int64(ds),
							PropEntity: int64(ids[i]), PropName: names[i], PropDatasetStr: dsn, PropModel: model,
							PropGeneration: int64(gen)}})
				}
				err := c.PutObjects(ctx, objs, o.Consistency)
				// A batch is idempotent (name-based UUIDs): resend it when
				// some objects failed or the request did, unless the server
				// refused it outright (4xx).
				wait := 500 * time.Millisecond
				for try := 0; err != nil && try < batchRetries && retryable(err) && ctx.Err() == nil; try++ {
					mu.Lock()
					*retries++
					mu.Unlock()
					select {
					case <-ctx.Done():
					case <-time.After(wait):
					}
					wait *= 2
					err = c.PutObjects(ctx, objs, o.Consistency)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					cancel()
				} else {
					sent += len(objs)
					*done += len(objs)
					if o.Progress != nil {
						o.Progress(*done, total)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for lo := 0; lo < len(ids); lo += o.BatchSize {
		select {
		case work <- batch{lo, min(lo+o.BatchSize, len(ids))}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		return sent, fmt.Errorf("space %q dataset %d: %w", o.Space, ds, errs[0])
	}
	return sent, ctx.Err()
}

// batchRetries is how many times sendSet resends a failed batch.
const batchRetries = 5

// retryable reports whether a failed batch is worth resending: whatever the
// client retries itself (transient), and also an answer it could not decode
// (a batch cut short), since objects have fixed ids and resending is
// idempotent.
func retryable(err error) bool {
	return transient(err) || errors.Is(err, errDecode)
}

// waitQueryable polls a count of a collection or alias until it answers
// (at most a minute).
func waitQueryable(ctx context.Context, c *Client, alias string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := c.Count(ctx, alias, nil)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("weaviate: alias %s not queryable after a minute: %w", alias, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// checkOwner refuses to sync o.Space through an alias that already leads
// to another space's collection: aliases drop punctuation and case
// ("pbmc-v1" and "pbmc_v1" are both GenestorePbmcV1), and syncing one
// would move the alias and delete the other's collection.
func checkOwner(ctx context.Context, c *Client, o SyncOptions) error {
	target, err := c.Alias(ctx, o.Alias)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	col, err := c.GetCollection(ctx, target)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	const prefix = "genestore space "
	if want := prefix + o.Space; col.Description != want && strings.HasPrefix(col.Description, prefix) {
		return fmt.Errorf("%w: alias %s leads to collection %s of space %q, not %q: give this space another alias (--alias)",
			ErrMismatch, o.Alias, target, strings.TrimPrefix(col.Description, prefix), o.Space)
	}
	return nil
}
