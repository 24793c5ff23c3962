package ivr_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/ivr"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/switchboard-clinic/switchboard/server"
	"github.com/switchboard-clinic/switchboard/twimldoc"
	"github.com/switchboard-clinic/switchboard/webhook"
	"github.com/twilio/twilio-go/client"
)

const (
	testToken  = "0123456789abcdef0123456789abcdef"
	testBase   = "https://phone.example.org"
	callerFrom = "+12065550142"
)

// Instants in the practice's time zone (America/Los_Angeles).
var (
	mondayMorning  = time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC) // 10:00 PST, open
	saturdayMidday = time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC) // 12:00 PST, closed
)

// lockedBuffer collects logs written from handler goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// harness is a Switchboard behind its real router, signature checks on.
type harness struct {
	t     testing.TB
	srv   *server.Server
	logs  *lockedBuffer
	redis *redistest.Server
}

type harnessOpts struct {
	at   time.Time
	yaml string // line configuration; empty means the built-in default
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	if o.at.IsZero() {
		o.at = mondayMorning
	}
	var line *routing.Line
	var err error
	if o.yaml == "" {
		line, err = config.LoadFile("")
	} else {
		line, err = config.Load("test.yaml", []byte(o.yaml))
	}
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	flow, err := ivr.New(ivr.Deps{
		Line:    func() *routing.Line { return line },
		BaseURL: testBase,
		Now:     func() time.Time { return o.at },
		Logger:  log,
	})
	if err != nil {
		t.Fatalf("ivr.New: %v", err)
	}
	rs := redistest.Start(t)
	v := client.NewRequestValidator(testToken)
	srv, err := server.New(server.Deps{Flow: flow, Validator: &v, BaseURL: testBase, Logger: log, Redis: rs.Client()})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return &harness{t: t, srv: srv, logs: logs, redis: rs}
}

// post sends a form to pathAndQuery, signed as Twilio signs it when sign is true.
func (h *harness) post(pathAndQuery string, form url.Values, sign bool) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, pathAndQuery, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign {
		req.Header.Set("X-Twilio-Signature", webhook.Sign(testToken, testBase+pathAndQuery, form))
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return rec
}

// step posts a signed webhook and returns the parsed TwiML, failing the test
// unless the answer is 200, text/xml and never a dead end.
func (h *harness) step(pathAndQuery string, form url.Values) *twimldoc.Node {
	h.t.Helper()
	rec := h.post(pathAndQuery, form, true)
	if rec.Code != http.StatusOK {
		h.t.Fatalf("POST %s: status %d, body %s", pathAndQuery, rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		h.t.Fatalf("POST %s: Content-Type %q, want text/xml", pathAndQuery, ct)
	}
	doc, err := twimldoc.Parse(rec.Body.Bytes())
	if err != nil {
		h.t.Fatalf("POST %s: %v\n%s", pathAndQuery, err, rec.Body)
	}
	return doc
}

// callStep is step plus the dead-end check every caller-facing answer must pass.
func (h *harness) callStep(pathAndQuery string, form url.Values) *twimldoc.Node {
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

// pathOf strips the test base URL from an absolute URL found in TwiML.
func pathOf(t testing.TB, u string) string {
	t.Helper()
	if !strings.HasPrefix(u, testBase+"/") {
		t.Fatalf("URL %q is not under the public base %s", u, testBase)
	}
	return strings.TrimPrefix(u, testBase)
}
