package classic

import (
	"context"
	"reflect"
	"testing"

	"genestore/train/grn"
)

// TestMemo: Evidence and then Infer sharing a Memo give exactly what they
// give without one, and Infer's GENIE3 and Spearman partial correlations of
// every view come from the memo (one hit each); a caller modifying what it
// got does not change what the memo gives next.
func TestMemo(t *testing.T) {
	ctx := context.Background()
	views := []grn.View{chain(300, 8, 1), chain(300, 8, 2), chain(300, 8, 3)}
	regs := []int32{0, 1, 4}
	o := DefaultOptions()
	o.Signs = false
	wantEv, err := Evidence(ctx, views, regs, o)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Infer(ctx, views, regs, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Memo = NewMemo()
	gotEv, err := Evidence(ctx, views, regs, o)
	if err != nil {
		t.Fatal(err)
	}
	hits := o.Memo.hits
	got, err := Infer(ctx, views, regs, o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotEv, wantEv) || !reflect.DeepEqual(got, want) {
		t.Fatal("results differ with a memo")
	}
	if n := o.Memo.Hits() - hits; n != 2*len(views) {
		t.Errorf("Infer after Evidence: %d memo hits, want %d (GENIE3 and spcor of each view)", n, 2*len(views))
	}
	// callers get copies
	o.Method = GENIE3
	a, _, err := scoreView(ctx, &views[0], 0, []int{0, 1, 4}, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		a[i] = -1
	}
	b, _, err := scoreView(ctx, &views[0], 0, []int{0, 1, 4}, o)
	if err != nil {
		t.Fatal(err)
	}
	if b[1] < 0 {
		t.Error("a caller's change to memoized scores reached the memo")
	}
	// another seed is another GENIE3
	o.Seed++
	h := o.Memo.hits
	if _, _, err := scoreView(ctx, &views[0], 0, []int{0, 1, 4}, o); err != nil {
		t.Fatal(err)
	}
	if o.Memo.hits != h {
		t.Error("GENIE3 with another seed came from the memo")
	}
}
