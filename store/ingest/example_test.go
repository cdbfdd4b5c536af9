package ingest_test

import (
	"context"
	"errors"
	"fmt"

	"genestore/store/ingest"
)

func ExampleRead() {
	ds, err := ingest.Read(context.Background(), "../../testdata/ingest/tiny_v3", ingest.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d cells × %d genes, %d values, %s\n", ds.Format, ds.X.Rows, ds.X.Cols, ds.X.NNZ(), ds.Values)
	fmt.Println(ds.Barcodes[0], ds.Genes[0].ID, ds.Genes[0].Symbol, ds.Column("cell_type").Values[0])
	// Output:
	// mtx: 4 cells × 5 genes, 8 values, counts
	// AAAC-1 ENSG1 GeneA T cell
}

func ExampleRead_errors() {
	_, err := ingest.Read(context.Background(), "../../testdata/bad/mtx_negative", ingest.Options{})
	fmt.Println(errors.Is(err, ingest.ErrValue))
	fmt.Println(err)
	// Output:
	// true
	// ingest: bad value: ../../testdata/bad/mtx_negative/matrix.mtx.gz:6: negative value -5 (gene 2, cell 2)
}

func ExampleOptions_Validate() {
	err := ingest.Options{Format: "xlsx", Values: "tpm"}.Validate()
	fmt.Println(err)
	// Output:
	// ingest: invalid options: unknown format "xlsx" (want auto, mtx, h5ad, 10x-h5 or csv)
	// ingest: invalid options: unknown value type "tpm" (want counts, normalized or log)
}

func ExampleLoadBadInputs() {
	cases, err := ingest.LoadBadInputs("../../testdata/bad")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(cases) >= 40)
	// Output: true
}
