package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
}
