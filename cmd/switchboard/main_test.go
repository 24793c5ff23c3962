package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	// The file cases check where the file comes from: the English line
	// alone keeps their walks short (the built-in case walks both).
	english, _, _ := strings.Cut(string(config.DefaultYAML()), "\nlanguages:")
	if err := os.WriteFile(good, []byte(english), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(config.DefaultYAML()), `digit: "9"`, `digit: "1"`, 1)
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int // 0 for success
		wantOut  []string
	}{
		// A fixed time: a closed caller on Saturday evening hears "we reopen on
		// Monday", which is longer than "tomorrow" in Spanish.
		{"built-in", []string{"config", "check", "--at", "2026-12-05T21:00"}, nil, 0, []string{"built-in default: OK", "Main menu", "0 \"scheduling\"", "-> ring scheduling", "201 Billing",
			"options announced: 0 after 31 words (12 s)", "a caller who says nothing: 2 min", "ends with the crisis line, a goodbye and a hangup", "within the limits",
			"crisis response from", "in all: scheduling announced after at most 44 words", "longest silent call",
			"In Spanish (press 8", "What a caller hears in Spanish (words counted from the start of the call):", "in every language"}},
		{"a line over the limits", []string{"config", "check", "--at", "2026-12-05T21:00", "../../config/testdata/v1-default.yaml"}, nil, 1, []string{
			"scheduling (press 0) is announced after 62 spoken words; at most 45", "a caller who says nothing stays on the line 3 min 5"}},
		{"file argument", []string{"config", "check", good}, nil, 0, []string{good + ": OK"}},
		{"file from the environment", []string{"config", "check"}, map[string]string{"SWITCHBOARD_CONFIG": good}, 0, []string{good + ": OK"}},
		{"problems", []string{"config", "check", bad}, nil, 1, []string{`menu[3].digit: duplicate digit "1"`, "line "}},
		{"usage", []string{"config", "lint"}, nil, 2, nil},
		{"a time that is no time", []string{"config", "check", "--at", "Monday"}, nil, 2, nil},
		{"unknown command", []string{"frobnicate"}, nil, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.wantCode == 0 || tt.name == "a line over the limits" {
				testprog.Slow(t, "config check walks a whole line")
			}
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, env(tt.env), strings.NewReader(""), &stdout, &stderr)
			code := 0
			if err != nil {
				code = exitCode(err)
			}
			if code != tt.wantCode {
				t.Fatalf("exit code %d (err %v), want %d\n%s", code, err, tt.wantCode, stdout.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout.String())
				}
			}
		})
	}
}

func TestServeRefusesPublicAddressWithoutToken(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"serve"}, env(map[string]string{"SWITCHBOARD_ADDR": "0.0.0.0:0"}), strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "refusing to listen") {
		t.Fatalf("serve on 0.0.0.0 without a token: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServe runs "switchboard serve" until the test ends and waits until it
// answers /healthz.
func startServe(t *testing.T, vars map[string]string) (base string, stderr *syncBuffer) {
	base, _, stderr = startServeOut(t, vars)
	return base, stderr
}

// startServeOut is startServe that also returns what serve printed on stdout.
func startServeOut(t *testing.T, vars map[string]string) (base string, stdout, stderr *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	vars["SWITCHBOARD_ADDR"] = addr
	if vars["SWITCHBOARD_DATA_DIR"] == "" {
		vars["SWITCHBOARD_DATA_DIR"] = t.TempDir()
	}
	if _, set := vars["SWITCHBOARD_DATA_KEY"]; !set && vars["REDIS_URL"] != "" {
		vars["SWITCHBOARD_DATA_KEY"] = testserver.DataKey // a real Redis needs one
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr, stdout = &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env(vars), strings.NewReader(""), stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	base = "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, stderr)
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return base, stdout, stderr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve did not answer within 10s:\n%s", stderr)
	return "", nil, nil
}

func TestServeLocalModeWithEmbeddedStore(t *testing.T) {
	t.Parallel()
	base, logs := startServe(t, map[string]string{})
	for _, want := range []string{"LOCAL MODE", "NOTHING IS KEPT", "fictional 555-01xx"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("startup warnings lack %q:\n%s", want, logs)
		}
	}
	resp, err := http.Post(base+"/twilio/voice", "application/x-www-form-urlencoded", strings.NewReader("CallSid=CAlocal&From=%2B12065550142"))
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<Gather") {
		t.Errorf("unsigned call in local mode: %d %s", resp.StatusCode, body)
	}
	if resp, err := http.Get(base + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz on the embedded store: %v %v", resp, err)
	}
}

func TestServeWithTokenAndRedis(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	base, logs := startServe(t, map[string]string{"TWILIO_AUTH_TOKEN": "abc123", "REDIS_URL": rs.URL()})
	resp, err := http.Post(base+"/twilio/voice", "application/x-www-form-urlencoded", strings.NewReader("CallSid=CA1&From=%2B12065550142"))
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned call with a token: %d, want 403", resp.StatusCode)
	}
	resp, err = http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %v %v", resp, err)
	}
	if strings.Contains(logs.String(), "abc123") || strings.Contains(logs.String(), "2065550142") {
		t.Errorf("logs leak the token or the caller's number:\n%s", logs)
	}
}

// TestMetricsOnTheirOwnListener: with SWITCHBOARD_METRICS_ADDR the metrics
// are served there, and the main listener (the one behind the proxy) has
// none.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	t.Parallel()
	maddr := freeAddr(t)
	base, _ := startServe(t, map[string]string{"SWITCHBOARD_METRICS_ADDR": maddr})
	resp, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, "switchboard_callback_queue_pending") {
		t.Errorf("metrics listener: %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if readBody(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the main listener: %d, want 404", resp.StatusCode)
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	return b.String()
}
