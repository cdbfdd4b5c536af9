package command

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"genestore/cmd/genestore/server"
	"genestore/query"
)

func TestServeCommand(t *testing.T) {
	db, _ := simStore(t)
	if _, err := run(t, "--store", db, "serve", "--addr", "0.0.0.0:0", "--token", ""); !errors.Is(err, server.ErrOptions) {
		t.Fatalf("non-loopback without a token: err %v, want server.ErrOptions", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	cmd := NewRootCommand()
	cmd.SetOut(io.Discard)
	cmd.SetErr(pw)
	cmd.SetArgs([]string{"--store", db, "serve", "--addr", "127.0.0.1:0", "--token", ""})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx); pw.Close() }()
	addrRE := regexp.MustCompile(`http://(\S+)`)
	sc := bufio.NewScanner(pr)
	var base string
	for sc.Scan() {
		if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
			base = "http://" + m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatalf("serve printed no address: %v", <-done)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/v1/genes/G00002/neighbors?k=3")
	if err != nil {
		t.Fatal(err)
	}
	var a query.GeneNeighbors
	err = json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(a.Neighbors) != 3 {
		t.Errorf("GET neighbors: %d %+v %v", resp.StatusCode, a, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
