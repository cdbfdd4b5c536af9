package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genestore/store"
	"genestore/vocab"
)

// TestActivityThenIngest converts a small peaks folder into gene activity
// and ingests it as an atac-activity dataset.
func TestActivityThenIngest(t *testing.T) {
	dir := t.TempDir()
	peaks := filepath.Join(dir, "peaks")
	if err := os.MkdirAll(peaks, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		filepath.Join(peaks, "peaks.bed"):    "chr1\t100\t300\nchr1\t1500\t1600\nchr2\t5500\t5600\n",
		filepath.Join(peaks, "barcodes.tsv"): "AAAC-1\nAAAG-1\n",
		filepath.Join(peaks, "matrix.mtx"):   "%%MatrixMarket matrix coordinate integer general\n3 2 4\n1 1 2\n2 1 1\n3 2 3\n2 2 1\n",
		filepath.Join(dir, "genes.bed"):      "chr1\t1000\t2000\tCD3E\t0\t+\nchr2\t5000\t6000\tMS4A1\t0\t-\n",
	}
	for p, body := range files {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	act := filepath.Join(dir, "act")
	out := mustRun(t, "activity", "--peaks", peaks, "--genes", filepath.Join(dir, "genes.bed"), "--out", act)
	if !strings.Contains(out, "2 of 2 annotated genes overlapped by 3 peaks") {
		t.Errorf("activity output: %s", out)
	}
	db := filepath.Join(dir, "s.db")
	mustRun(t, "--store", db, "ingest", "--name", "atac", "--modality", "atac-activity", act)
	var list []store.DatasetInfo
	if err := json.Unmarshal([]byte(mustRun(t, "--store", db, "datasets", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Modality != vocab.ATACActivity || list[0].Cells != 2 || list[0].Genes != 2 {
		t.Errorf("dataset record: %+v", list)
	}
	if _, err := run(t, "activity", "--peaks", filepath.Join(dir, "nope"), "--genes", filepath.Join(dir, "genes.bed"), "--out", filepath.Join(dir, "x")); err == nil {
		t.Error("a missing peaks folder was accepted")
	}
}

// activity refuses --out equal to --peaks instead of overwriting the input
// and exiting 0.
func TestActivityOutIsPeaks(t *testing.T) {
	dir := t.TempDir()
	peaks := filepath.Join(dir, "peaks")
	if err := os.MkdirAll(peaks, 0o755); err != nil {
		t.Fatal(err)
	}
	mtx := "%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 2\n"
	files := map[string]string{
		filepath.Join(peaks, "peaks.bed"):    "chr1\t100\t300\n",
		filepath.Join(peaks, "barcodes.tsv"): "AAAC-1\n",
		filepath.Join(peaks, "matrix.mtx"):   mtx,
		filepath.Join(dir, "genes.bed"):      "chr1\t0\t2000\tCD3E\t0\t+\n",
	}
	for p, body := range files {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := run(t, "activity", "--peaks", peaks, "--genes", filepath.Join(dir, "genes.bed"), "--out", peaks)
	if err == nil || !strings.Contains(err.Error(), "peaks folder") {
		t.Errorf("--out = --peaks: %v", err)
	}
	if _, err := os.Stat(filepath.Join(peaks, "matrix.mtx.gz")); err == nil {
		t.Error("activity wrote into the peaks folder")
	}
	if b, _ := os.ReadFile(filepath.Join(peaks, "matrix.mtx")); string(b) != mtx {
		t.Error("the input matrix changed")
	}
}
