package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/redistest"
)

func TestCallSimulatorAgainstARunningService(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	const token = "simtoken123"
	vars := map[string]string{"REDIS_URL": rs.URL(), "TWILIO_AUTH_TOKEN": token}
	base, _ := startServe(t, vars)
	sim := map[string]string{"SWITCHBOARD_URL": base, "TWILIO_AUTH_TOKEN": token}

	out, err := runOut(t, sim, "call", "--press", "0")
	if err != nil {
		t.Fatalf("call --press 0: %v\n%s", err, out)
	}
	// Whether it rings depends on the hour it runs: open, the desk rings;
	// closed, the caller is offered a callback. Both are proper outcomes.
	if !strings.Contains(out, "dials +14255550101, +14255550102, +14255550103") && !strings.Contains(out, "call you back") {
		t.Errorf("pressing 0 neither rang scheduling nor offered a callback:\n%s", out)
	}
	// Unsigned (wrong token) requests are refused, and the simulator says so.
	out, err = runOut(t, map[string]string{"SWITCHBOARD_URL": base, "TWILIO_AUTH_TOKEN": "wrong"}, "call", "--press", "0")
	if err == nil || exitCode(err) != 1 || !strings.Contains(out, "403") {
		t.Errorf("with the wrong token: %v\n%s", err, out)
	}
}

func TestCallSimulatorInProcessAtATime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"open: scheduling rings, nobody answers, callback", []string{"--at", "2026-11-30T10:00", "--press", "0", "--dial-result", "no-answer", "--press", "1"},
			[]string{"(open)", "dials +14255550101", "dial result: no-answer", "nobody is able", "Your request is saved"}},
		{"closed: scheduling becomes a callback offer", []string{"--at", "2026-11-28T12:00", "--say", "scheduling"},
			[]string{"(closed)", "We're closed. We reopen Monday at 8 AM", "ending in 0 1 0 0", "Outcome: waiting for the caller"}},
		{"answered with the whisper", []string{"--at", "2026-11-30T10:00", "--press", "201", "--dial-result", "answered"},
			[]string{"Connecting you to Billing", "scheduler hears: Billing call from the Evergreen Psychotherapy main line", "connected to +14255550150", "Goodbye", "Outcome: Switchboard ended the call"}},
		{"withheld caller ID", []string{"--at", "2026-11-30T10:00", "--from", "anonymous", "--press", "2"},
			[]string{"enter the phone number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := runOut(t, map[string]string{}, append([]string{"call"}, tt.args...)...)
			if err != nil {
				t.Fatalf("call: %v\n%s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestCallSimulatorScriptAndUsage(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "call.txt")
	if err := os.WriteFile(script, []byte("# a caller who wants groups\npress 1\nsay again\nhangup\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runOut(t, map[string]string{}, "call", "--at", "2026-11-30T10:00", "--script", script)
	if err != nil || strings.Count(out, "licensed therapist") != 2 || !strings.Contains(out, "the caller hung up") {
		t.Errorf("script: %v\n%s", err, out)
	}
	if _, err := runOut(t, map[string]string{}, "call", "--dial-result", "maybe"); err == nil || exitCode(err) != 2 {
		t.Errorf("a bad dial result: %v", err)
	}
	if _, err := runOut(t, map[string]string{}, "call", "--at", "yesterday"); err == nil || exitCode(err) != 2 {
		t.Errorf("a bad time: %v", err)
	}
}

func TestCallSimulatorSetsTheClockOfALocalService(t *testing.T) {
	t.Parallel()
	base, _ := startServe(t, map[string]string{})
	for _, tt := range []struct{ at, want string }{
		{"2026-11-30T10:00:00-08:00", "dials +14255550101"},
		{"2026-11-28T12:00:00-08:00", "We're closed. We reopen Monday at 8 AM"},
	} {
		out, err := runOut(t, map[string]string{"SWITCHBOARD_URL": base}, "call", "--at", tt.at, "--press", "0")
		if err != nil || !strings.Contains(out, tt.want) {
			t.Errorf("--at %s: %v\n%s", tt.at, err, out)
		}
	}
	// A service that checks signatures keeps its own clock, and says so.
	rs := redistest.Start(t)
	signed, _ := startServe(t, map[string]string{"REDIS_URL": rs.URL(), "TWILIO_AUTH_TOKEN": "tok123"})
	out, err := runOut(t, map[string]string{"SWITCHBOARD_URL": signed, "TWILIO_AUTH_TOKEN": "tok123"}, "call", "--at", "2026-11-30T10:00:00-08:00", "--press", "0")
	if err == nil || !strings.Contains(out, "ignored --at") {
		t.Errorf("--at against a signed service: %v\n%s", err, out)
	}
}

// TestTryOutCallAtAFutureTime: against the quick start (local mode, the
// embedded store), a call simulated at a future --at leaves a request with
// a message the service keeps (a RecordingSid of Twilio's form), whose age
// is not negative, and is counted in the reports on the simulated day,
// which the demo account (an admin) can read.
func TestTryOutCallAtAFutureTime(t *testing.T) {
	t.Parallel()
	base, stdout, _ := startServeOut(t, map[string]string{})
	token := lastLine(stdout.String())
	const at = "2027-01-09T12:00:00-08:00" // a Saturday: closed, so the caller is offered a callback
	sim := map[string]string{"SWITCHBOARD_URL": base}
	out, err := runOut(t, sim, "call", "--at", at, "--press", "2", "--press", "1", "--press", "1", "--press", "1", "--record", "10")
	if err != nil || !strings.Contains(out, "all set") {
		t.Fatalf("call --at %s: %v\n%s", at, err, out)
	}
	out, err = runOut(t, map[string]string{"SWITCHBOARD_URL": base, "SWITCHBOARD_TOKEN": token}, "callbacks", "list")
	if err != nil {
		t.Fatal(err)
	}
	row := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "pending") {
			row = l
		}
	}
	if f := strings.Fields(row); len(f) < 8 || f[2] != "0m" || !strings.Contains(row, " 10s ") {
		t.Errorf("the request: want age 0m and a 10 s message:\n%s", out)
	}

	// The reports, read by demo in the console: the day of --at has the call.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm(base+"/staff/signin", url.Values{"name": {"demo"}, "secret": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Counts are written to Redis in the background every few seconds.
	var csv string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err = client.Get(base + "/staff/reports.csv?days=7")
		if err != nil {
			t.Fatal(err)
		}
		if csv = readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("reports.csv as demo: %d %s", resp.StatusCode, csv)
		}
		if strings.Contains(csv, "\n2027-01-09,1,") {
			return
		}
	}
	t.Errorf("the reports have no call on 2027-01-09, the day of --at:\n%s", csv)
}

// TestSimulatedHangUpIsAMissedCall: against the quick start, a simulated
// caller who listens to the menu and hangs up is sent to /twilio/status as
// Twilio would, and appears in the queue as a missed call; calling and
// hanging up again leaves the one request.
func TestSimulatedHangUpIsAMissedCall(t *testing.T) {
	t.Parallel()
	base, stdout, _ := startServeOut(t, map[string]string{})
	token := lastLine(stdout.String())
	script := filepath.Join(t.TempDir(), "hangup.txt")
	if err := os.WriteFile(script, []byte("hangup\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := map[string]string{"SWITCHBOARD_URL": base}
	list := map[string]string{"SWITCHBOARD_URL": base, "SWITCHBOARD_TOKEN": token}
	type item struct {
		Last4  string `json:"callbackNumberLast4"`
		Missed struct {
			Calls int    `json:"calls"`
			Stage string `json:"stage"`
		} `json:"missed"`
	}
	missed := func() []item {
		out, err := runOut(t, list, "callbacks", "list", "--reason", "missed-call", "--json")
		if err != nil {
			t.Fatalf("callbacks list: %v\n%s", err, out)
		}
		var body struct{ Callbacks []item }
		if err := json.Unmarshal([]byte(out), &body); err != nil {
			t.Fatalf("callbacks list --json: %v\n%s", err, out)
		}
		var rows []item
		for _, r := range body.Callbacks {
			if r.Last4 == "0142" {
				rows = append(rows, r)
			}
		}
		return rows
	}
	for i := range 2 {
		out, err := runOut(t, sim, "call", "--at", "2026-11-30T10:00:00-08:00", "--from", "+12065550142", "--script", script)
		if err != nil || !strings.Contains(out, "/twilio/status (the call ended") {
			t.Fatalf("call %d: %v\n%s", i+1, err, out)
		}
		// The outcome is decided in the background after the status
		// callback: wait for it (a bound against a hang, not a speed check).
		var rows []item
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if rows = missed(); len(rows) == 1 && rows[0].Missed.Calls == i+1 {
				break
			}
		}
		if len(rows) != 1 || rows[0].Missed.Calls != i+1 || rows[0].Missed.Stage == "" {
			t.Fatalf("after call %d the queue holds %+v for …0142, want one missed call counting %d calls, with its stage", i+1, rows, i+1)
		}
	}
}
