package ivr_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
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

// harness is a whole Switchboard behind its real router, signatures on.
type harness struct {
	*testserver.Server
	t testing.TB
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	return &harness{Server: testserver.New(t, o), t: t}
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
