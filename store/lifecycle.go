package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Dataset lifecycle: removing and renaming a dataset's stored records.
// What other records derive from a dataset (models, consensus vectors,
// index snapshots) is the caller's to update in the same transaction
// (package pipeline's Drop and Rename do).

// BlobHistory is the blob kind of lifecycle records: DropDataset stores one
// JSON DropRecord per dropped dataset, named "drop-<id>".
const BlobHistory = "history"

// DropRecord is the provenance of a drop: the dataset as it was, when it
// went, which binary dropped it, and what went with it.
type DropRecord struct {
	Dataset DatasetInfo `json:"dataset"`
	Dropped time.Time   `json:"dropped"`
	By      string      `json:"by"`
	Removed DropStats   `json:"removed"`
}

// DropStats counts what DropDataset removed or marked.
type DropStats struct {
	Records     int            `json:"records"`     // keys under barcodes, cell_index, obs, matrix, dataset_genes
	EdgeLists   int            `json:"edge_lists"`  // co-expression adjacency lists
	Vectors     map[string]int `json:"vectors"`     // per space, the dataset's own vectors
	Layers      []string       `json:"layers"`      // derived layers
	Networks    []string       `json:"networks"`    // regulatory networks with a view from the dataset
	Clusterings int            `json:"clusterings"` // marked stale
	Predictions int            `json:"predictions"` // marked stale
}

// DropDataset removes dataset id and everything stored under it: its
// record and name, gene columns, barcodes, cell index, obs columns, matrix
// chunks, co-expression edges, derived layers, its own vectors in every
// space (not consensus vectors: see DeleteVectors), and the regulatory
// networks inferred with a view of it (their scores mix every view and
// cannot be recomputed without retraining). Clusterings of every space it
// had vectors in, and predictions computed from it, are marked stale. It
// stores a DropRecord (blob kind BlobHistory). The gene vocabulary keeps
// the dataset's genes. ErrNotFound when there is no such dataset.
//
// Every write happens in tx: the drop commits or rolls back as a whole.
func (tx *Tx) DropDataset(ctx context.Context, id uint32) (DropStats, error) {
	st := DropStats{Vectors: map[string]int{}}
	if err := tx.writable(); err != nil {
		return st, err
	}
	info, err := tx.DatasetByID(id)
	if err != nil {
		return st, err
	}
	key := u32key(id)
	for _, name := range [][]byte{bBarcodes, bCellIndex, bObs, bMatrix, bSpatial} {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		n, err := tx.deletePrefix(name, key)
		if err != nil {
			return st, err
		}
		st.Records += n
	}
	for _, name := range [][]byte{bDatasetGenes, bEdgeMeta, bDatasets} {
		n, err := tx.deletePrefix(name, key)
		if err != nil {
			return st, err
		}
		if !bytes.Equal(name, bDatasets) {
			st.Records += n
		}
	}
	names, err := tx.bucket(bDatasetNames)
	if err != nil {
		return st, err
	}
	if err := names.Delete([]byte(info.Name)); err != nil {
		return st, err
	}
	edges, err := tx.bucket(bEdges)
	if err != nil {
		return st, err
	}
	if eb := edges.Bucket(key); eb != nil {
		st.EdgeLists = eb.Stats().KeyN
		if err := edges.DeleteBucket(key); err != nil {
			return st, err
		}
	}
	layers, err := tx.Layers()
	if err != nil {
		return st, err
	}
	for _, l := range layers {
		if l.Dataset == id {
			if err := tx.DeleteLayer(id, l.Name); err != nil {
				return st, err
			}
			st.Layers = append(st.Layers, l.Name)
		}
	}
	spaces, err := tx.Spaces()
	if err != nil {
		return st, err
	}
	for _, sp := range spaces {
		for _, set := range sp.Sets {
			if set.Dataset != id {
				continue
			}
			if err := tx.DeleteEmbeddings(sp.Name, id); err != nil {
				return st, err
			}
			st.Vectors[sp.Name] = set.Count
			n, err := tx.markClusterings(sp.Name)
			if err != nil {
				return st, err
			}
			st.Clusterings += n
		}
	}
	nets, err := tx.Networks()
	if err != nil {
		return st, err
	}
	for _, n := range nets {
		if slices.ContainsFunc(n.Views, func(v string) bool { return viewOf(v, info.Name, names) }) || slices.Contains(n.Provenance.Datasets, id) {
			if err := tx.DeleteNetwork(n.Name); err != nil {
				return st, err
			}
			st.Networks = append(st.Networks, n.Name)
		}
	}
	if st.Predictions, err = tx.markPredictionsOf(info); err != nil {
		return st, err
	}
	rec, err := json.Marshal(DropRecord{Dataset: info, Dropped: tx.db.opts.now().UTC().Round(0), By: tx.db.versionString(), Removed: st})
	if err != nil {
		return st, err
	}
	return st, tx.PutBlob(BlobHistory, fmt.Sprintf("drop-%d", id), rec)
}

// viewOf reports whether a network view ("D" or "D:column=value") comes
// from dataset name. Dataset names may hold ':', so a view that starts
// with name+":" belongs to name only if no longer stored dataset name
// (a key of names, the dataset_names bucket) matches it: view "a:b" or
// "a:b:batch=x" is dataset "a:b"'s when there is one, not "a"'s.
func viewOf(view, name string, names *bolt.Bucket) bool {
	if view == name {
		return true
	}
	if !strings.HasPrefix(view, name+":") {
		return false
	}
	for i := len(view); i > len(name); i = strings.LastIndexByte(view[:i], ':') {
		if names.Get([]byte(view[:i])) != nil {
			return false
		}
	}
	return true
}

// deletePrefix deletes every key of top-level bucket name that starts
// with prefix and returns how many it deleted.
func (tx *Tx) deletePrefix(name, prefix []byte) (int, error) {
	b, err := tx.bucket(name)
	if err != nil {
		return 0, err
	}
	n := 0
	c := b.Cursor()
	// Seek again after each delete: a bbolt cursor's Next after Delete
	// skips a key.
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// markClusterings marks every clustering of space stale and counts them.
func (tx *Tx) markClusterings(space string) (int, error) {
	names, err := tx.Clusterings(space)
	if err != nil || len(names) == 0 {
		return 0, err
	}
	return len(names), tx.MarkClusteringsStale(space)
}

// markPredictionsOf marks stale the predictions computed from dataset d
// (its id in their provenance, or a name "<d>:..." as label transfer
// names them, unless a longer dataset name owns it as in viewOf) and
// counts them.
func (tx *Tx) markPredictionsOf(d DatasetInfo) (int, error) {
	root, err := tx.bucket(bPredictions)
	if err != nil {
		return 0, err
	}
	names, err := tx.bucket(bDatasetNames)
	if err != nil {
		return 0, err
	}
	type pk struct{ kind, name string }
	var hit []pk
	err = root.ForEachBucket(func(kn []byte) error {
		kind, kb := string(kn), root.Bucket(kn)
		return kb.ForEach(func(k, v []byte) error {
			p, err := decodePredictions(v)
			if err != nil {
				return fmt.Errorf("predictions %s/%s: %w", kind, k, err)
			}
			if !p.Stale && (slices.Contains(p.Provenance.Datasets, d.ID) || (strings.HasPrefix(string(k), d.Name+":") && viewOf(string(k), d.Name, names))) {
				hit = append(hit, pk{kind, string(k)})
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	for _, h := range hit {
		if err := tx.MarkPredictionsStale(h.kind, h.name); err != nil {
			return 0, err
		}
	}
	return len(hit), nil
}

// DeleteVectors removes the vectors of entities ids of dataset ds from
// space (absent ones are skipped), updates the set's count, removing the
// set when it empties, and bumps the space's generation. It returns how
// many it removed.
func (tx *Tx) DeleteVectors(space string, ds uint32, ids []uint32) (int, error) {
	if err := tx.writable(); err != nil {
		return 0, err
	}
	sb, info, err := tx.space(space, false)
	if err != nil {
		return 0, err
	}
	vb, setb := sb.Bucket(kSpaceVec), sb.Bucket(kSpaceSets)
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	n := 0
	for _, id := range slices.Compact(sorted) {
		k := u32u32key(ds, id)
		if vb.Get(k) == nil {
			continue
		}
		if err := vb.Delete(k); err != nil {
			return n, err
		}
		n++
	}
	if v := setb.Get(u32key(ds)); v != nil {
		set, err := decodeEmbeddingSet(v)
		if err != nil {
			return n, err
		}
		set.Count -= n
		if set.Count <= 0 {
			err = setb.Delete(u32key(ds))
		} else {
			err = setb.Put(u32key(ds), encodeEmbeddingSet(set))
		}
		if err != nil {
			return n, err
		}
	}
	info.Generation++
	return n, sb.Put(kSpaceInfo, encodeSpace(info))
}

// RenameDataset gives dataset old the name new (CheckDatasetName rules;
// ErrDatasetExists when taken, ErrNotFound when old is absent) and returns
// its record. The record, the name index and the views of regulatory
// networks that name the dataset change; every other record refers to the
// dataset by id.
func (tx *Tx) RenameDataset(old, new string) (DatasetInfo, error) {
	if err := tx.writable(); err != nil {
		return DatasetInfo{}, err
	}
	if err := CheckDatasetName(new); err != nil {
		return DatasetInfo{}, err
	}
	info, err := tx.DatasetByName(old)
	if err != nil {
		return DatasetInfo{}, err
	}
	names, err := tx.bucket(bDatasetNames)
	if err != nil {
		return DatasetInfo{}, err
	}
	if names.Get([]byte(new)) != nil {
		return DatasetInfo{}, fmt.Errorf("%w: %q (choose another name)", ErrDatasetExists, new)
	}
	dsets, err := tx.bucket(bDatasets)
	if err != nil {
		return DatasetInfo{}, err
	}
	info.Name = new
	if err := dsets.Put(u32key(info.ID), encodeDataset(info)); err != nil {
		return DatasetInfo{}, err
	}
	if err := names.Delete([]byte(old)); err != nil {
		return DatasetInfo{}, err
	}
	if err := tx.renameNetworkViews(old, new); err != nil {
		return DatasetInfo{}, err
	}
	return info, names.Put([]byte(new), u32key(info.ID))
}

// renameNetworkViews rewrites the views of stored regulatory networks that
// name dataset old (the view "old" or "old:column=value") to name new.
func (tx *Tx) renameNetworkViews(old, new string) error {
	root, err := tx.bucket(bRegulation)
	if err != nil {
		return err
	}
	names, err := tx.bucket(bDatasetNames)
	if err != nil {
		return err
	}
	return forEachNested(root, func(name string, b *bolt.Bucket) error {
		n, err := decodeNetwork(b.Get(kNetMeta))
		if err != nil {
			return fmt.Errorf("network %q: %w", name, err)
		}
		changed := false
		for i, v := range n.Views {
			if viewOf(v, old, names) {
				n.Views[i], changed = new+v[len(old):], true
			}
		}
		if !changed {
			return nil
		}
		return b.Put(kNetMeta, encodeNetwork(n))
	})
}

// DropRecords returns the stored drop records, oldest dataset id first.
func (tx *Tx) DropRecords() ([]DropRecord, error) {
	names, err := tx.Blobs(BlobHistory)
	if err != nil {
		return nil, err
	}
	var out []DropRecord
	for _, n := range names {
		if !strings.HasPrefix(n, "drop-") {
			continue
		}
		b, err := tx.Blob(BlobHistory, n)
		if err != nil {
			return nil, err
		}
		var r DropRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%w: history %s: %w", ErrCorrupt, n, err)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b DropRecord) int { return cmpU32(a.Dataset.ID, b.Dataset.ID) })
	return out, nil
}
