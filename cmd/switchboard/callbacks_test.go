package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/api"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

// runOut runs the binary's run with vars and returns stdout.
func runOut(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, env(vars), strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// signedPost posts a webhook to a served Switchboard, signed with token.
func signedPost(t *testing.T, base, token, path string, form url.Values) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", simulate.Sign(token, base+path, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	}
}

func TestStaffAndCallbacksCommands(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	const twilioToken = "abc123"
	vars := map[string]string{"REDIS_URL": rs.URL(), "TWILIO_AUTH_TOKEN": twilioToken}
	base, _ := startServe(t, vars)

	out, err := runOut(t, vars, "staff", "add", "ana")
	if err != nil {
		t.Fatalf("staff add: %v", err)
	}
	ana := lastLine(out)
	if !strings.HasPrefix(ana, "sbt_") {
		t.Fatalf("staff add did not end with a token: %q", out)
	}
	out, _ = runOut(t, vars, "staff", "add", "ben")
	ben := lastLine(out)
	if _, err := runOut(t, vars, "staff", "add", "ana"); err == nil {
		t.Error("adding ana twice succeeded")
	}
	if out, err := runOut(t, vars, "staff", "list"); err != nil || !strings.Contains(out, "ana") || !strings.Contains(out, "ben") || strings.Contains(out, ana) {
		t.Errorf("staff list = %q, %v", out, err)
	}

	// A signed call asks for a callback from its caller ID.
	form := url.Values{"CallSid": {"CAc0000000000000000000000000000001"}, "From": {"+12065550142"}, "To": {"+14258692644"}}
	signedPost(t, base, twilioToken, "/twilio/voice", form)
	form.Set("Digits", "1")
	signedPost(t, base, twilioToken, "/twilio/callback/number?n=0&r=menu", form)
	signedPost(t, base, twilioToken, "/twilio/callback/number?n=0&r=menu", form) // replayed

	cli := map[string]string{"SWITCHBOARD_URL": base, "SWITCHBOARD_TOKEN": ana}
	out, err = runOut(t, cli, "callbacks", "list")
	if err != nil {
		t.Fatalf("callbacks list: %v", err)
	}
	if strings.Count(out, "…0142") != 1 || strings.Contains(out, "2065550142") || !strings.Contains(out, "1 request(s)") {
		t.Fatalf("callbacks list shows the request once with its number masked:\n%s", out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]

	if _, err := runOut(t, cli, "callbacks", "reveal", id); err == nil {
		t.Errorf("reveal without the claim succeeded")
	}
	if out, err := runOut(t, cli, "callbacks", "claim", id); err != nil || strings.Contains(out, "2065550142") || !strings.Contains(out, "…0142") {
		t.Fatalf("claim prints the last four digits only: %v\n%s", err, out)
	}
	if out, err := runOut(t, cli, "callbacks", "show", id); err != nil || strings.Contains(out, "2065550142") || strings.Contains(out, "number revealed") {
		t.Errorf("show by the claim holder before a reveal: %v\n%s", err, out)
	}
	if out, err := runOut(t, cli, "callbacks", "reveal", id); err != nil || strings.TrimSpace(out) != "+12065550142" {
		t.Errorf("reveal by the claim holder: %v %q", err, out)
	}
	if out, err := runOut(t, map[string]string{"SWITCHBOARD_URL": base, "SWITCHBOARD_TOKEN": ben}, "callbacks", "show", id); err != nil || strings.Contains(out, "2065550142") {
		t.Errorf("show by someone else: %v\n%s", err, out)
	}
	_, err = runOut(t, map[string]string{"SWITCHBOARD_URL": base, "SWITCHBOARD_TOKEN": ben}, "callbacks", "claim", id)
	var se *api.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusConflict || !strings.Contains(se.Message, "ana") {
		t.Errorf("second claim: %v, want a 409 naming ana", err)
	}
	out, err = runOut(t, cli, "callbacks", "complete", id, "--outcome", "reached", "--note", "booked")
	if err != nil || !strings.Contains(out, "done") {
		t.Errorf("complete: %v\n%s", err, out)
	}
	out, err = runOut(t, cli, "callbacks", "show", id)
	if err != nil || !strings.Contains(out, "booked") || !strings.Contains(out, "claim") || !strings.Contains(out, "number revealed") {
		t.Errorf("show: %v\n%s", err, out)
	}
	if out, err := runOut(t, cli, "callbacks", "list", "--status", "done", "--json"); err != nil || !strings.Contains(out, `"outcome": "reached"`) {
		t.Errorf("list done --json: %v\n%s", err, out)
	}
	if _, err := runOut(t, cli, "callbacks", "complete", id); err == nil {
		t.Error("complete without an outcome succeeded")
	}
	if _, err := runOut(t, map[string]string{"SWITCHBOARD_URL": base}, "callbacks", "list"); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_TOKEN") {
		t.Errorf("without a token: %v", err)
	}
	if out, err := runOut(t, vars, "staff", "remove", "ana"); err != nil || !strings.Contains(out, "Removed") {
		t.Errorf("staff remove: %v %s", err, out)
	}
	_, err = runOut(t, cli, "callbacks", "list")
	if !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
		t.Errorf("removed token: %v, want 401", err)
	}
}

func TestEmbeddedStorePrintsADemoToken(t *testing.T) {
	t.Parallel()
	base, stdout, _ := startServeOut(t, map[string]string{})
	token := lastLine(stdout.String())
	if !strings.HasPrefix(token, "sbt_") {
		t.Fatalf("serve on the embedded store did not print a token:\n%s", stdout)
	}
	out, err := runOut(t, map[string]string{"SWITCHBOARD_URL": base, "SWITCHBOARD_TOKEN": token}, "callbacks", "list")
	if err != nil || !strings.Contains(out, "0 request(s)") {
		t.Errorf("callbacks list with the demo token: %v\n%s", err, out)
	}
}

func TestStaffNeedsRedis(t *testing.T) {
	t.Parallel()
	_, err := runOut(t, map[string]string{"SWITCHBOARD_DATA_DIR": t.TempDir()}, "staff", "list")
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") || !strings.Contains(err.Error(), "no running 'switchboard serve'") {
		t.Errorf("staff without REDIS_URL or a serve: %v", err)
	}
}

// TestStaffOnTheEmbeddedStore: the try-out's serve (no REDIS_URL) makes
// "demo" an admin with a scheduling phone, and the staff commands run with
// its SWITCHBOARD_DATA_DIR reach its embedded store, warning that nothing
// is kept; the account they add works against the service.
func TestStaffOnTheEmbeddedStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base, _, _ := startServeOut(t, map[string]string{"SWITCHBOARD_DATA_DIR": dir})
	vars := map[string]string{"SWITCHBOARD_DATA_DIR": dir}
	if fi, err := os.Stat(filepath.Join(dir, "embedded-redis.url")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v, want mode 0600", fi, err)
	}
	out, err := runOut(t, vars, "staff", "add", "ana", "--admin")
	if err != nil || !strings.Contains(out, "NOTHING IS KEPT") {
		t.Fatalf("staff add on the embedded store: %v\n%s", err, out)
	}
	token := lastLine(out)
	if out, err := runOut(t, map[string]string{"SWITCHBOARD_URL": base, "SWITCHBOARD_TOKEN": token}, "callbacks", "list"); err != nil || !strings.Contains(out, "0 request(s)") {
		t.Errorf("callbacks list with the added account's token: %v\n%s", err, out)
	}
	var pw bytes.Buffer
	if err := run(t.Context(), []string{"staff", "passwd", "ana"}, env(vars), strings.NewReader("correct horse battery\n"), &pw, &pw); err != nil ||
		!strings.Contains(pw.String(), "NOTHING IS KEPT") || !strings.Contains(pw.String(), "Password set") {
		t.Errorf("staff passwd on the embedded store: %v\n%s", err, pw.String())
	}
	out, err = runOut(t, vars, "staff", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"demo", "ana"} {
		found := false
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			if len(f) >= 4 && f[0] == want && f[2] == "true" {
				found = true
				if want == "demo" && (len(f) < 5 || f[4] != "…0101") {
					t.Errorf("demo's phone: %q, want the scheduling group's …0101", l)
				}
			}
		}
		if !found {
			t.Errorf("%s is not listed as an admin:\n%s", want, out)
		}
	}
}

func TestStaffPasswdAndPhone(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	vars := map[string]string{"REDIS_URL": rs.URL()}
	if _, err := runOut(t, vars, "staff", "add", "ana"); err != nil {
		t.Fatal(err)
	}
	passwd := func(pw string) error {
		var out bytes.Buffer
		return run(t.Context(), []string{"staff", "passwd", "ana"}, env(vars), strings.NewReader(pw+"\n"), &out, &out)
	}
	if err := passwd("short"); err == nil || !strings.Contains(err.Error(), "12 characters") {
		t.Errorf("short password: %v", err)
	}
	if err := passwd("correct horse battery"); err != nil {
		t.Errorf("passwd: %v", err)
	}
	if out, err := runOut(t, vars, "staff", "phone", "ana", "+14255550111"); err != nil || !strings.Contains(out, "+14255550111") {
		t.Errorf("phone: %v %s", err, out)
	}
	if _, err := runOut(t, vars, "staff", "phone", "ana", "555-0111"); err == nil {
		t.Error("a phone that is not E.164 was accepted")
	}
	if _, err := runOut(t, vars, "staff", "phone", "nobody", "+14255550111"); err == nil {
		t.Error("phone for a missing account succeeded")
	}
}
