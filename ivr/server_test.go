package ivr_test

// The tests in this file run the call flow through the whole server on a
// real redis-server (newServerHarness): what needs the server around the
// flow (health, metrics, reports, request ids and logs, the staff API) or
// the real storage end to end.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
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

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	get := func(path string) int {
		rec := serve(h, newGet(path))
		return rec.Code
	}
	if c := get("/healthz"); c != http.StatusOK {
		t.Errorf("/healthz = %d", c)
	}
	if c := get("/readyz"); c != http.StatusOK {
		t.Errorf("/readyz with Redis up = %d", c)
	}
	h.Redis.Kill()
	if c := get("/readyz"); c != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down = %d, want 503", c)
	}
	if c := get("/healthz"); c != http.StatusOK {
		t.Errorf("/healthz with Redis down = %d", c)
	}
	// Calls are still answered while Redis is down.
	h.callStep("/twilio/voice", callForm())
}

// TestRequestIDsAreOursAndFailedSignaturesLogThePathOnly: a client's
// X-Request-Id is neither echoed nor logged, and a refused webhook's log
// line names the path it checked, not the sender's query string.
func TestRequestIDsAreOursAndFailedSignaturesLogThePathOnly(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	req := newPost("/twilio/voice?evil=%3Cscript%3E", callForm())
	req.Header.Set("X-Request-Id", "attacker-chosen-id\nforged log line")
	req.Header.Set("X-Twilio-Signature", "bogus")
	rec := serve(h, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("status %d", rec.Code)
	}
	if id := rec.Header().Get("X-Request-Id"); id == "" || strings.Contains(id, "attacker") {
		t.Errorf("response request id = %q", id)
	}
	logs := h.Logs.String()
	if strings.Contains(logs, "attacker-chosen") || strings.Contains(logs, "forged log line") || strings.Contains(logs, "evil") || strings.Contains(logs, "script") {
		t.Errorf("the logs carry what the client sent:\n%s", logs)
	}
	if !strings.Contains(logs, "checked_url="+testBase+"/twilio/voice") {
		t.Errorf("the refused request's path is not logged:\n%s", logs)
	}
}

// TestChoosingSpanish: pressing 8 or saying "español" at the greeting
// gives the greeting, crisis line and menu in Spanish; a callback request
// left by keys, and one by voice, are listed with "language":"es".
func TestChoosingSpanish(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	for _, in := range [][]string{{"Digits", "8"}, {"SpeechResult", "En español, por favor."}} {
		doc := h.callStep("/twilio/menu?n=0", callForm(in...))
		said := doc.Said()
		if !strings.HasPrefix(said, "Ha llamado a Evergreen Psychotherapy.") || !strings.Contains(said, "9 1 1") ||
			!strings.Contains(said, "Para citas, oprima 0") {
			t.Errorf("%v: not the Spanish greeting, crisis line and menu: %q", in, said)
		}
		if got := gatherAction(t, doc); !strings.Contains(got, "l=es") {
			t.Errorf("%v: the menu's action %s does not carry the language", in, got)
		}
	}

	// By keys: 2 (call me back), 1 (use the caller ID).
	offer := h.callStep("/twilio/menu?n=0&l=es", callForm("Digits", "2"))
	if !strings.Contains(offer.Said(), "devolvamos la llamada") && !strings.Contains(offer.Said(), "termina en") {
		t.Fatalf("no Spanish callback offer: %q", offer.Said())
	}
	saved := h.callStep(gatherAction(t, offer), callForm("Digits", "1"))
	if !strings.Contains(saved.Said(), "Ya guardamos su solicitud") {
		t.Fatalf("not saved in Spanish: %q", saved.Said())
	}
	// By voice, another call: "sí" uses the caller ID.
	voiceSid := "CAfedcba9876543210fedcba9876543210"
	offer = h.callStep("/twilio/menu?n=0&l=es", callForm("CallSid", voiceSid, "SpeechResult", "que me llamen"))
	saved = h.callStep(gatherAction(t, offer), callForm("CallSid", voiceSid, "SpeechResult", "Sí, por favor."))
	if !strings.Contains(saved.Said(), "Ya guardamos su solicitud") {
		t.Fatalf("not saved by voice in Spanish: %q", saved.Said())
	}
	reqs := h.requests(t)
	for _, s := range []string{sid, voiceSid} {
		if r := reqs[s]; r == nil || r.Language != "es" {
			t.Errorf("request of %s: %+v, want language es", s, r)
		}
	}

	// The JSON API lists them as Spanish, and filters by language.
	token := h.AddStaff("ana")
	body := apiGet(t, h, token, "/api/v1/callbacks?language=es")
	var list struct {
		Callbacks []map[string]any `json:"callbacks"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Callbacks) != 2 || list.Callbacks[0]["language"] != "es" {
		t.Errorf("GET ?language=es: %s", body)
	}
	if body := apiGet(t, h, token, "/api/v1/callbacks?language=en"); strings.Contains(string(body), `"language":"es"`) {
		t.Errorf("GET ?language=en lists Spanish requests: %s", body)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/callbacks?language=spanish", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	h.HTTP.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a bad language filter: %d %s, want 400", rec.Code, rec.Body)
	}
}

func apiGet(t *testing.T, h *harness, token, path string) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	h.HTTP.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

func TestMissedCallSuperseded(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	h.missedCall(1, callerFrom, 20)
	missed := missedOnly(t, h.pending())
	if len(missed) != 1 {
		t.Fatalf("missed-call items: got %d, want 1", len(missed))
	}
	c := h.caller(2, callerFrom)
	c.answer()
	h.callStep("/twilio/callback/number?n=0&r=menu", c.form("Digits", "1"))
	c.hangUp(60)
	h.WaitCalls()
	r, err := h.Queue.Get(t.Context(), missed[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != callback.StatusCancelled || r.History[len(r.History)-1].What != "superseded" {
		t.Fatalf("missed-call item: got %s, history %+v; want cancelled with a superseded line", r.Status, r.History)
	}
}

func TestStatusWithRedisDown(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{RedisTimeout: 300 * time.Millisecond})
	c := h.caller(1, callerFrom)
	c.answer()
	h.WaitCalls()
	h.Redis.Kill()
	start := time.Now()
	c.hangUp(20)
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("status callback answered after %v; want at once", d)
	}
	h.WaitCalls()
	logs := h.Logs.String()
	if !strings.Contains(logs, "call outcome not decided") {
		t.Errorf("no log line says the outcome was given up:\n%s", logs)
	}
	if strings.Contains(logs, "2065550142") {
		t.Error("the logs hold the caller's number")
	}
}

func TestOutcomeReportsAndMetrics(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	h.missedCall(1, callerFrom, 20)
	req := h.caller(2, "+12065550199")
	req.answer()
	h.callStep("/twilio/callback/number?n=0&r=menu", req.form("Digits", "1"))
	req.hangUp(60)
	ring := h.caller(3, "+12065550198")
	ring.answer()
	h.callStep("/twilio/menu?n=0", ring.form("Digits", "0"))
	h.callStep("/twilio/ring/result?g=scheduling&s=0", ring.form("DialCallStatus", "completed", "DialBridged", "true"))
	ring.hangUp(200)
	ext := h.caller(4, "+12065550197")
	ext.answer()
	h.callStep("/twilio/menu?n=0", ext.form("Digits", "201"))
	ext.hangUp(30)
	p := h.reportDay(mondayMorning)
	for k, want := range map[string]int64{
		"outcome_hangup-menu_en": 1, "outcome_request_en": 1, "outcome_person_en": 1, "outcome_extension_en": 1, "gaveup_menu_en": 1, "gaveup_ring_en": 0,
	} {
		if got := p.Total(k); got != want {
			t.Errorf("%s: got %d, want %d (counts %v)", k, got, want, p.Days[0].Counts)
		}
	}
	if got, want := strings.Join(p.Breakdown(), ","), "outcome_person_en,outcome_request_en,outcome_extension_en,outcome_hangup-menu_en,gaveup_menu_en"; got != want {
		t.Errorf("breakdown: got %s, want %s", got, want)
	}
	body := h.metrics()
	for _, want := range []string{`switchboard_call_outcomes_total{outcome="hangup-menu"} 1`, `switchboard_call_outcomes_total{outcome="person"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
