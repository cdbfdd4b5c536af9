package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func testNetwork() (Network, []RegEdge) {
	n := Network{Name: "grn", Views: []string{"D1", "D2"}, Method: "genie3",
		Provenance: Provenance{Kind: "grn", ModelVersion: "genie3-v1", Created: fixedClock()}}
	edges := []RegEdge{
		{Regulator: 1, Target: 2, Score: 0.9, Sign: 1, Support: []float32{0.8, 1}},
		{Regulator: 1, Target: 3, Score: 0.5, Sign: -1, Support: []float32{0.4, 0.6}},
		{Regulator: 2, Target: 1, Score: 0.7, Sign: 0},
		{Regulator: 4, Target: 3, Score: 0.95, Sign: 1, Support: []float32{1, 0.9}},
	}
	return n, edges
}

func TestNetworkRoundTrip(t *testing.T) {
	db := openTemp(t)
	n, edges := testNetwork()
	if err := db.Update(func(tx *Tx) error { return tx.PutNetwork(n, edges) }); err != nil {
		t.Fatal(err)
	}
	err := db.View(func(tx *Tx) error {
		got, err := tx.Network("grn")
		if err != nil {
			return err
		}
		if got.Edges != 4 || got.Regulators != 3 || got.Targets != 3 || got.Method != "genie3" || !reflect.DeepEqual(got.Views, n.Views) {
			t.Errorf("network = %+v", got)
		}
		ts, err := tx.TargetsOf("grn", 1)
		if err != nil {
			return err
		}
		if want := []RegEdge{edges[0], edges[1]}; !reflect.DeepEqual(ts, want) {
			t.Errorf("TargetsOf(1) = %+v, want %+v", ts, want)
		}
		rs, err := tx.RegulatorsOf("grn", 3)
		if err != nil {
			return err
		}
		if want := []RegEdge{edges[3], edges[1]}; !reflect.DeepEqual(rs, want) { // best first
			t.Errorf("RegulatorsOf(3) = %+v, want %+v", rs, want)
		}
		if rs, _ := tx.RegulatorsOf("grn", 99); len(rs) != 0 {
			t.Errorf("unknown gene has regulators %v", rs)
		}
		var all []RegEdge
		if err := tx.EachRegEdge("grn", func(e RegEdge) error { all = append(all, e); return nil }); err != nil {
			return err
		}
		if len(all) != 4 || all[0].Regulator != 1 || all[0].Target != 2 || all[3].Regulator != 4 {
			t.Errorf("EachRegEdge = %+v", all)
		}
		if _, err := tx.Network("other"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing network: %v", err)
		}
		nets, err := tx.Networks()
		if err != nil || len(nets) != 1 || nets[0].Name != "grn" {
			t.Errorf("Networks = %v, %v", nets, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(context.Background()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// Replacing keeps only the new edges.
	if err := db.Update(func(tx *Tx) error { return tx.PutNetwork(n, edges[:1]) }); err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		if rs, _ := tx.RegulatorsOf("grn", 3); len(rs) != 0 {
			t.Errorf("replaced network still has edges into 3: %v", rs)
		}
		return nil
	})
	if err := db.Update(func(tx *Tx) error { return tx.DeleteNetwork("grn") }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.DeleteNetwork("grn") }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestNetworkRejectsBadEdges(t *testing.T) {
	db := openTemp(t)
	n, _ := testNetwork()
	tests := []struct {
		name  string
		n     Network
		edges []RegEdge
		want  string
	}{
		{"self-loop", n, []RegEdge{{Regulator: 1, Target: 1, Score: 1}}, "self-loop"},
		{"NaN", n, []RegEdge{{Regulator: 1, Target: 2, Score: float32(nan())}}, "score NaN"},
		{"sign", n, []RegEdge{{Regulator: 1, Target: 2, Sign: 2}}, "sign 2"},
		{"support", n, []RegEdge{{Regulator: 1, Target: 2, Support: []float32{1}}}, "1 support values for 2 views"},
		{"twice", n, []RegEdge{{Regulator: 1, Target: 2}, {Regulator: 1, Target: 2}}, "given twice"},
		{"name", Network{Name: "  "}, nil, "empty network name"},
	}
	for _, tt := range tests {
		err := db.Update(func(tx *Tx) error { return tx.PutNetwork(tt.n, tt.edges) })
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ErrInvalid containing %q", tt.name, err, tt.want)
		}
	}
	_ = db.View(func(tx *Tx) error {
		if nets, _ := tx.Networks(); len(nets) != 0 {
			t.Errorf("a failed put left networks %v", nets)
		}
		return nil
	})
}

// TestVerifyFindsNetworkDamage breaks one direction of a stored network and
// checks that Verify reports it.
func TestVerifyFindsNetworkDamage(t *testing.T) {
	db := openTemp(t)
	n, edges := testNetwork()
	if err := db.Update(func(tx *Tx) error { return tx.PutNetwork(n, edges) }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *Tx) error {
		in := tx.btx.Bucket(bRegulation).Bucket([]byte("grn")).Bucket(kNetIn)
		return in.Delete(u32key(3))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(context.Background()); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `network "grn"`) {
		t.Fatalf("Verify = %v, want ErrCorrupt naming the network", err)
	}
}

func FuzzNetworkRecord(f *testing.F) {
	n, _ := testNetwork()
	n.Edges, n.Regulators, n.Targets = 4, 3, 3
	fuzzCodec(f, networkVersion, [][]byte{encodeNetwork(n), encodeNetwork(Network{})}, decodeNetwork, encodeNetwork)
}

// regList is a decoded edge list with the view count it was written with,
// so the fuzzer can re-encode it.
type regList struct {
	es    []RegEdge
	views int
}

func FuzzRegList(f *testing.F) {
	_, edges := testNetwork()
	seeds := [][]byte{encodeRegList(edges[:2], 2, true), encodeRegList(nil, 0, true), encodeRegList(edges[2:3], 2, false)}
	fuzzCodec(f, regListVersion, seeds, func(v []byte) (regList, error) {
		es, err := decodeRegList(v, 7, true)
		if err != nil {
			return regList{}, err
		}
		views := 0
		if len(v) > 5 {
			d, _ := openRecord("x", v, regListVersion)
			d.uv()
			views = int(d.u8())
		}
		return regList{es, views}, nil
	}, func(r regList) []byte { return encodeRegList(r.es, r.views, true) })
}
