package command

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genestore/index"
	"genestore/store"
	"genestore/vecindex"
	"genestore/vocab"
)

// TestVerifyFindsFlippedVectorByte: a byte flipped inside a stored vector
// goes unnoticed by neighbors (it answers from the index snapshot), so
// verify must find it: it reports the bad record and exits non-zero.
func TestVerifyFindsFlippedVectorByte(t *testing.T) {
	path, _ := simStore(t)
	wdb, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, space := range []string{vocab.SpaceGenes, vocab.SpaceCells} {
		if _, err := vecindex.Rebuild(t.Context(), wdb, space, index.DefaultOptions()); err != nil {
			t.Fatal(err)
		}
	}
	wdb.Close()
	out := mustRun(t, "--store", path, "verify")
	if !strings.Contains(out, path+": ok") || strings.Contains(out, `note: index snapshot "genes"`) {
		t.Fatalf("verify on a sound store:\n%s", out)
	}
	// Find one consensus gene vector's bytes in the file and flip one.
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var vec []float32
	err = db.View(func(tx *store.Tx) (err error) {
		ids, _, _, err := tx.Embeddings(vocab.SpaceGenes, vocab.Consensus)
		if err != nil {
			return err
		}
		vec, err = tx.Embedding(vocab.SpaceGenes, vocab.Consensus, ids[len(ids)/2])
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 0, 4*len(vec))
	for _, x := range vec {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(file, raw)
	if at < 0 {
		t.Fatal("vector bytes not found in the file")
	}
	file[at+len(raw)/2] ^= 0x40
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "--store", path, "neighbors", "--gene", "G00002", "-k", "3"); err != nil {
		t.Logf("neighbors after the flip: %v", err)
	}
	out, err = run(t, "--store", path, "verify")
	if err == nil || !strings.Contains(out, "BAD: ") || !strings.Contains(out, "1 problem(s)") {
		t.Fatalf("verify after a flipped vector byte: err %v\n%s", err, out)
	}
	t.Logf("verify printed:\n%s", out)
	js, _ := run(t, "--store", path, "verify", "--json")
	rep := decode[verifyReport](t, js)
	if rep.OK || len(rep.Problems) == 0 {
		t.Fatalf("--json report %+v", rep)
	}
}

// TestVerifySnapshotMismatch: an index snapshot that is current but holds a
// vector the space does not is reported.
func TestVerifySnapshotMismatch(t *testing.T) {
	path, _ := simStore(t)
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error {
		v, err := vecindex.ReadVectors(tx, vocab.SpaceCells)
		if err != nil {
			return err
		}
		v.Vecs[3] += 0.5
		ix, err := vecindex.Build(t.Context(), v, index.DefaultOptions())
		if err != nil {
			return err
		}
		return vecindex.Save(tx, vocab.SpaceCells, ix)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "--store", path, "verify")
	if err == nil || !strings.Contains(out, `BAD: index snapshot "cells": vector (dataset 1, entity 0) differs`) {
		t.Fatalf("err %v\n%s", err, out)
	}
	// backup --verify checks the copy as verify does (it used to check the
	// records only and call this copy verified)
	cp := filepath.Join(t.TempDir(), "copy.db")
	if _, err := run(t, "--store", path, "backup", "--out", cp, "--verify"); err == nil || !strings.Contains(err.Error(), `index snapshot "cells"`) {
		t.Errorf("backup --verify of a store with a wrong snapshot: %v", err)
	}
}
