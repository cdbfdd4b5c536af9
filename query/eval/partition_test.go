package eval

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"genestore/query/cluster"
)

// TestMetricsRepeatBitForBit: NMI, macro-F1 and graph connectivity sum
// over maps; in map order their last bits changed from call to call (9
// distinct NMI values in 200 calls), and with them which of two
// resolutions giving the same partition BestClustering called best.
func TestMetricsRepeatBitForBit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	a, b := make([]int, 3000), make([]int, 3000)
	sa, sb := make([]string, len(a)), make([]string, len(a))
	for i := range a {
		a[i], b[i] = r.IntN(40), r.IntN(40)
		sa[i], sb[i] = strconv.Itoa(a[i]), strconv.Itoa(b[i])
	}
	nmi0, _ := NMI(a, b)
	f0, _ := MacroF1(sa, sb)
	for range 200 {
		if nmi, _ := NMI(a, b); nmi != nmi0 {
			t.Fatalf("NMI %v then %v on the same partitions", nmi0, nmi)
		}
		if f, _ := MacroF1(sa, sb); f != f0 {
			t.Fatalf("macro-F1 %v then %v on the same labels", f0, f)
		}
	}
}

// TestKNNTransferEmptyLabel: "" is a label like any other (a missing cell
// type); it once also meant "no best yet", so any label counted after it
// replaced it (B won 168 of 200 runs against three votes for "").
func TestKNNTransferEmptyLabel(t *testing.T) {
	ref := []float32{0, 0.1, 0.2, 0.3, 0.4, 5, 6}
	labels := []string{"", "", "", "B", "C", "B", "C"}
	for range 50 {
		got, err := KNNTransfer(ref, labels, []float32{0}, 1, 5, cluster.Euclidean)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != "" {
			t.Fatalf("three of five neighbours say \"\", predicted %q", got[0])
		}
	}
}

// TestSilhouetteSkipsSelf: an item's distance to itself is left out of a,
// as sklearn does; under cosine a zero vector is at distance 1 from itself,
// which made two zero vectors of one cluster score −0.5 (sklearn: 0).
func TestSilhouetteSkipsSelf(t *testing.T) {
	vecs := []float32{0, 0, 0, 0, 1, 0, 0.9, 0.1}
	s, err := SilhouetteSamples(vecs, 4, 2, []int{0, 0, 1, 1}, cluster.Cosine)
	if err != nil {
		t.Fatal(err)
	}
	if s[0] != 0 || s[1] != 0 {
		t.Errorf("zero vectors' silhouettes %v, %v; sklearn gives 0", s[0], s[1])
	}
}
