// Package weaviatetest starts real Weaviate server processes on loopback
// for tests and benchmarks: a cluster of N nodes, each with its own ports
// and data directory, that can be killed (SIGKILL) and restarted.
//
// The server binary is found through the environment variable BinEnv
// (GENESTORE_WEAVIATE_BIN), which .ci/run sets after installing the pinned
// version with go install. Binary returns "" when it is unset; tests then
// skip, except in CI (CI set), where they fail.
package weaviatetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BinEnv names the environment variable holding the weaviate-server path.
const BinEnv = "GENESTORE_WEAVIATE_BIN"

// Version is the Weaviate release .ci/run installs.
const Version = "v1.35.2"

// Binary returns the weaviate-server path from BinEnv, or "" when unset.
func Binary() string { return os.Getenv(BinEnv) }

// Require returns the server binary, skipping t when BinEnv is unset
// outside CI and failing it in CI or when the path is not executable.
func Require(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set in CI: .ci/run installs weaviate-server %s and sets it", BinEnv, Version)
		}
		t.Skipf("%s not set: no Weaviate server to test against (go install github.com/weaviate/weaviate/cmd/weaviate-server@%s)", BinEnv, Version)
	}
	if st, err := os.Stat(bin); err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable file: %v", BinEnv, bin, err)
	}
	return bin
}

// Node is one server process and its ports.
type Node struct {
	Name                     string
	HTTP, GRPC, Gossip, Raft int
	Dir                      string
	cmd                      *exec.Cmd
	done                     chan struct{}
	logPath                  string
}

// URL is the node's REST endpoint.
func (n *Node) URL() string { return "http://127.0.0.1:" + strconv.Itoa(n.HTTP) }

// Cluster is a set of nodes that joined one another.
type Cluster struct {
	Bin   string
	Nodes []*Node
	env   []string
	token string
}

// Options of Start. The zero value starts 1 node on free ports.
type Options struct {
	Nodes int // 0 means 1
	// Env is added to every node's environment (e.g. API-key settings).
	Env []string
	// Token is sent as a bearer token by the readiness checks (set it
	// when Env turns on API-key authentication).
	Token string
	// Ready bounds the wait for every node to answer /v1/.well-known/ready
	// and see all others; 0 means 3 minutes.
	Ready time.Duration
}

// consecutive finds a base port p such that p..p+span-1 are free, below
// Linux's ephemeral range (32768–60999): a killed node's port in that range
// can be taken by another process's outgoing connection before the node
// restarts (seen: "bind: address already in use" on restart).
func consecutive(span int) (int, error) {
	for try := 0; try < 100; try++ {
		p := 20000 + rand.IntN(32000-20000-span)
		ok := true
		var ls []net.Listener
		for q := p; q < p+span; q++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return p, nil
		}
	}
	return 0, errors.New("weaviatetest: no run of free ports in 20000-32000")
}

// Start starts a cluster in dir (one data directory and log per node) and
// waits until every node is ready. In the nodes' environment
// CLUSTER_IN_LOCALHOST is set, so that the raft ports of RAFT_JOIN
// are used per node, as in Weaviate's own tools/dev/run_dev_server.sh.
func Start(ctx context.Context, bin, dir string, o Options) (*Cluster, error) {
	n := max(o.Nodes, 1)
	if o.Ready == 0 {
		o.Ready = 3 * time.Minute
	}
	// Per node: HTTP, gRPC, gossip, data (= gossip+1), raft, raft RPC
	// (= raft+1). Gossip/data and raft/RPC must be adjacent.
	base, err := consecutive(6 * n)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Bin: bin, env: o.Env, token: o.Token}
	var join []string
	for i := 0; i < n; i++ {
		p := base + 6*i
		nd := &Node{Name: fmt.Sprintf("node%d", i), HTTP: p, GRPC: p + 1, Gossip: p + 2, Raft: p + 4,
			Dir: filepath.Join(dir, fmt.Sprintf("node%d", i))}
		if err := os.MkdirAll(nd.Dir, 0o755); err != nil {
			return nil, err
		}
		nd.logPath = filepath.Join(dir, nd.Name+".log")
		c.Nodes = append(c.Nodes, nd)
		join = append(join, fmt.Sprintf("%s:%d", nd.Name, nd.Raft))
	}
	c.env = append(c.env, "RAFT_JOIN="+strings.Join(join, ","), "RAFT_BOOTSTRAP_EXPECT="+strconv.Itoa(n))
	for i := range c.Nodes {
		if err := c.start(i); err != nil {
			c.Stop()
			return nil, err
		}
		if i == 0 {
			// A node whose CLUSTER_JOIN finds no listener exits at once:
			// the others start once node0 gossips (seconds on a busy host).
			if err := c.waitGossip(ctx, o.Ready); err != nil {
				c.Stop()
				return nil, err
			}
		}
	}
	if err := c.WaitReady(ctx, o.Ready); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(i int) error {
	nd := c.Nodes[i]
	lf, err := os.OpenFile(nd.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(c.Bin, "--host", "127.0.0.1", "--port", strconv.Itoa(nd.HTTP), "--scheme", "http",
		"--read-timeout=600s", "--write-timeout=600s")
	cmd.Env = append(os.Environ(),
		"PERSISTENCE_DATA_PATH="+nd.Dir,
		"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true",
		"DEFAULT_VECTORIZER_MODULE=none",
		"DISABLE_TELEMETRY=true",
		"PROMETHEUS_MONITORING_ENABLED=false",
		"LOG_LEVEL=warning",
		"QUERY_MAXIMUM_RESULTS=10000",
		"CLUSTER_HOSTNAME="+nd.Name,
		"CLUSTER_IN_LOCALHOST=true",
		"CLUSTER_BIND_ADDR=127.0.0.1",
		"CLUSTER_ADVERTISE_ADDR=127.0.0.1",
		"CLUSTER_GOSSIP_BIND_PORT="+strconv.Itoa(nd.Gossip),
		"CLUSTER_DATA_BIND_PORT="+strconv.Itoa(nd.Gossip+1),
		"MEMBERLIST_FAST_FAILURE_DETECTION=true",
		"RAFT_PORT="+strconv.Itoa(nd.Raft),
		"RAFT_INTERNAL_RPC_PORT="+strconv.Itoa(nd.Raft+1),
		"GRPC_PORT="+strconv.Itoa(nd.GRPC),
	)
	// Every node, node0 included, names node0's gossip port: without it
	// node0 forms no memberlist cluster that the raft join can resolve
	// names through (measured: node0 never became ready).
	cmd.Env = append(cmd.Env, "CLUSTER_JOIN=127.0.0.1:"+strconv.Itoa(c.Nodes[0].Gossip))
	cmd.Env = append(cmd.Env, c.env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("weaviatetest: start %s: %w", nd.Name, err)
	}
	nd.cmd, nd.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); lf.Close(); close(nd.done) }()
	return nil
}

// WaitReady waits until every running node answers ready and its
// /v1/nodes lists all nodes of the cluster as HEALTHY.
func (c *Cluster) WaitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for _, nd := range c.Nodes {
		if nd.cmd == nil {
			continue
		}
		for {
			if err := nodeHealthy(ctx, nd.URL(), c.token, len(c.Nodes)); err == nil {
				break
			}
			select {
			case <-nd.done:
				return fmt.Errorf("weaviatetest: %s exited while starting; log %s:\n%s", nd.Name, nd.logPath, tail(nd.logPath))
			case <-ctx.Done():
				return fmt.Errorf("weaviatetest: %s not ready after %v; log %s:\n%s", nd.Name, limit, nd.logPath, tail(nd.logPath))
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
	return nil
}

func nodeHealthy(ctx context.Context, url, token string, want int) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/v1/.well-known/ready", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("ready: %d", resp.StatusCode)
	}
	req, _ = http.NewRequestWithContext(ctx, "GET", url+"/v1/nodes", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 {
		return fmt.Errorf("nodes: %d %s", resp.StatusCode, body)
	}
	if got := strings.Count(string(body), `"status":"HEALTHY"`); got < want {
		return fmt.Errorf("%d of %d nodes healthy", got, want)
	}
	return nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// Kill sends SIGKILL to node i and waits for it to exit.
func (c *Cluster) Kill(i int) {
	nd := c.Nodes[i]
	if nd.cmd == nil {
		return
	}
	syscall.Kill(-nd.cmd.Process.Pid, syscall.SIGKILL)
	<-nd.done
	nd.cmd = nil
}

// Restart starts node i again on its ports and data directory and waits
// until the cluster is whole.
func (c *Cluster) Restart(ctx context.Context, i int, limit time.Duration) error {
	if c.Nodes[i].cmd != nil {
		return fmt.Errorf("weaviatetest: %s is running", c.Nodes[i].Name)
	}
	if err := c.start(i); err != nil {
		return err
	}
	return c.WaitReady(ctx, limit)
}

// Stop ends every node (SIGTERM, then SIGKILL after 10 s).
func (c *Cluster) Stop() {
	for _, nd := range c.Nodes {
		if nd.cmd != nil {
			syscall.Kill(-nd.cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	for i, nd := range c.Nodes {
		if nd.cmd == nil {
			continue
		}
		select {
		case <-nd.done:
			nd.cmd = nil
		case <-time.After(10 * time.Second):
			c.Kill(i)
		}
	}
}

// Log returns the last bytes of node i's log.
func (c *Cluster) Log(i int) string { return tail(c.Nodes[i].logPath) }

// RSS returns node i's resident memory in bytes (Linux /proc; 0 when the
// node is not running or /proc is unreadable).
func (c *Cluster) RSS(i int) int64 {
	nd := c.Nodes[i]
	if nd.cmd == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", nd.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// waitGossip waits until node0 accepts connections on its gossip port.
func (c *Cluster) waitGossip(ctx context.Context, limit time.Duration) error {
	nd := c.Nodes[0]
	deadline := time.Now().Add(limit)
	for {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(nd.Gossip), time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-nd.done:
			return fmt.Errorf("weaviatetest: %s exited while starting; log %s:\n%s", nd.Name, nd.logPath, tail(nd.logPath))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("weaviatetest: %s does not gossip after %v; log %s:\n%s", nd.Name, limit, nd.logPath, tail(nd.logPath))
		}
	}
}
