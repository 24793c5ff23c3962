package ivr_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/reports"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
	"github.com/switchboard-clinic/switchboard/ivr"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/client"
)

const (
	testToken  = testserver.Token
	testBase   = testserver.Base
	callerFrom = "+12065550142"
)

// Instants in the practice's time zone (America/Los_Angeles).
var (
	mondayMorning  = testserver.MondayMorning                       // 10:00 PST, open
	saturdayMidday = time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC) // 12:00 PST, closed
)

type harnessOpts = testserver.Options

// harness is the call flow behind its real router, with Twilio's signature
// checked. By default (newHarness) it runs on in-memory fakes of the flow's
// storage; newServerHarness runs a whole Switchboard on a real
// redis-server instead, for the tests that need the real storage, the
// spool or the server around the flow.
type harness struct {
	*testserver.Server // nil in memory
	t                  testing.TB
	HTTP               http.Handler
	Logs               *testserver.Logs
	Line               *routing.Line
	Live               *config.Live
	fakes              *fakes // nil on a server
}

// newHarness is the call flow on in-memory fakes. Options that only a
// server has (Redis, the spool, the console, proxies) are refused.
func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	if o.RedisArgs != nil || o.SpoolDir != "" || o.RedisTimeout != 0 || o.TrustedProxies != "" || o.PlainHTTP || o.RecordingKeys != nil {
		t.Fatal("newHarness: these options need newServerHarness")
	}
	line := testserver.LoadLine(t, o)
	now := o.Clock
	if now == nil {
		at := o.At
		if at.IsZero() {
			at = mondayMorning
		}
		now = func() time.Time { return at }
	}
	logs := &testserver.Logs{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	sealer, err := ivr.NewSealer([]byte(testToken))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := callback.NewNumberKeys([]byte(testToken))
	if err != nil {
		t.Fatal(err)
	}
	fk := newFakes()
	live := config.NewLive(o.ConfigPath, line)
	flow, err := ivr.New(ivr.Deps{Line: live.Line, BaseURL: testBase, Now: now, Logger: log, Recorder: fk, Sealer: sealer,
		Duty: fk, Legs: fk, Tracks: fk, Missed: fk, NumberKeys: keys, Texts: fk})
	if err != nil {
		t.Fatal(err)
	}
	account := ""
	if o.Twilio {
		account = testserver.AccountSID
	}
	v := client.NewRequestValidator(testToken)
	verify, err := ivr.VerifySignature(&v, testBase, account, log, func() {})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	flow.Routes(e, middleware.BodyLimit("64KiB"), verify)
	return &harness{t: t, HTTP: e, Logs: logs, Line: line, Live: live, fakes: fk}
}

// newServerHarness is a whole Switchboard on a real redis-server.
func newServerHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	s := testserver.New(t, o)
	return &harness{Server: s, t: t, HTTP: s.HTTP, Logs: s.Logs, Line: s.Line, Live: s.App.Live}
}

// Post sends a form to pathAndQuery, signed as Twilio signs it when sign is true.
func (h *harness) Post(pathAndQuery string, form url.Values, sign bool) *httptest.ResponseRecorder {
	return testserver.Post(h.HTTP, pathAndQuery, form, sign)
}

// Do serves any request through the router.
func (h *harness) Do(req *http.Request) *httptest.ResponseRecorder { return testserver.Do(h.HTTP, req) }

// WaitCalls returns once the calls' background work is done: at once in
// memory, where the fakes do it as it is asked.
func (h *harness) WaitCalls() {
	h.t.Helper()
	if h.Server != nil {
		h.Server.WaitCalls()
	}
}

// requests lists every pending request, by CallSid.
func (h *harness) requests(t *testing.T) map[string]*callback.Request {
	t.Helper()
	if h.fakes != nil {
		return h.fakes.requestList()
	}
	page, _, err := h.Queue.List(t.Context(), callback.StatusPending, 500, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*callback.Request{}
	for _, r := range page {
		if out[r.CallSID] != nil {
			t.Fatalf("call %s recorded twice", r.CallSID)
		}
		full, err := h.Queue.Get(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[r.CallSID] = full
	}
	return out
}

// post sends a form, signed when sign is true.
func (h *harness) post(pathAndQuery string, form url.Values, sign bool) *httptest.ResponseRecorder {
	return h.Post(pathAndQuery, form, sign)
}

// step posts a signed webhook and returns the parsed TwiML, failing the test
// unless the answer is 200 and text/xml.
func (h *harness) step(pathAndQuery string, form url.Values) *simulate.Node {
	h.t.Helper()
	rec := h.post(pathAndQuery, form, true)
	if rec.Code != 200 {
		h.t.Fatalf("POST %s: status %d, body %s", pathAndQuery, rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		h.t.Fatalf("POST %s: Content-Type %q, want text/xml", pathAndQuery, ct)
	}
	doc, err := simulate.ParseTwiML(rec.Body.Bytes())
	if err != nil {
		h.t.Fatalf("POST %s: %v\n%s", pathAndQuery, err, rec.Body)
	}
	return doc
}

// callStep is step plus the dead-end check every caller-facing answer must pass.
func (h *harness) callStep(pathAndQuery string, form url.Values) *simulate.Node {
	h.t.Helper()
	doc := h.step(pathAndQuery, form)
	if why := doc.DeadEnd(); why != "" {
		h.t.Fatalf("POST %s: %s", pathAndQuery, why)
	}
	return doc
}

// callForm is the body Twilio posts for a call, plus extra fields.
func callForm(extra ...string) url.Values {
	f := url.Values{
		"CallSid":    {"CA0123456789abcdef0123456789abcdef"},
		"AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"From":       {callerFrom},
		"To":         {"+14258692644"},
		"CallStatus": {"in-progress"},
		"Direction":  {"inbound"},
		"ApiVersion": {"2010-04-01"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// pathOf strips the test base URL from an absolute URL found in TwiML, and
// the configuration version every step carries (checked by TestReload...).
func pathOf(t testing.TB, u string) string {
	t.Helper()
	if !strings.HasPrefix(u, testBase+"/") {
		t.Fatalf("URL %q is not under the public base %s", u, testBase)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatalf("URL %q: %v", u, err)
	}
	q := parsed.Query()
	if q.Get("cv") == "" {
		t.Fatalf("URL %q does not carry the configuration version", u)
	}
	q.Del("cv")
	if len(q) == 0 {
		return parsed.Path
	}
	return parsed.Path + "?" + q.Encode()
}

// reportDay waits for the calls' background work, writes the report counts
// and reads back the day of at (a server harness: reports live in Redis).
func (h *harness) reportDay(at time.Time) reports.Period {
	h.t.Helper()
	h.WaitCalls()
	if err := h.App.Reports.Flush(h.t.Context()); err != nil {
		h.t.Fatal(err)
	}
	p, err := h.App.Reports.Read(h.t.Context(), 1, at)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}
