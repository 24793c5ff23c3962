package server_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

// startNginx runs the shipped deploy/nginx.conf with Debian's nginx, its
// upstreams and port rewritten to loopback, and returns its base URL.
func startNginx(t *testing.T, upstreamA, upstreamB string) string {
	t.Helper()
	bin := testprog.Find(t, "nginx", "nginx")
	src, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	conf := string(src)
	for old, repl := range map[string]string{
		"server switchboard-a:8080": "server " + upstreamA,
		"server switchboard-b:8080": "server " + upstreamB,
		"listen 8080;":              "listen " + addr + ";",
		"http {": "http {\n  access_log off;\n" +
			"  client_body_temp_path " + dir + "/body; proxy_temp_path " + dir + "/proxy;\n" +
			"  fastcgi_temp_path " + dir + "/fcgi; uwsgi_temp_path " + dir + "/uwsgi; scgi_temp_path " + dir + "/scgi;",
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("deploy/nginx.conf has no %q to rewrite", old)
		}
		conf = strings.Replace(conf, old, repl, 1)
	}
	conf = "pid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log;\n" + conf
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-g", "daemon off; master_process off;")
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start: %s %s", out, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// through posts a webhook Twilio signed for the public URL to base.
func through(base, fullURL string, form url.Values) (*simulate.Node, error) {
	u, _ := url.Parse(fullURL)
	req, _ := http.NewRequest(http.MethodPost, base+u.RequestURI(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", simulate.Sign(token, fullURL, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: %d %s", u.Path, resp.StatusCode, body)
	}
	return simulate.ParseTwiML(body)
}

// TestShippedNginxInFrontOfTwoInstances drives whole signed calls through
// the shipped nginx configuration in front of two instances, kills one of
// them mid-call, and checks that every call completes, exactly once, and
// that sign-in throttling sees each client's own address (the instances
// trust only the proxy: SWITCHBOARD_TRUSTED_PROXIES).
func TestShippedNginxInFrontOfTwoInstances(t *testing.T) {
	testprog.Slow(t, "nginx and two instances")
	t.Parallel()
	rs := redistest.Start(t)
	env := config.Env{PublicURL: public, AuthToken: token, RedisPrefix: "nginx:", RedisTimeout: 5 * time.Second}
	var err error
	if env.TrustedProxies, err = config.ParseTrustedProxies("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	_, srvA := instanceWith(t, rs.URL(), env)
	b, srvB := instanceWith(t, rs.URL(), env)
	base := startNginx(t, strings.TrimPrefix(srvA.URL, "http://"), strings.TrimPrefix(srvB.URL, "http://"))

	const calls = 20
	type call struct {
		form url.Values
		next string
	}
	all := make([]*call, calls)
	step := func(c *call, digits string) *simulate.Node {
		t.Helper()
		if digits != "" {
			c.form.Set("Digits", digits)
		}
		doc, err := through(base, c.next, c.form)
		if err != nil {
			t.Fatalf("%s: %v", c.form.Get("CallSid"), err)
		}
		if g := doc.First("Gather"); g != nil {
			c.next = g.Attrs["action"]
		}
		return doc
	}
	for i := range all {
		all[i] = &call{form: url.Values{"CallSid": {fmt.Sprintf("CA%032x", 0xe0000+i)}, "From": {fmt.Sprintf("+1206555%04d", 200+i)},
			"To": {"+14258692644"}}, next: public + "/twilio/voice"}
		step(all[i], "")
		step(all[i], "2") // callback offer
	}
	srvA.CloseClientConnections()
	srvA.Close() // instance A dies mid-call: nginx sends the rest to B
	for _, c := range all {
		if doc := step(c, "1"); !strings.Contains(doc.Said(), "saved") {
			t.Fatalf("%s: not saved after the instance died: %q", c.form.Get("CallSid"), doc.Said())
		}
		step(c, "2") // no voicemail
	}
	reqs, _, err := b.Queue.List(t.Context(), callback.StatusPending, 100, "")
	if err != nil || len(reqs) != calls {
		t.Fatalf("%d requests (%v), want %d", len(reqs), err, calls)
	}

	// Sign-in through nginx: a stranger's guesses slow the stranger, not
	// the other clients that share the proxy.
	// A new name each time: only the address's own counter is at work.
	n := 0
	guess := func(client string) int {
		n++
		req, _ := http.NewRequest(http.MethodPost, base+"/staff/signin", strings.NewReader(url.Values{"name": {"nobody" + strconv.Itoa(n)}, "secret": {"guess guess guess"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", client) // as the TLS terminator in front of nginx adds it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 11; i++ {
		if c := guess("203.0.113.66"); c != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, c)
		}
	}
	if c := guess("203.0.113.66"); c != http.StatusTooManyRequests {
		t.Errorf("the stranger's next guess through nginx: %d, want 429", c)
	}
	if c := guess("198.51.100.20"); c != http.StatusUnauthorized {
		t.Errorf("another client through the same nginx: %d, want its own tries (401)", c)
	}
}
