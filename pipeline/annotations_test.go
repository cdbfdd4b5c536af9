package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genestore/store"
)

func TestAnnotationOptionsValidate(t *testing.T) {
	bad := []AnnotationOptions{
		{},
		{GMT: "a.gmt"},
		{GMT: "a.gmt", GAF: "b.gaf", Name: "x"},
		{Aliases: "a.tsv", Name: "x"},
	}
	for _, o := range bad {
		if err := o.Validate(); !errors.Is(err, ErrAnnotationOptions) {
			t.Errorf("%+v: %v, want ErrAnnotationOptions", o, err)
		}
	}
	if err := (AnnotationOptions{GAF: "a.gaf", Name: "go"}).Validate(); err != nil {
		t.Error(err)
	}
}

// TestLoadAnnotations stores a GMT collection through the library call and
// lists it.
func TestLoadAnnotations(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "s.db"), &store.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gmt := filepath.Join(dir, "sets.gmt")
	if err := os.WriteFile(gmt, []byte("SET:1\tfirst\tCD3E\tMS4A1\nSET:2\tsecond\tLYZ\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := LoadAnnotations(context.Background(), db, AnnotationOptions{GMT: gmt, Name: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "collection" || rep.Sets != 2 || rep.Genes != 3 || rep.InStore != 0 {
		t.Errorf("report %+v", rep)
	}
	list, err := Collections(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0] != (CollectionInfo{Name: "demo", Sets: 2, Genes: 3}) {
		t.Errorf("collections %+v", list)
	}
	// A file with no sets (comments only; a GAF of header and NOT rows)
	// or no aliases is an error and leaves what is stored alone (it used to
	// replace the collection with 0 sets); a byte-order mark is not part of
	// the first set's ID.
	for name, c := range map[string]struct {
		body string
		o    AnnotationOptions
	}{
		"empty.gmt": {"# nothing\n\n", AnnotationOptions{Name: "demo"}},
		"not.gaf": {"!gaf-version: 2.2\nUniProtKB\tP1\tCD3E\tNOT\tGO:0000001\tR\tIDA\t\tP\t\t\tprotein\ttaxon:9606\t20200101\tX\n",
			AnnotationOptions{Name: "demo"}},
		"aliases.tsv": {"alias\tsymbol\n", AnnotationOptions{}},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		o := c.o
		switch filepath.Ext(name) {
		case ".gmt":
			o.GMT = p
		case ".gaf":
			o.GAF = p
		default:
			o.Aliases = p
		}
		if _, err := LoadAnnotations(context.Background(), db, o); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an error naming the file", name, err)
		}
	}
	if list, _ := Collections(context.Background(), db); len(list) != 1 || list[0].Sets != 2 {
		t.Errorf("collections after the empty files: %+v", list)
	}
	bom := filepath.Join(dir, "bom.gmt")
	if err := os.WriteFile(bom, []byte("\ufeffSET:9\tninth\tCD3E\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAnnotations(context.Background(), db, AnnotationOptions{GMT: bom, Name: "bom"}); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *store.Tx) error {
		sets, err := tx.Collection("bom")
		if err == nil && (len(sets) != 1 || sets[0].ID != "SET:9") {
			err = fmt.Errorf("sets %+v", sets)
		}
		return err
	})
	if err != nil {
		t.Errorf("byte-order mark: %v", err)
	}
}
