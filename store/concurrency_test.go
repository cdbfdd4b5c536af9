package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestReadersDuringWrites runs readers in a loop while a writer adds
// datasets and embeddings: every reader transaction must see whole datasets
// (record, barcodes, matrix and embeddings agreeing) and never lose one it
// saw before. Run it with -race.
func TestReadersDuringWrites(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	const writes = 6
	want := make(map[string]int64)
	sets := make([]*struct {
		name string
		nnz  int64
	}, writes)
	for i := range sets {
		ds := randomDataset(uint64(100+i), fmt.Sprint("d", i), 3000+500*i, 400, 15, i%2 == 0)
		sets[i] = &struct {
			name string
			nnz  int64
		}{fmt.Sprint("d", i), int64(ds.X.NNZ())}
		want[sets[i].name] = sets[i].nnz
	}
	var (
		done   atomic.Bool
		reads  atomic.Int64
		wg     sync.WaitGroup
		errMu  sync.Mutex
		errors []string
	)
	fail := func(format string, a ...any) {
		errMu.Lock()
		errors = append(errors, fmt.Sprintf(format, a...))
		errMu.Unlock()
	}
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := 0
			for !done.Load() || seen < writes {
				err := db.View(func(tx *Tx) error {
					list, err := tx.Datasets()
					if err != nil {
						return err
					}
					if len(list) < seen {
						fail("reader saw %d datasets after seeing %d", len(list), seen)
					}
					seen = len(list)
					for _, d := range list {
						if d.NNZ != want[d.Name] {
							fail("dataset %s: nnz %d, want %d", d.Name, d.NNZ, want[d.Name])
						}
						m, err := tx.MatrixRows(d.ID, d.Cells-10, d.Cells)
						if err != nil {
							return err
						}
						if m.Rows != 10 {
							fail("dataset %s: %d rows", d.Name, m.Rows)
						}
						bc, err := tx.Barcodes(d.ID)
						if err != nil || len(bc) != d.Cells {
							fail("dataset %s: %d barcodes for %d cells (%v)", d.Name, len(bc), d.Cells, err)
						}
						ids, _, _, err := tx.Embeddings("cells", d.ID)
						if err != nil || len(ids) != d.Cells {
							fail("dataset %s: %d vectors for %d cells (%v)", d.Name, len(ids), d.Cells, err)
						}
					}
					return nil
				})
				if err != nil {
					fail("view: %v", err)
					return
				}
				reads.Add(1)
				if done.Load() && seen == writes {
					return
				}
			}
		}()
	}
	for i := 0; i < writes; i++ {
		ds := randomDataset(uint64(100+i), fmt.Sprint("d", i), 3000+500*i, 400, 15, i%2 == 0)
		err := db.Update(func(tx *Tx) error {
			info, err := tx.AddDataset(ctx, sets[i].name, ds, AddOptions{})
			if err != nil {
				return err
			}
			ids := make([]uint32, info.Cells)
			for j := range ids {
				ids[j] = uint32(j)
			}
			return tx.PutEmbeddings("cells", info.ID, ids, 4, make([]float32, 4*info.Cells), testProv)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	for _, e := range errors {
		t.Error(e)
	}
	if reads.Load() < writes {
		t.Errorf("only %d read transactions ran", reads.Load())
	}
	t.Logf("%d read transactions during %d writes", reads.Load(), writes)
}
