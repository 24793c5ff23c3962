package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
)

func greeting(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Post(base+"/twilio/voice", "application/x-www-form-urlencoded", strings.NewReader("CallSid=CAreload"))
	if err != nil {
		t.Fatal(err)
	}
	return readBody(t, resp)
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReloadBySIGHUPAndAPI(t *testing.T) {
	// Not parallel: it signals the whole test process.
	rs := redistest.Start(t)
	path := filepath.Join(t.TempDir(), "line.yaml")
	write := func(doc string) {
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	original := string(config.DefaultYAML())
	write(original)
	vars := map[string]string{"SWITCHBOARD_CONFIG": path, "REDIS_URL": rs.URL()}
	base, logs := startServe(t, vars)
	if !strings.Contains(greeting(t, base), "You've reached Evergreen Psychotherapy.") {
		t.Fatal("unexpected greeting before the reload")
	}

	write(strings.Replace(original, "greeting: You've reached Evergreen Psychotherapy.", "greeting: Welcome to Evergreen Psychotherapy.", 1))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new greeting", func() bool { return strings.Contains(greeting(t, base), "Welcome to Evergreen") })

	write("practice: [broken")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refusal in the log", func() bool { return strings.Contains(logs.String(), "configuration refused") })
	if !strings.Contains(greeting(t, base), "Welcome to Evergreen") {
		t.Error("a broken file replaced the running configuration")
	}

	// The same through the API, for an administrator only.
	out, _ := runOut(t, vars, "staff", "add", "root", "--admin")
	admin := lastLine(out)
	out, _ = runOut(t, vars, "staff", "add", "ana")
	ana := lastLine(out)
	post := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/admin/reload", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readBody(t, resp)
	}
	if code, body := post(admin); code != http.StatusUnprocessableEntity || !strings.Contains(body, "problems") {
		t.Errorf("reload of a broken file: %d %s", code, body)
	}
	write(original)
	if code, _ := post(ana); code != http.StatusForbidden {
		t.Errorf("reload by a non-administrator: %d", code)
	}
	if code, body := post(admin); code != http.StatusOK || !strings.Contains(body, `"version"`) {
		t.Errorf("reload by an administrator: %d %s", code, body)
	}
	if !strings.Contains(greeting(t, base), "You've reached") {
		t.Error("the API reload did not take effect")
	}
}
