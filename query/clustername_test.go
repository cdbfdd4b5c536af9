package query_test

import (
	"strings"
	"testing"

	"genestore/query"
	"genestore/store"
)

// TestClusteringName pins the stored names of ordinary resolutions (stores
// written before must still find their clusterings) and checks that every
// valid resolution, however small, gives a name the store accepts.
func TestClusteringName(t *testing.T) {
	for _, tc := range []struct {
		method string
		r      float64
		want   string
	}{
		{"leiden", 1, "leiden_r1.0"},
		{"leiden", 0.66, "leiden_r0.66"},
		{"louvain", 0.5, "louvain_r0.5"},
		{"leiden", 2, "leiden_r2.0"},
		{"leiden", 1.5, "leiden_r1.5"},
		{"leiden", 0.1, "leiden_r0.1"},
		{"leiden", 0.00001, "leiden_r0.00001"},
		{"leiden", 1e-14, "leiden_r0.00000000000001"},
		{"leiden", 123456.25, "leiden_r123456.25"},
		{"leiden", 999999.9999999999, "leiden_r999999.9999999999"},
		{"leiden", 1e-300, "leiden_r1e-300"},
		{"louvain", 5e-324, "louvain_r5e-324"},
		{"leiden", 1.2345678901234567e-200, "leiden_r1.2345678901234567e-200"},
	} {
		got := query.ClusteringName(tc.method, tc.r)
		if got != tc.want {
			t.Errorf("ClusteringName(%q, %v) = %q, want %q", tc.method, tc.r, got, tc.want)
		}
		if len(got) > store.MaxNameLen || strings.ContainsAny(got, " \t\n") {
			t.Errorf("ClusteringName(%q, %v) = %q: not a valid store name", tc.method, tc.r, got)
		}
	}
}

// TestDefaultNetwork pins the rule grn export, eval grn, regulators and
// targets share when no network is named.
func TestDefaultNetwork(t *testing.T) {
	for _, c := range []struct {
		names []string
		want  string
		ok    bool
	}{
		{nil, "", false},
		{[]string{"solo"}, "solo", true},
		{[]string{"a", "default"}, "default", true},
		{[]string{"a", "b"}, "", false},
	} {
		if got, ok := query.DefaultNetwork(c.names); got != c.want || ok != c.ok {
			t.Errorf("%v: %q %v, want %q %v", c.names, got, ok, c.want, c.ok)
		}
	}
}
