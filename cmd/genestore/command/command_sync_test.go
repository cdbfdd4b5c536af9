package command

import (
	"context"
	"strings"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
	"genestore/weaviate"
	"genestore/weaviate/weaviatetest"
)

func TestSyncWeaviateFlags(t *testing.T) {
	db, _ := simStore(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sync", "weaviate"}, `required flag(s) "url"`},
		{[]string{"sync", "weaviate", "--url", "ftp://x"}, "want http(s)://host:port"},
		{[]string{"sync", "weaviate", "--url", "http://127.0.0.1:1", "--replicas", "0"}, "--replicas 0 is out of range"},
		{[]string{"neighbors", "--gene", "G00001", "--backend", "weaviate"}, "--backend weaviate needs --url"},
		{[]string{"neighbors", "--gene", "G00001", "--url", "http://127.0.0.1:1"}, "--url needs --backend weaviate"},
		{[]string{"neighbors", "--gene", "G00001", "--backend", "milvus"}, `--backend "milvus"`},
	} {
		_, err := run(t, append([]string{"--store", db}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("genestore %s: %v, want an error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestSyncWeaviateCommand syncs the simulated store's cell and gene spaces
// to one real Weaviate node and checks that neighbors through it answers
// what the embedded index answers.
func TestSyncWeaviateCommand(t *testing.T) {
	bin := weaviatetest.Require(t)
	cl, err := weaviatetest.Start(context.Background(), bin, t.TempDir(), weaviatetest.Options{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Stop)
	db, _ := simStore(t)
	url := cl.Nodes[0].URL()
	dry := decode[weaviate.SyncReport](t, mustRun(t, "--store", db, "sync", "weaviate", "--url", url, "--dry-run", "--json"))
	if !dry.DryRun || dry.Sent != 600 || !dry.Created {
		t.Fatalf("dry run %+v", dry)
	}
	for _, space := range []string{"cells", "genes"} {
		rep := decode[weaviate.SyncReport](t, mustRun(t, "--store", db, "sync", "weaviate", "--url", url, "--space", space, "--json"))
		if rep.Sent == 0 || rep.DryRun {
			t.Fatalf("sync %s: %+v", space, rep)
		}
	}
	again := mustRun(t, "--store", db, "sync", "weaviate", "--url", url)
	if !strings.Contains(again, "sent 0 vectors") {
		t.Errorf("second sync: %s", again)
	}
	args := []string{"--store", db, "neighbors", "--cell", querytest.Barcode(0, 3), "--dataset", "ds1", "-k", "8", "--json"}
	local := decode[query.CellNeighbors](t, mustRun(t, args...))
	remote := decode[query.CellNeighbors](t, mustRun(t, append(args, "--backend", "weaviate", "--url", url)...))
	if len(remote.Neighbors) != len(local.Neighbors) || remote.ModelVersion != local.ModelVersion {
		t.Fatalf("through weaviate %+v, embedded %+v", remote, local)
	}
	same := 0
	for i := range local.Neighbors {
		for j := range remote.Neighbors {
			if local.Neighbors[i].Barcode == remote.Neighbors[j].Barcode {
				same++
			}
		}
	}
	if same < len(local.Neighbors)-1 {
		t.Errorf("only %d of %d neighbours agree", same, len(local.Neighbors))
	}
	gl := decode[query.GeneNeighbors](t, mustRun(t, "--store", db, "neighbors", "--gene", "G00002", "-k", "5", "--json",
		"--backend", "weaviate", "--url", url))
	if len(gl.Neighbors) != 5 {
		t.Errorf("genes through weaviate: %+v", gl)
	}
}
