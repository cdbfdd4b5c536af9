// Package sampledata holds the small real datasets that `genestore demo`
// uses (two PBMC subsets as 10x Matrix Market folders, a mouse lung FPKM
// .h5ad, demo GO gene sets and aliases; README.md gives sources and
// licences), embedded in the binary so the demo runs from any folder.
//
// The files stay readable on disk here too; testdata/sample is a link to
// this folder for the tests that read them by path.
package sampledata

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FS holds the sample files under their paths in this folder
// ("pbmc_small/matrix.mtx.gz", "go/human_go_bp.demo.gmt", …).
//
//go:embed README.md go pbmc_small pbmc3k_sct283 lung_treutlein2014_mouse mob_spatial
var FS embed.FS

// Extract writes every sample file under dir (created if missing), keeping
// their relative paths, so readers that take paths can use them.
func Extract(dir string) error {
	return fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}

// HumanTFs returns the symbols of go/human_tfs.tsv: the human genes
// annotated to GO:0003700 (DNA-binding transcription factor activity) or
// a descendant term, any evidence (org.Hs.eg.db 3.16.0, GO release
// 2022-07-01), sorted; the candidate regulators of `train grn
// --regulators tfs`.
func HumanTFs() ([]string, error) {
	b, err := FS.ReadFile("go/human_tfs.tsv")
	if err != nil {
		return nil, err
	}
	var out []string
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if i == 0 {
			continue // header: symbol, entrez_id
		}
		sym, _, _ := strings.Cut(line, "\t")
		out = append(out, sym)
	}
	return out, nil
}
