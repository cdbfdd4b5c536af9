package command

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexCommand lists a demo store's indexes, turns the genes space to
// int8 and checks that a query answers as before and the setting sticks.
func TestIndexCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	db := filepath.Join(t.TempDir(), "demo.db")
	mustRun(t, "demo", "--quick", "--out", db)
	list := mustRun(t, "--store", db, "index")
	for _, want := range []string{"SPACE", "genes", "cells", "cell-genes", "float32 ip", "float32 cosine"} {
		if !strings.Contains(list, want) {
			t.Errorf("index list lacks %q:\n%s", want, list)
		}
	}
	before := mustRun(t, "--store", db, "neighbors", "--gene", "CD79A", "-k", "8")
	set := mustRun(t, "--store", db, "index", "--space", "genes", "--quantize", "int8", "--M", "12")
	if !strings.Contains(set, "int8 M=12 efC=default ef=default") || !strings.Contains(set, "int8 cosine M=12") {
		t.Errorf("index --quantize int8 printed:\n%s", set)
	}
	if after := mustRun(t, "--store", db, "neighbors", "--gene", "CD79A", "-k", "8"); after != before {
		t.Errorf("neighbors changed under int8:\n%s\nwas\n%s", after, before)
	}
	// verify compares an int8 snapshot with the stored vectors as encoded.
	if out, err := run(t, "--store", db, "verify"); err != nil || strings.Contains(out, "BAD") {
		t.Errorf("verify of the int8 store: %v\n%s", err, out)
	}
	var ds []struct {
		Space    string
		Settings struct {
			Quantize string
			M        int
		}
		Snapshot struct {
			Quantize string
			M        int
		}
		Current bool
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--store", db, "index", "--space", "genes", "--json")), &ds); err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Settings.Quantize != "int8" || ds[0].Settings.M != 12 || ds[0].Snapshot.Quantize != "int8" || !ds[0].Current {
		t.Errorf("index --json: %+v", ds)
	}
	// A flag not given keeps the saved setting: --ef alone leaves the space
	// int8 with M 12 (it used to revert it to float32 and M 16).
	if out := mustRun(t, "--store", db, "index", "--space", "genes", "--ef", "40"); !strings.Contains(out, "int8 M=12 efC=default ef=40") || !strings.Contains(out, "int8 cosine M=12") {
		t.Errorf("index --ef 40 after int8 M 12 printed:\n%s", out)
	}
	for _, bad := range [][]string{
		{"index", "--quantize", "int8"},
		{"index", "--space", "genes", "--quantize", "int4"},
		{"index", "--space", "genes", "--M", "1"},
		{"index", "--space", "nope", "--quantize", "int8"},
		{"index", "--space", "nope"},
	} {
		if out, err := run(t, append([]string{"--store", db}, bad...)...); err == nil {
			t.Errorf("%v succeeded: %s", bad, out)
		}
	}
	// A build beam below M would be raised to M: refused, naming the minimum.
	if _, err := run(t, "--store", db, "index", "--space", "cells", "--ef-construction", "5"); err == nil ||
		!strings.Contains(err.Error(), "ef-construction 5 is below its minimum") || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("index --ef-construction 5: %v", err)
	}
}
