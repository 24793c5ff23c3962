package ivr_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

func TestMetricsCountTheCall(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	h.callStep("/twilio/voice", callForm())
	h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))
	h.callStep("/twilio/ring/result?g=scheduling&s=0", callForm("DialCallStatus", "no-answer"))
	h.callStep("/twilio/callback/number?n=0&r=unanswered", callForm("Digits", "1"))
	h.callStep("/twilio/menu?n=0", callForm("Digits", "7"))
	h.post("/twilio/voice", callForm(), false) // unsigned: refused
	// Metrics are for loopback clients not behind a proxy.
	for _, tt := range []struct {
		peer, xff string
		want      int
	}{
		{"198.51.100.4:5000", "", http.StatusForbidden},
		{"127.0.0.1:5000", "203.0.113.9", http.StatusForbidden},
	} {
		req := newGet("/metrics")
		req.RemoteAddr = tt.peer
		if tt.xff != "" {
			req.Header.Set("X-Forwarded-For", tt.xff)
		}
		if rec := h.Do(req); rec.Code != tt.want {
			t.Errorf("/metrics from %s (X-Forwarded-For %q): %d, want %d", tt.peer, tt.xff, rec.Code, tt.want)
		}
	}
	req := newGet("/metrics")
	req.RemoteAddr = "127.0.0.1:5000"
	rec := h.Do(req)
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`switchboard_calls_total{entry="voice"} 1`,
		`switchboard_menu_choices_total{choice="ring scheduling",menu="main"} 1`,
		`switchboard_menu_choices_total{choice="invalid",menu="main"} 1`,
		`switchboard_ring_outcomes_total{group="scheduling",status="no-answer"} 1`,
		`switchboard_callback_requests_total{event="created",outcome=""} 1`,
		`switchboard_signature_failures_total 1`,
		`switchboard_webhook_seconds_count{route="/twilio/voice"} 2`,
		`switchboard_callback_queue_pending 1`,
		`switchboard_spool_depth 0`,
		`switchboard_redis_errors_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "2065550142") {
		t.Error("/metrics contains the caller's number")
	}
}

// TestLogsOfAWholeCallHoldNoNumberOrSecret walks a call through the menu,
// an unanswered ring, a callback with a keyed number and a message, and
// scans everything logged.
func TestLogsOfAWholeCallHoldNoNumberOrSecret(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	token := h.AddStaff("ana")
	h.callStep("/twilio/voice", callForm())
	h.callStep("/twilio/menu?n=0", callForm("SpeechResult", "scheduling please"))
	h.callStep("/twilio/ring/result?g=scheduling&s=0", callForm("DialCallStatus", "busy"))
	h.callStep("/twilio/callback/number?n=0&r=unanswered", callForm("Digits", "2"))
	keyed := h.callStep("/twilio/callback/keyed?n=0&r=unanswered", callForm("Digits", "4255550199"))
	h.callStep(gatherAction(t, keyed), callForm("Digits", "1"))
	h.callStep("/twilio/callback/consent?q=vm&n=0", callForm("Digits", "2"))
	h.callStep("/twilio/callback/recorded", callForm("RecordingSid", "RE0123456789abcdef0123456789abcdef", "RecordingDuration", "5", "RecordingUrl", "https://api.twilio.com/x"))
	h.post("/twilio/callback/transcript", callForm("TranscriptionText", "my number is 425 555 0199", "TranscriptionStatus", "completed"), true)
	h.post("/twilio/voice", callForm("From", "+12065550142"), false)
	req := newGet("/api/v1/callbacks")
	req.Header.Set("Authorization", "Bearer "+token)
	h.Do(req)
	logs := h.Logs.String()
	if !strings.Contains(logs, "call_sid=") || !strings.Contains(logs, "request_id=") || !strings.Contains(logs, "route=/twilio/menu") {
		t.Fatalf("request lines lack their fields:\n%s", logs)
	}
	for _, secret := range []string{"2065550142", "4255550199", "425 555 0199", testToken, token, strings.TrimPrefix(token, "sbt_")} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
}

func TestSimulatedTimeHeaderIsIgnoredWhenSignaturesAreChecked(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{At: mondayMorning}) // open, with an auth token
	form := callForm("Digits", "0")
	req := newPost("/twilio/menu?n=0", form)
	req.Header.Set("X-Twilio-Signature", signature(testBase+"/twilio/menu?n=0", form))
	req.Header.Set("X-Switchboard-Simulated-Time", "2026-11-28T12:00:00-08:00") // a Saturday
	rec := h.Do(req)
	if rec.Header().Get("X-Switchboard-Simulated-Time") != "" || !strings.Contains(rec.Body.String(), "<Dial") {
		t.Errorf("a signed service honoured the simulated time: %s", rec.Body)
	}
}

// TestMetricsRefuseEveryProxy: a proxy that sends no X-Forwarded-For still
// leaves a forwarding header, and a trusted proxy on this machine may send
// none: both are refused; a plain loopback client is served.
func TestMetricsRefuseEveryProxy(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{TrustedProxies: "127.0.0.2"})
	for _, tt := range []struct {
		name, peer, header, value string
		want                      int
	}{
		{"a loopback client", "127.0.0.1:5000", "", "", http.StatusOK},
		{"X-Real-IP only", "127.0.0.1:5000", "X-Real-IP", "203.0.113.9", http.StatusForbidden},
		{"X-Forwarded-Proto only", "127.0.0.1:5000", "X-Forwarded-Proto", "https", http.StatusForbidden},
		{"X-Forwarded-Host only", "127.0.0.1:5000", "X-Forwarded-Host", "switchboard.example.org", http.StatusForbidden},
		{"Forwarded", "127.0.0.1:5000", "Forwarded", "for=203.0.113.9", http.StatusForbidden},
		{"a trusted proxy with no header", "127.0.0.2:5000", "", "", http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.RemoteAddr = tt.peer
			if tt.header != "" {
				req.Header.Set(tt.header, tt.value)
			}
			if got := s.Do(req).Code; got != tt.want {
				t.Errorf("/metrics: %d, want %d", got, tt.want)
			}
		})
	}
}
