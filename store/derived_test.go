package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"genestore/vocab"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testProv = Provenance{Kind: "gene-model", ModelVersion: "gm-1", Params: json.RawMessage(`{"dim":8}`), Datasets: []uint32{1, 2}}

func TestEdges(t *testing.T) {
	db := openTemp(t)
	edges := []Edge{{1, 2, 0.5}, {3, 1, -0.25}, {2, 3, 0.125}, {7, 1, 1}}
	err := db.Update(func(tx *Tx) error { return tx.PutEdges(1, edges, testProv) })
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		got, err := tx.Edges(1)
		want := []Edge{{1, 2, 0.5}, {1, 3, -0.25}, {1, 7, 1}, {2, 3, 0.125}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Edges = %v, %v", got, err)
		}
		p, _ := tx.Partners(1, 1)
		if want := []Edge{{1, 2, 0.5}, {1, 3, -0.25}, {1, 7, 1}}; !reflect.DeepEqual(p, want) {
			t.Errorf("Partners(1) = %v", p)
		}
		if p, err := tx.Partners(1, 99); p != nil || err != nil {
			t.Errorf("Partners(99) = %v, %v", p, err)
		}
		if _, err := tx.Edges(2); !errors.Is(err, ErrNotFound) {
			t.Errorf("Edges(2): %v", err)
		}
		s, err := tx.EdgeSetInfo(1)
		if err != nil || s.Edges != 4 || s.Provenance.Kind != "gene-model" || !s.Provenance.Created.Equal(fixedClock()) {
			t.Errorf("EdgeSetInfo = %+v, %v", s, err)
		}
		return nil
	})
	// Replace.
	_ = db.Update(func(tx *Tx) error { return tx.PutEdges(1, []Edge{{5, 6, 2}}, testProv) })
	_ = db.View(func(tx *Tx) error {
		got, _ := tx.Edges(1)
		if !reflect.DeepEqual(got, []Edge{{5, 6, 2}}) {
			t.Errorf("after replace: %v", got)
		}
		return nil
	})
	for name, bad := range map[string][]Edge{
		"self-loop": {{1, 1, 1}},
		"repeated":  {{1, 2, 1}, {2, 1, 3}},
		"NaN":       {{1, 2, float32(nan())}},
	} {
		err := db.Update(func(tx *Tx) error { return tx.PutEdges(1, bad, testProv) })
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEmbeddings(t *testing.T) {
	db := openTemp(t)
	r := rand.New(rand.NewPCG(1, 2))
	ids := []uint32{9, 3, 5, 1}
	vecs := make([]float32, 4*3)
	for i := range vecs {
		vecs[i] = r.Float32()
	}
	err := db.Update(func(tx *Tx) error {
		if err := tx.PutEmbeddings("cells/v1", 1, ids, 3, vecs, testProv); err != nil {
			return err
		}
		return tx.PutEmbeddings("genes/v1", vocab.Consensus, []uint32{7}, 2, []float32{1, 2}, testProv)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		gotIDs, dim, gotVecs, err := tx.Embeddings("cells/v1", 1)
		if err != nil || dim != 3 || !reflect.DeepEqual(gotIDs, []uint32{1, 3, 5, 9}) {
			t.Fatalf("Embeddings = %v %d %v", gotIDs, dim, err)
		}
		pos := map[uint32]int{9: 0, 3: 1, 5: 2, 1: 3}
		for i, id := range gotIDs {
			if !reflect.DeepEqual(gotVecs[i*3:i*3+3], vecs[pos[id]*3:pos[id]*3+3]) {
				t.Errorf("vector of %d differs", id)
			}
		}
		v, err := tx.Embedding("cells/v1", 1, 5)
		if err != nil || !reflect.DeepEqual(v, vecs[6:9]) {
			t.Errorf("Embedding = %v, %v", v, err)
		}
		if _, err := tx.Embedding("cells/v1", 2, 5); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing vector: %v", err)
		}
		vr, err := tx.VectorReader("cells/v1")
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]float32, 0, 3)
		for i, id := range ids {
			if buf, err = vr.Vector(1, id, buf); err != nil || !reflect.DeepEqual(buf, vecs[i*3:i*3+3]) {
				t.Errorf("VectorReader.Vector(1, %d) = %v, %v", id, buf, err)
			}
		}
		if _, err := vr.Vector(1, 4, buf); !errors.Is(err, ErrNotFound) {
			t.Errorf("VectorReader, missing vector: %v", err)
		}
		if _, err := tx.VectorReader("nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("VectorReader of a missing space: %v", err)
		}
		spaces, _ := tx.Spaces()
		if len(spaces) != 2 || spaces[0].Name != "cells/v1" || spaces[0].Generation != 1 || spaces[0].Sets[0].Count != 4 ||
			spaces[1].Sets[0].Dataset != vocab.Consensus {
			t.Errorf("Spaces = %+v", spaces)
		}
		return nil
	})
	// Upsert bumps the generation and keeps other vectors.
	err = db.Update(func(tx *Tx) error {
		return tx.PutEmbeddings("cells/v1", 1, []uint32{5, 11}, 3, []float32{0, 0, 0, 1, 1, 1}, testProv)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		g, _ := tx.Generation("cells/v1")
		s, _ := tx.Space("cells/v1")
		ids, _, _, _ := tx.Embeddings("cells/v1", 1)
		if g != 2 || s.Sets[0].Count != 5 || len(ids) != 5 {
			t.Errorf("after upsert: gen %d count %d ids %v", g, s.Sets[0].Count, ids)
		}
		if g, err := tx.Generation("nope"); g != 0 || err != nil {
			t.Errorf("Generation(nope) = %d, %v", g, err)
		}
		return nil
	})
	err = db.Update(func(tx *Tx) error { return tx.DeleteEmbeddings("cells/v1", 1) })
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		ids, _, _, err := tx.Embeddings("cells/v1", 1)
		g, _ := tx.Generation("cells/v1")
		if len(ids) != 0 || err != nil || g != 3 {
			t.Errorf("after delete: %v %v gen %d", ids, err, g)
		}
		return nil
	})
	// The emptied space takes the next write's dimension (a model retrained
	// with another latent size).
	err = db.Update(func(tx *Tx) error {
		return tx.PutEmbeddings("cells/v1", 1, []uint32{1}, 4, make([]float32, 4), testProv)
	})
	if err != nil {
		t.Errorf("write of another dimension into an emptied space: %v", err)
	}
	for name, f := range map[string]func(tx *Tx) error{
		"dim mismatch": func(tx *Tx) error {
			return tx.PutEmbeddings("genes/v1", 1, []uint32{1}, 4, make([]float32, 4), testProv)
		},
		"length": func(tx *Tx) error {
			return tx.PutEmbeddings("genes/v1", 1, []uint32{1}, 2, make([]float32, 4), testProv)
		},
		"repeated id": func(tx *Tx) error { return tx.PutEmbeddings("x", 1, []uint32{1, 1}, 1, make([]float32, 2), testProv) },
		"NaN": func(tx *Tx) error {
			return tx.PutEmbeddings("x", 1, []uint32{1}, 1, []float32{float32(nan())}, testProv)
		},
		"zero dim": func(tx *Tx) error { return tx.PutEmbeddings("x", 1, nil, 0, nil, testProv) },
	} {
		if err := db.Update(f); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBlobs(t *testing.T) {
	db := openTemp(t)
	r := rand.New(rand.NewPCG(3, 4))
	sizes := []int{0, 1, BlobChunkSize - 1, BlobChunkSize, 2*BlobChunkSize + 17}
	blobs := make([][]byte, len(sizes))
	for i, n := range sizes {
		blobs[i] = make([]byte, n)
		for j := range blobs[i] {
			blobs[i][j] = byte(r.Uint32())
		}
		name := string(rune('a' + i))
		if err := db.PutBlob("model", name, blobs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range sizes {
		got, err := db.Blob("model", string(rune('a'+i)))
		if err != nil || !bytes.Equal(got, blobs[i]) {
			t.Errorf("blob %d (%d bytes): %v", i, sizes[i], err)
		}
	}
	// Replace with a shorter one: no stale chunks remain.
	if err := db.PutBlob("model", "e", []byte("short")); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Blob("model", "e"); string(got) != "short" {
		t.Errorf("replaced blob = %q", got)
	}
	_ = db.View(func(tx *Tx) error {
		names, _ := tx.Blobs("model")
		if !reflect.DeepEqual(names, []string{"a", "b", "c", "d", "e"}) {
			t.Errorf("Blobs = %v", names)
		}
		return nil
	})
	// Corrupt one byte of a chunk: ErrCorrupt.
	_ = db.Update(func(tx *Tx) error {
		b := tx.btx.Bucket(bBlobs).Bucket([]byte("model")).Bucket([]byte("d"))
		v := append([]byte(nil), b.Get(u32key(0))...)
		v[100] ^= 1
		return b.Put(u32key(0), v)
	})
	if _, err := db.Blob("model", "d"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("corrupt chunk: %v", err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.DeleteBlob("model", "d") }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Blob("model", "d"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted blob: %v", err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.DeleteBlob("model", "d") }); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestClusteringsAndAnnotations(t *testing.T) {
	db := openTemp(t)
	ids := []uint64{vocab.EntityKey(1, 0), vocab.EntityKey(1, 1), vocab.EntityKey(2, 0)}
	labels := []int32{0, 1, -1}
	sets := []GeneSet{{"GO:1", "t cell activation", []string{"CD3E", "CD4"}}, {"GO:2", "empty", nil}}
	rows := []Prediction{{vocab.EntityKey(1, 0), "T cell", 0.9, []uint32{1, 2}}, {vocab.EntityKey(1, 1), "B cell", 0.4, nil}}
	err := db.Update(func(tx *Tx) error {
		if err := tx.PutClustering("cells/v1", "leiden-1.0", ids, labels, testProv); err != nil {
			return err
		}
		if err := tx.PutCollection("go_bp", sets); err != nil {
			return err
		}
		return tx.PutPredictions("cell-type", "pbmc", rows, testProv)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		c, err := tx.Clustering("cells/v1", "leiden-1.0")
		if err != nil || !reflect.DeepEqual(c.IDs, ids) || !reflect.DeepEqual(c.Labels, labels) || c.Stale {
			t.Errorf("Clustering = %+v, %v", c, err)
		}
		if err := tx.MarkClusteringsStale("cells/v1"); err != nil {
			return err
		}
		if c, _ := tx.Clustering("cells/v1", "leiden-1.0"); !c.Stale || !reflect.DeepEqual(c.Labels, labels) {
			t.Errorf("not stale after MarkClusteringsStale")
		}
		if names, _ := tx.Clusterings("cells/v1"); !reflect.DeepEqual(names, []string{"leiden-1.0"}) {
			t.Errorf("Clusterings = %v", names)
		}
		got, err := tx.Collection("go_bp")
		if err != nil || !reflect.DeepEqual(got, []GeneSet{sets[0], {"GO:2", "empty", []string{}}}) {
			t.Errorf("Collection = %+v, %v", got, err)
		}
		p, err := tx.Predictions("cell-type", "pbmc")
		if err != nil || !reflect.DeepEqual(p.Rows, rows) || p.Provenance.ModelVersion != "gm-1" {
			t.Errorf("Predictions = %+v, %v", p, err)
		}
		if err := tx.MarkPredictionsStale("cell-type", "pbmc"); err != nil {
			return err
		}
		if p, _ := tx.Predictions("cell-type", "pbmc"); !p.Stale {
			t.Errorf("predictions not stale")
		}
		if _, err := tx.Clustering("cells/v1", "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing clustering: %v", err)
		}
		if err := tx.PutClustering("s", "n", ids, labels[:1], testProv); !errors.Is(err, ErrInvalid) {
			t.Errorf("length mismatch: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEntityKey(t *testing.T) {
	for _, c := range [][2]uint32{{0, 0}, {1, 2}, {vocab.Consensus, 0xFFFFFFFE}, {7, 0xFFFFFFFF}} {
		k := vocab.EntityKey(c[0], c[1])
		if d, i := vocab.SplitEntityKey(k); d != c[0] || i != c[1] {
			t.Errorf("round trip %v → %x → %d %d", c, k, d, i)
		}
	}
	if vocab.EntityKey(1, 0xFFFFFFFF) >= vocab.EntityKey(2, 0) {
		t.Error("keys do not sort by dataset first")
	}
}

func TestProvenanceCreatedKept(t *testing.T) {
	db := openTemp(t)
	p := testProv
	p.Created = time.Date(2020, 5, 6, 7, 8, 9, 10, time.UTC)
	_ = db.Update(func(tx *Tx) error { return tx.PutEdges(1, []Edge{{1, 2, 1}}, p) })
	_ = db.View(func(tx *Tx) error {
		s, _ := tx.EdgeSetInfo(1)
		if !s.Provenance.Created.Equal(p.Created) || !reflect.DeepEqual(s.Provenance.Datasets, p.Datasets) ||
			string(s.Provenance.Params) != string(p.Params) {
			t.Errorf("provenance %+v", s.Provenance)
		}
		return nil
	})
}

// TestVerify fills a store with one of everything, verifies it, then
// corrupts single values and checks Verify names each problem.
func TestVerify(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if _, err := db.AddDataset(ctx, "a", randomDataset(1, "a", 5000, 100, 10, true), AddOptions{}); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *Tx) error {
		if err := tx.PutEdges(1, []Edge{{1, 2, 1}}, testProv); err != nil {
			return err
		}
		if err := tx.PutEmbeddings("s", 1, []uint32{1, 2}, 2, []float32{1, 2, 3, 4}, testProv); err != nil {
			return err
		}
		if err := tx.PutBlob("k", "n", []byte("data")); err != nil {
			return err
		}
		if err := tx.PutClustering("s", "c", []uint64{1}, []int32{0}, testProv); err != nil {
			return err
		}
		if err := tx.PutCollection("go", []GeneSet{{"1", "x", []string{"A"}}}); err != nil {
			return err
		}
		return tx.PutPredictions("k", "p", []Prediction{{1, "T", 1, nil}}, testProv)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatalf("clean store: %v", err)
	}
	flip := func(path ...[]byte) func(tx *Tx) error {
		return func(tx *Tx) error {
			b := tx.btx.Bucket(path[0])
			for _, p := range path[1 : len(path)-1] {
				b = b.Bucket(p)
			}
			k := path[len(path)-1]
			v := append([]byte(nil), b.Get(k)...)
			v[len(v)/2] ^= 0x10
			return b.Put(k, v)
		}
	}
	cases := []struct {
		name string
		fn   func(tx *Tx) error
		want string
	}{
		{"matrix chunk", flip(bMatrix, u32u32key(1, 4096)), "matrix chunk"},
		{"gene", flip(bGenes, u32key(3)), "gene record"},
		{"adjacency", flip(bEdges, u32key(1), u32key(2)), "adjacency"},
		{"vector", flip(bEmbeddings, []byte("s"), kSpaceVec, u32u32key(1, 2)), "vector"},
		{"blob", flip(bBlobs, []byte("k"), []byte("n"), u32key(0)), "blob chunk"},
		{"clustering", flip(bClusterings, []byte("s"), []byte("c")), "clustering"},
		{"obs", flip(bObs, u32strkey(1, "batch")), "obs column"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := db.Update(tc.fn); err != nil {
				t.Fatal(err)
			}
			err := db.Verify(ctx)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify = %v, want ErrCorrupt naming %q", err, tc.want)
			}
			if err := db.Update(tc.fn); err != nil { // flip back
				t.Fatal(err)
			}
			if err := db.Verify(ctx); err != nil {
				t.Fatalf("after repair: %v", err)
			}
		})
	}
}
