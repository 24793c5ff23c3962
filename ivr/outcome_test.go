package ivr_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
)

// sidOf is the CallSid of the test's n-th call.
func sidOf(n int) string { return fmt.Sprintf("CA%032x", n) }

// caller is one simulated call: its webhooks are signed and go through the
// real router.
type caller struct {
	h    *harness
	sid  string
	from string
}

func (h *harness) caller(n int, from string) caller { return caller{h: h, sid: sidOf(n), from: from} }

func (c caller) form(extra ...string) url.Values {
	f := callForm(extra...)
	f.Set("CallSid", c.sid)
	f.Set("From", c.from)
	return f
}

// answer is the first webhook: the greeting and the main menu.
func (c caller) answer() { c.h.callStep("/twilio/voice", c.form()) }

// hangUp is Twilio's status callback for the call's end after seconds.
func (c caller) hangUp(seconds int) *httptest.ResponseRecorder {
	c.h.t.Helper()
	rec := c.h.post("/twilio/status", c.form("CallStatus", "completed", "CallDuration", fmt.Sprint(seconds)), true)
	if rec.Code != http.StatusNoContent {
		c.h.t.Fatalf("status callback: %d, want 204", rec.Code)
	}
	return rec
}

// missedCall is call n from a number: it hears the greeting and the main
// menu and hangs up after seconds.
func (h *harness) missedCall(n int, from string, seconds int) caller {
	h.t.Helper()
	c := h.caller(n, from)
	c.answer()
	c.hangUp(seconds)
	return c
}

// metrics is what the server's /metrics says to a loopback client.
func (h *harness) metrics() string {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.RemoteAddr = "127.0.0.1:4000"
	return h.Do(req).Body.String()
}

// pending lists the pending requests, in full, after every call step was
// handled.
func (h *harness) pending() []*callback.Request {
	h.t.Helper()
	h.WaitCalls()
	if h.fakes != nil {
		return h.fakes.pendingList()
	}
	rs, _, err := h.Queue.List(h.t.Context(), callback.StatusPending, 50, "")
	if err != nil {
		h.t.Fatal(err)
	}
	for i, r := range rs {
		if rs[i], err = h.Queue.Get(h.t.Context(), r.ID); err != nil {
			h.t.Fatal(err)
		}
	}
	return rs
}

func missedOnly(t *testing.T, rs []*callback.Request) []*callback.Request {
	t.Helper()
	var out []*callback.Request
	for _, r := range rs {
		if r.Reason == callback.ReasonMissedCall {
			out = append(out, r)
		}
	}
	return out
}

func TestMissedCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call func(h *harness)
		// want is the number of missed calls counted in the one item, 0 for none.
		want      int
		wantStage string
		requests  int // real requests expected
	}{
		{name: "listens 20 s and hangs up at the main menu", want: 1, wantStage: "menu", call: func(h *harness) {
			h.missedCall(1, callerFrom, 20)
		}},
		{name: "calls and hangs up twice: one item, two calls", want: 2, wantStage: "menu", call: func(h *harness) {
			for i := range 2 {
				h.missedCall(i+1, callerFrom, 20)
			}
		}},
		{name: "repeated status callback", want: 1, wantStage: "menu", call: func(h *harness) {
			c := h.missedCall(1, callerFrom, 20)
			c.hangUp(20)
			h.WaitCalls()
			c.hangUp(20)
		}},
		{name: "status callback before the last webhook", want: 1, wantStage: "menu", call: func(h *harness) {
			c := h.missedCall(1, callerFrom, 20)
			h.WaitCalls()
			c.h.callStep("/twilio/menu?n=0", c.form("Digits", "9"))
			c.hangUp(20)
		}},
		{name: "hangs up while scheduling rings", want: 1, wantStage: "ring", call: func(h *harness) {
			c := h.caller(1, callerFrom)
			c.answer()
			c.h.callStep("/twilio/menu?n=0", c.form("Digits", "0"))
			c.hangUp(45)
		}},
		{name: "leaves a request", requests: 1, call: func(h *harness) {
			c := h.caller(1, callerFrom)
			c.answer()
			c.h.callStep("/twilio/callback/number?n=0&r=menu", c.form("Digits", "1"))
			c.hangUp(60)
		}},
		{name: "a 3-second call", call: func(h *harness) {
			h.missedCall(1, callerFrom, 3)
		}},
		{name: "a withheld caller", call: func(h *harness) {
			h.missedCall(1, "anonymous", 20)
		}},
		{name: "the practice's own number", call: func(h *harness) {
			h.missedCall(1, "+14258692644", 20)
		}},
		{name: "a status callback for an unknown call", call: func(h *harness) {
			h.caller(7, callerFrom).hangUp(20)
		}},
		{name: "a later request supersedes the missed call", requests: 1, call: func(h *harness) {
			h.missedCall(1, callerFrom, 20)
			h.WaitCalls()
			c := h.caller(2, callerFrom)
			c.answer()
			c.h.callStep("/twilio/callback/number?n=0&r=menu", c.form("Digits", "1"))
			c.hangUp(60)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			tt.call(h)
			all := h.pending()
			missed := missedOnly(t, all)
			if got := len(all) - len(missed); got != tt.requests {
				t.Errorf("real requests: got %d, want %d", got, tt.requests)
			}
			if tt.want == 0 {
				if len(missed) != 0 {
					t.Fatalf("missed-call items: got %d, want none", len(missed))
				}
				return
			}
			if len(missed) != 1 {
				t.Fatalf("missed-call items: got %d, want 1", len(missed))
			}
			r := missed[0]
			if r.Missed == nil || r.Missed.Calls != tt.want || r.Missed.Stage != tt.wantStage {
				t.Fatalf("missed: got %+v, want %d calls at %s", r.Missed, tt.want, tt.wantStage)
			}
			if r.CallbackNumber != callerFrom || r.VoicemailOK != callback.ConsentUnknown || r.Reason.Describe() != "Missed call" {
				t.Errorf("request: got number %q consent %q label %q", r.CallbackNumber, r.VoicemailOK, r.Reason.Describe())
			}
			if len(r.History) != tt.want || !strings.Contains(r.History[0].Note, "after 20 s") && !strings.Contains(r.History[0].Note, "after 45 s") {
				t.Errorf("history: got %+v, want %d lines saying how long the caller listened", r.History, tt.want)
			}
			if strings.Contains(h.Logs.String(), callerFrom) || strings.Contains(h.Logs.String(), "2065550142") {
				t.Error("the logs hold the caller's number")
			}
		})
	}
}

func TestMissedCallsOff(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(string(config.DefaultYAML()), "\ncallback:\n", "\ncallback:\n  missedCalls: false\n", 1)
	h := newHarness(t, harnessOpts{YAML: yaml})
	h.missedCall(1, callerFrom, 20)
	if n := len(h.pending()); n != 0 {
		t.Fatalf("requests: got %d, want none with callback.missedCalls false", n)
	}
}

func TestStatusBadSignature(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	c := h.caller(1, callerFrom)
	c.answer()
	if rec := h.post("/twilio/status", c.form("CallStatus", "completed", "CallDuration", "20"), false); rec.Code != http.StatusForbidden {
		t.Fatalf("unsigned status callback: %d, want 403", rec.Code)
	}
	if n := len(h.pending()); n != 0 {
		t.Fatalf("requests: got %d, want none", n)
	}
}
