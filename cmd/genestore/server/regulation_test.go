package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"genestore/query/querytest"
	"genestore/store"
)

// putModuleNetwork stores network "default": the first gene of each
// module regulates the module's other genes.
func putModuleNetwork(t testing.TB, db *store.DB, tr *querytest.Truth) {
	t.Helper()
	first := map[int]int{}
	var edges []store.RegEdge
	for i, m := range tr.Module {
		r, ok := first[m]
		if !ok {
			first[m] = i
			continue
		}
		edges = append(edges, store.RegEdge{Regulator: tr.GeneIDs[r], Target: tr.GeneIDs[i], Score: 1 / float32(1+i), Sign: 1})
	}
	err := db.Update(func(tx *store.Tx) error {
		return tx.PutNetwork(store.Network{Name: "default", Views: []string{"ds1"}, Method: "test"}, edges)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRegulationRoutes(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f, nil)
	code, body, raw := get(t, h, "GET", "/v1/genes/"+f.tr.Symbols[0]+"/targets?k=3")
	if code != http.StatusOK || len(body["edges"].([]any)) != 3 || body["direction"] != "targets" {
		t.Fatalf("targets: %d %s", code, raw)
	}
	target := body["edges"].([]any)[0].(map[string]any)["symbol"].(string)
	code, body, raw = get(t, h, "GET", "/v1/genes/"+target+"/regulators")
	if code != http.StatusOK || body["edges"].([]any)[0].(map[string]any)["symbol"] != f.tr.Symbols[0] {
		t.Fatalf("regulators of %s: %d %s", target, code, raw)
	}
	if code, _, raw = get(t, h, "GET", "/v1/genes/"+target+"/regulators?k=0"); code != http.StatusBadRequest {
		t.Fatalf("k=0: %d %s", code, raw)
	}
	if code, _, raw = get(t, h, "GET", "/v1/genes/"+target+"/regulators?network=nope"); code != http.StatusNotFound {
		t.Fatalf("unknown network: %d %s", code, raw)
	}
	if code, _, raw = get(t, h, "GET", "/v1/networks"); code != http.StatusOK {
		t.Fatalf("networks: %d %s", code, raw)
	}
	code, body, raw = get(t, h, "GET", "/v1/genes/"+target+"/cluster")
	if code != http.StatusOK {
		t.Fatalf("cluster of %s: %d %s", target, code, raw)
	}
	id := int(body["cluster"].(float64))
	code, body, raw = get(t, h, "GET", "/v1/clusters/genes/"+strconv.Itoa(id)+"/regulators?top_fraction=1")
	if code != http.StatusOK || len(body["regulators"].([]any)) == 0 {
		t.Fatalf("upstream: %d %s", code, raw)
	}
	if code, _, raw = get(t, h, "GET", "/v1/clusters/cells/0/regulators"); code != http.StatusBadRequest {
		t.Fatalf("upstream of a cell cluster: %d %s", code, raw)
	}
}
