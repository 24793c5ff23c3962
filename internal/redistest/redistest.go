// Package redistest starts real redis-server processes for tests: each on a
// free loopback port with its own temporary directory, stopped when the test
// ends. Tests can kill, pause and restart the server to inject faults.
//
// When redis-server is not installed the test is skipped, except under
// CI=true, where it fails: CI must prove the storage code against Redis.
package redistest

import (
	"bufio"
	"fmt"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process owned by a test.
type Server struct {
	tb   testing.TB
	bin  string
	Dir  string
	Port int
	args []string
	conf string // a config file given first (Sentinel needs one it can rewrite)

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start runs redis-server with extra arguments (for example
// "--appendonly", "yes") and stops it in tb.Cleanup.
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	bin := testprog.Find(tb, "redis-server", "redis-server")
	s := &Server{tb: tb, bin: bin, Dir: tb.TempDir(), Port: freePort(tb), args: args}
	s.launch()
	tb.Cleanup(func() { s.Kill() })
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Client returns a go-redis client for the server, closed at cleanup.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	s.tb.Cleanup(func() { c.Close() })
	return c
}

func (s *Server) launch() {
	s.tb.Helper()
	var args []string
	if s.conf != "" {
		args = append(args, s.conf)
	}
	args = append(args,
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--daemonize", "no", "--logfile", filepath.Join(s.Dir, "redis.log"),
		// Only 127.0.0.1 is bound; protected mode would refuse peers on
		// 127.0.0.2, the source address partition tests use.
		"--protected-mode", "no")
	args = append(args, s.args...)
	cmd := exec.Command(s.bin, args...)
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	go cmd.Wait() //nolint:errcheck // reaped here; exit status is not interesting
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(s.Addr()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	s.tb.Fatalf("redis-server on %s did not answer within 10s; log:\n%s", s.Addr(), log)
}

// ping sends PING without go-redis so that readiness checks do not retry.
func ping(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := fmt.Fprint(conn, "PING\r\n"); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Kill stops the server at once (SIGKILL), as a crash would.
func (s *Server) Kill() {
	s.signal(syscall.SIGCONT)
	s.signal(syscall.SIGKILL)
	s.waitDown()
	s.mu.Lock()
	s.cmd = nil
	s.mu.Unlock()
}

// Pause freezes the server (SIGSTOP): connections stay open, nothing answers.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

// Restart kills the server and starts it again on the same port and
// directory, so that persisted data (AOF, RDB) is loaded back.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Kill()
	s.launch()
}

func (s *Server) waitDown() {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond)
		if err != nil {
			return
		}
		conn.Close()
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Cluster is a Redis Cluster of real redis-server processes, with no
// replicas, owned by a test.
type Cluster struct {
	tb    testing.TB
	Nodes []*Server
}

// StartCluster starts n (at least 3) cluster-enabled servers on free
// loopback ports, joins them with redis-cli --cluster create, and waits until
// the cluster is ready. It needs redis-cli as well as redis-server.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	cli := testprog.Find(tb, "redis-tools", "redis-cli")
	c := &Cluster{tb: tb}
	args := []string{"--cluster", "create"}
	for i := 0; i < n; i++ {
		s := Start(tb, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
		c.Nodes = append(c.Nodes, s)
		args = append(args, s.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range c.Nodes {
		for {
			out, _ := exec.Command(cli, "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("cluster not ready on %s:\n%s", s.Addr(), out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
}

// Addrs lists the nodes' addresses.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, s := range c.Nodes {
		out = append(out, s.Addr())
	}
	return out
}

// URL is a REDIS_URL for the cluster, as Switchboard reads it.
func (c *Cluster) URL() string {
	addrs := c.Addrs()
	u := "redis+cluster://" + addrs[0]
	for i, a := range addrs[1:] {
		if i == 0 {
			u += "?addr=" + a
		} else {
			u += "&addr=" + a
		}
	}
	return u
}

// Client returns a cluster client, closed at cleanup.
func (c *Cluster) Client() *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	c.tb.Cleanup(func() { cc.Close() })
	return cc
}

// StartReplica starts a redis-server replicating from master (host:port),
// announcing itself on 127.0.0.1. Extra arguments follow.
func StartReplica(tb testing.TB, master string, args ...string) *Server {
	tb.Helper()
	host, port, err := net.SplitHostPort(master)
	if err != nil {
		tb.Fatalf("replica of %q: %v", master, err)
	}
	return Start(tb, append([]string{"--replicaof", host, port, "--replica-announce-ip", "127.0.0.1"}, args...)...)
}

// StartSentinel starts a Sentinel watching the master called name at master
// (host:port) with the given quorum; lines are more sentinel.conf lines
// (for example "sentinel down-after-milliseconds NAME 1000").
func StartSentinel(tb testing.TB, name, master string, quorum int, lines ...string) *Server {
	tb.Helper()
	bin := testprog.Find(tb, "redis-server", "redis-server")
	host, port, err := net.SplitHostPort(master)
	if err != nil {
		tb.Fatalf("sentinel of %q: %v", master, err)
	}
	s := &Server{tb: tb, bin: bin, Dir: tb.TempDir(), Port: freePort(tb), args: []string{"--sentinel"}}
	conf := append([]string{
		"sentinel announce-ip 127.0.0.1",
		fmt.Sprintf("sentinel monitor %s %s %s %d", name, host, port, quorum),
	}, lines...)
	s.conf = filepath.Join(s.Dir, "sentinel.conf")
	if err := os.WriteFile(s.conf, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	s.launch()
	tb.Cleanup(func() { s.Kill() })
	return s
}

// Proxy is a TCP proxy on a free loopback port in front of a server. Cut
// partitions the server from clients connecting from some source address
// (a Redis or Sentinel started with --bind-source-addr), leaving the
// others connected: the partition Sentinel cannot see past.
type Proxy struct {
	tb     testing.TB
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   map[string]bool
	conns map[net.Conn]string // client side -> source address
}

// StartProxy starts a proxy to target, stopped at cleanup.
func StartProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	p := &Proxy{tb: tb, ln: ln, target: target, cut: map[string]bool{}, conns: map[net.Conn]string{}}
	go p.serve()
	tb.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port, for a server that announces the proxy as its
// own address (--replica-announce-port).
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// SetTarget points new connections at target: a proxy started before its
// server (which must know the proxy's port) is given the server here.
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
}

// Cut drops the connections from source address ip and holds new ones
// unanswered (a black hole) until Heal.
func (p *Proxy) Cut(ip string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut[ip] = true
	for c, src := range p.conns {
		if src == ip {
			c.Close()
		}
	}
}

// Heal ends every cut; connections held meanwhile are closed, so their
// clients reconnect.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c, src := range p.conns {
		if p.cut[src] {
			c.Close()
		}
	}
	p.cut = map[string]bool{}
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		src, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		p.mu.Lock()
		p.conns[c] = src
		held := p.cut[src]
		p.mu.Unlock()
		if held {
			continue // closed at Heal
		}
		go p.pipe(c, src)
	}
}

func (p *Proxy) pipe(c net.Conn, src string) {
	defer func() {
		c.Close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	up, err := net.DialTimeout("tcp", target, time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	p.mu.Lock()
	cut := p.cut[src]
	p.mu.Unlock()
	if cut {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }() //nolint:errcheck // a closed side ends the copy
	go func() { io.Copy(c, up); done <- struct{}{} }() //nolint:errcheck
	<-done
}
