package console_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// browser is one signed-in (or not) browser: its cookie and CSRF token.
type browser struct {
	t      *testing.T
	s      *testserver.Server
	cookie *http.Cookie
	csrf   string
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	rec := b.s.Do(req)
	if m := csrfField.FindStringSubmatch(rec.Body.String()); m != nil {
		b.csrf = m[1]
	}
	return rec
}

// post submits a console form with the page's CSRF token.
func (b *browser) post(path string, fields ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	form := url.Values{"_csrf": {b.csrf}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return b.do(http.MethodPost, path, form)
}

func signIn(t *testing.T, s *testserver.Server, name, secret string) *browser {
	t.Helper()
	b := &browser{t: t, s: s}
	rec := b.do(http.MethodPost, "/staff/signin", url.Values{"name": {name}, "secret": {secret}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d %s", name, rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "sb_session" {
			b.cookie = c
		}
	}
	if b.cookie == nil {
		t.Fatal("no session cookie")
	}
	b.do(http.MethodGet, "/staff/", nil) // picks up the CSRF token
	return b
}

// seed records a request as the call flow would, created at `at`.
func seed(t *testing.T, s *testserver.Server, sid, number string, at time.Time, msg *callback.Message) string {
	t.Helper()
	id := s.Record(t, callback.Capture{CallSID: sid, CallerNumber: number, CallbackNumber: number, Reason: "menu", At: at})
	if msg != nil {
		if _, _, err := s.Queue.Apply(t.Context(), s.Queue.MessageOp(sid, *msg)); err != nil {
			t.Fatal(err)
		}
		if msg.Transcription != "" {
			if _, _, err := s.Queue.Apply(t.Context(), s.Queue.TranscriptionOp(sid, msg.Transcription, "completed")); err != nil {
				t.Fatal(err)
			}
		}
	}
	return id
}

const client = "+12065550142"

func TestPagesNeedASession(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	id := seed(t, s, "CA1", client, testserver.MondayMorning, nil)
	anon := &browser{t: t, s: s}
	for _, p := range []struct{ method, path string }{
		{"GET", "/staff/"}, {"GET", "/staff/queue/rows"}, {"GET", "/staff/requests/" + id}, {"GET", "/staff/requests/" + id + "/audio"},
		{"POST", "/staff/requests/" + id + "/claim"}, {"POST", "/staff/requests/" + id + "/reveal"}, {"GET", "/staff/done"}, {"POST", "/staff/signout"},
	} {
		rec := anon.do(p.method, p.path, url.Values{})
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "Sign in") {
			t.Errorf("%s %s without a session: %d", p.method, p.path, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "0142") {
			t.Errorf("%s %s without a session shows client data", p.method, p.path)
		}
	}
	forged := &browser{t: t, s: s, cookie: &http.Cookie{Name: "sb_session", Value: "forged"}}
	if rec := forged.do("GET", "/staff/", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("forged session: %d", rec.Code)
	}
}

func TestSignInCookieAndThrottle(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	token := s.AddStaff("ana")
	if err := s.Staff.SetPassword(t.Context(), "ana", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, s: s}
	rec := b.do("POST", "/staff/signin", url.Values{"name": {"ana"}, "secret": {token}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("token sign-in: %d", rec.Code)
	}
	c := rec.Result().Cookies()[0]
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/staff" {
		t.Errorf("session cookie = %+v", c)
	}
	if rec := b.do("POST", "/staff/signin", url.Values{"name": {"ana"}, "secret": {"correct horse battery"}}); rec.Code != http.StatusSeeOther {
		t.Errorf("password sign-in: %d", rec.Code)
	}
	if rec := b.do("POST", "/staff/signin", url.Values{"name": {"ben"}, "secret": {token}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("ana's token under another name: %d", rec.Code)
	}
	// Three free tries, and a fourth that starts the wait (the clock of the
	// test server stands still, so the wait never passes here; the staff
	// package's tests show it doubling and ending).
	for i := 0; i < 4; i++ {
		if rec := b.do("POST", "/staff/signin", url.Values{"name": {"ana"}, "secret": {"wrong password!"}}); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, rec.Code)
		}
	}
	rec = b.do("POST", "/staff/signin", url.Values{"name": {"ana"}, "secret": {"correct horse battery"}})
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "Try again in 1 seconds") || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("after four failures the right password: %d %s", rec.Code, rec.Header())
	}
}

func TestQueueMasksNumbersAndCountsOverdue(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	// Wednesday 10:00 to Monday 10:00 over Thanksgiving and the day after
	// (both closed) is 8 + 2 = 10 office hours: overdue (deadline 4).
	seed(t, s, "CAold", "+12065550199", time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC), nil)
	seed(t, s, "CAnew", client, testserver.MondayMorning.Add(-30*time.Minute), &callback.Message{RecordingSID: "RE1", DurationSeconds: 9})
	b := signIn(t, s, "ana", s.AddStaff("ana"))
	rec := b.do("GET", "/staff/", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("queue: %d", rec.Code)
	}
	for _, want := range []string{"…0199", "…0142", `<strong id="count-pending">2</strong>`, `<strong id="count-overdue">1</strong>`, "30 min", "10 h 00 min", "yes (9 s)"} {
		if !strings.Contains(body, want) {
			t.Errorf("queue page lacks %q", want)
		}
	}
	if strings.Contains(body, "5550142") || strings.Contains(body, "5550199") {
		t.Error("the queue shows a full number")
	}
	if strings.Index(body, "…0199") > strings.Index(body, "…0142") {
		t.Error("the queue is not oldest first")
	}
	h := rec.Header()
	if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("security headers = %v", h)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "style=") {
		t.Error("inline script or style breaks the CSP")
	}
	rows := b.do("GET", "/staff/queue/rows", nil)
	if rows.Code != http.StatusOK || !strings.Contains(rows.Body.String(), "…0142") || strings.Contains(rows.Body.String(), "<html") {
		t.Errorf("refresh fragment: %d", rows.Code)
	}
}

func TestClaimRevealPlayCallComplete(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Twilio: true})
	id := seed(t, s, "CA1", client, testserver.MondayMorning, &callback.Message{
		RecordingSID: "REfedcba9876543210fedcba9876543210", DurationSeconds: 14, Transcription: `<script>alert("x")</script> call me`})
	ana := signIn(t, s, "ana", s.AddStaff("ana"))
	ben := signIn(t, s, "ben", s.AddStaff("ben"))
	page := "/staff/requests/" + id

	// CSRF: a form without the session's token is refused.
	for _, tok := range []string{"", "wrong"} {
		rec := ana.do("POST", page+"/claim", url.Values{"_csrf": {tok}})
		if rec.Code != http.StatusForbidden {
			t.Errorf("claim with CSRF token %q: %d", tok, rec.Code)
		}
	}
	if rec := ana.do("GET", page+"/audio", nil); rec.Code != http.StatusForbidden {
		t.Errorf("audio before claiming: %d", rec.Code)
	}
	if rec := ana.post(page + "/claim"); rec.Code != http.StatusSeeOther {
		t.Fatalf("claim: %d %s", rec.Code, rec.Body)
	}
	rec := ben.post(page + "/claim")
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "ana is working on this request") {
		t.Errorf("second claim: %d", rec.Code)
	}
	rec = ana.do("GET", page, nil)
	body := rec.Body.String()
	if strings.Contains(body, "5550142") || !strings.Contains(body, "Show full number") {
		t.Error("the claimed request shows the number before it is revealed")
	}
	if strings.Contains(body, "api.twilio.com") || !strings.Contains(body, `src="/staff/requests/`+id+`/audio"`) {
		t.Error("the page exposes the Twilio recording URL or lacks the player")
	}
	if strings.Contains(body, "call me") {
		t.Error("the claimed request shows the transcription before it is revealed")
	}
	if rec := ben.post(page + "/reveal"); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "5550142") {
		t.Errorf("reveal by someone without the claim: %d", rec.Code)
	}
	rec = ana.post(page + "/reveal")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<a href="tel:&#43;12065550142" id="tel">(206) 555-0142</a>`) {
		t.Errorf("reveal: %d\n%s", rec.Code, rec.Body)
	}
	if body := rec.Body.String(); strings.Contains(body, `<script>alert`) || !strings.Contains(body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; call me`) {
		t.Error("the revealed transcription is not shown as escaped text")
	}
	audio := ana.do("GET", page+"/audio", nil)
	if audio.Code != http.StatusOK || audio.Header().Get("Content-Type") != "audio/mpeg" || audio.Body.String() != string(s.Fake.Audio()) {
		t.Errorf("audio: %d %q", audio.Code, audio.Header().Get("Content-Type"))
	}
	if rec := ben.do("GET", page+"/audio", nil); rec.Code != http.StatusForbidden {
		t.Errorf("audio for someone without the claim: %d", rec.Code)
	}

	// Calling needs the staff member's phone.
	// The set-up hint (a command) is for admins; ana is told whom to ask.
	if body := ana.do("GET", page, nil).Body.String(); strings.Contains(body, `id="call"`) || !strings.Contains(body, "ask an admin") || strings.Contains(body, "staff phone ana") {
		t.Error("call back offered without a phone on the account, or the set-up command shown to a non-admin")
	}
	if err := s.Staff.SetAdmin(t.Context(), "ana", true); err != nil {
		t.Fatal(err)
	}
	if body := ana.do("GET", page, nil).Body.String(); !strings.Contains(body, "switchboard staff phone ana") {
		t.Error("an admin is not told how to add the phone")
	}
	if err := s.Staff.SetPhone(t.Context(), "ana", "+14255550111"); err != nil {
		t.Fatal(err)
	}
	s.Fake.Fail(21215)
	rec = ana.post(page + "/call")
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "Twilio error 21215") {
		t.Errorf("call back with Twilio failing: %d", rec.Code)
	}
	s.Fake.Fail(0)
	if rec := ana.post(page + "/call"); rec.Code != http.StatusSeeOther {
		t.Fatalf("call back: %d %s", rec.Code, rec.Body)
	}
	var calls int
	for _, r := range s.Fake.Requests() {
		if strings.HasSuffix(r.Path, "/Calls.json") && r.Form.Get("To") == "+14255550111" && r.Form.Get("From") == "+14258692644" &&
			strings.Contains(r.Form.Get("Twiml"), client) {
			calls++
		}
	}
	if calls != 2 {
		t.Errorf("%d call-back requests reached Twilio, want 2 (one refused, one placed)", calls)
	}
	if rec := ana.post(page+"/complete", "outcome", "reached", "note", "booked an intake"); rec.Code != http.StatusSeeOther {
		t.Fatalf("complete: %d %s", rec.Code, rec.Body)
	}
	r, err := s.Queue.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != callback.StatusDone || r.Attempts != 1 || r.Outcome != callback.OutcomeReached {
		t.Errorf("after completing: status %s attempts %d outcome %s", r.Status, r.Attempts, r.Outcome)
	}
	var whats []string
	for _, e := range r.History {
		whats = append(whats, e.Who+" "+e.What)
	}
	want := "[caller created twilio transcription completed caller voice message ana claim ana number revealed ana message played ana call placed ana complete: reached]"
	if got := fmt.Sprint(whats); got != strings.Replace(want, "twilio transcription completed caller voice message", "caller voice message twilio transcription completed", 1) {
		t.Errorf("history = %s", got)
	}
	if strings.Contains(s.Logs.String(), "5550142") {
		t.Error("the logs contain the client's number")
	}
}

func TestDoneListAndSearch(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	ana := signIn(t, s, "ana", s.AddStaff("ana"))
	for i, n := range []string{"+12065550142", "+12065550199"} {
		id := seed(t, s, fmt.Sprintf("CA%d", i), n, testserver.MondayMorning, nil)
		ana.post("/staff/requests/" + id + "/claim")
		if rec := ana.post("/staff/requests/"+id+"/complete", "outcome", "wrong-number"); rec.Code != http.StatusSeeOther {
			t.Fatalf("complete: %d", rec.Code)
		}
	}
	if body := ana.do("GET", "/staff/done", nil).Body.String(); !strings.Contains(body, "…0142") || !strings.Contains(body, "…0199") {
		t.Error("done list lacks a request")
	}
	tests := []struct {
		last4, date string
		code        int
		want, not   string
	}{
		{"0142", "", 200, "…0142", "…0199"},
		{"", "2026-11-30", 200, "…0199", ""},
		{"0142", "2026-11-29", 200, "No finished request matches", "…0142"},
		{"42", "", 400, "exactly four digits", ""},
		{"", "30/11/2026", 400, "YYYY-MM-DD", ""},
	}
	for _, tt := range tests {
		rec := ana.post("/staff/done", "last4", tt.last4, "date", tt.date)
		body := rec.Body.String()
		if rec.Code != tt.code || !strings.Contains(body, tt.want) || (tt.not != "" && strings.Contains(body, tt.not)) {
			t.Errorf("search %q %q: %d, want %d with %q without %q", tt.last4, tt.date, rec.Code, tt.code, tt.want, tt.not)
		}
	}
}

func TestCompletingDeletesTheRecordingWhenConfigured(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(string(config.DefaultYAML()), "deleteRecordings: false", "deleteRecordings: true", 1)
	s := testserver.New(t, testserver.Options{Twilio: true, YAML: yaml})
	id := seed(t, s, "CA1", client, testserver.MondayMorning, &callback.Message{RecordingSID: "RE77777777777777777777777777777777", DurationSeconds: 5})
	ana := signIn(t, s, "ana", s.AddStaff("ana"))
	ana.post("/staff/requests/" + id + "/claim")
	ana.post("/staff/requests/"+id+"/complete", "outcome", "reached")
	if _, err := s.Recorder.DeleteRecordings(t.Context()); err != nil { // upkeep
		t.Fatal(err)
	}
	var deleted bool
	for _, r := range s.Fake.Requests() {
		deleted = deleted || (r.Method == "DELETE" && strings.HasSuffix(r.Path, "/Recordings/RE77777777777777777777777777777777.json"))
	}
	if !deleted {
		t.Errorf("recording not deleted: %+v", s.Fake.Requests())
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	ana := signIn(t, s, "ana", s.AddStaff("ana"))
	if rec := ana.post("/staff/signout"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "signed out") {
		t.Fatalf("sign out: %d", rec.Code)
	}
	if rec := ana.do("GET", "/staff/", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("after signing out: %d", rec.Code)
	}
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	b := &browser{t: t, s: s}
	for path, ct := range map[string]string{"/staff/static/app.js": "text/javascript", "/staff/static/app.css": "text/css"} {
		rec := b.do("GET", path, nil)
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), ct) || len(body) == 0 {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if rec := b.do("GET", "/staff/static/../console.go", nil); rec.Code == 200 {
		t.Error("static serves files outside its folder")
	}
}

func TestSlowTwilioIsAClearErrorWithinItsTimeout(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Twilio: true}) // Twilio client timeout: 2 s
	id := seed(t, s, "CAslow", client, testserver.MondayMorning, nil)
	ana := signIn(t, s, "ana", s.AddStaff("ana"))
	if err := s.Staff.SetPhone(t.Context(), "ana", "+14255550111"); err != nil {
		t.Fatal(err)
	}
	ana.post("/staff/requests/" + id + "/claim")
	s.Fake.Delay(5 * time.Second)
	start := time.Now()
	rec := ana.post("/staff/requests/" + id + "/call")
	took := time.Since(start)
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "could not be reached") {
		t.Errorf("slow Twilio: %d", rec.Code)
	}
	if took > 4*time.Second {
		t.Errorf("the page waited %v, past the 2 s Twilio timeout", took)
	}
	r, err := s.Queue.Get(t.Context(), id)
	if err != nil || r.Status != callback.StatusClaimed || r.ClaimedBy != "ana" || r.Attempts != 0 {
		t.Errorf("after a failed call: %+v, %v", r, err)
	}
}

// TestSpanishRequestsAreMarkedAndFiltered: a request left in Spanish shows
// "Spanish" in the queue and on its page, and the queue filters by it.
func TestSpanishRequestsAreMarkedAndFiltered(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	at := testserver.MondayMorning.Add(-30 * time.Minute)
	seed(t, s, "CAenglish", "+12065550199", at, nil)
	id := s.Record(t, callback.Capture{CallSID: "CAspanish", CallerNumber: client, CallbackNumber: client, Reason: "menu", Language: "es", At: at})
	b := signIn(t, s, "ana", s.AddStaff("ana"))
	all := b.do("GET", "/staff/", nil).Body.String()
	if strings.Count(all, `<span class="badge lang">Spanish</span>`) != 1 || !strings.Contains(all, `href="/staff/?language=es"`) {
		t.Errorf("the queue does not mark the one Spanish request, or offers no filter:\n%s", all)
	}
	only := b.do("GET", "/staff/?language=es", nil).Body.String()
	if !strings.Contains(only, "…0142") || strings.Contains(only, "…0199") || !strings.Contains(only, "(Spanish only)") {
		t.Errorf("the Spanish filter shows the wrong requests")
	}
	if rows := b.do("GET", "/staff/queue/rows?language=es", nil).Body.String(); strings.Contains(rows, "…0199") {
		t.Error("the refreshed rows drop the filter")
	}
	page := b.do("GET", "/staff/requests/"+id, nil).Body.String()
	if !strings.Contains(page, `<dd id="language"><span class="badge lang">Spanish</span>`) {
		t.Errorf("the request page does not say Spanish")
	}
}

// TestDutySwitchesAndWhoMayChangeWhom: a scheduler switches only
// themselves; only an admin switches another member; a person whose phone
// is on no ring group has no switch.
func TestDutySwitchesAndWhoMayChangeWhom(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	benToken, carlToken := s.AddStaff("ben"), s.AddStaff("carl")
	if err := s.Staff.SetPhone(t.Context(), "ben", "+14255550102"); err != nil {
		t.Fatal(err)
	}
	ben, carl := signIn(t, s, "ben", benToken), signIn(t, s, "carl", carlToken)
	if body := ben.do("GET", "/staff/", nil).Body.String(); !strings.Contains(body, `<span id="duty-state">Taking calls</span>`) {
		t.Fatalf("ben has no duty switch on the queue page")
	}
	if rec := ben.post("/staff/duty", "on", "0", "next", "/staff/done"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/staff/done" {
		t.Fatalf("ben switches away: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if body := ben.do("GET", "/staff/done", nil).Body.String(); !strings.Contains(body, `<span id="duty-state">Away</span>`) {
		t.Error("the switch did not stick")
	}
	if rec := ben.post("/staff/duty", "on", "1", "next", "https://evil.example/"); rec.Header().Get("Location") != "/staff/" {
		t.Errorf("an outside next is followed: %s", rec.Header().Get("Location"))
	}
	if body := carl.do("GET", "/staff/", nil).Body.String(); strings.Contains(body, "duty-state") {
		t.Error("carl, with no phone on a ring group, has a duty switch")
	}
	if rec := carl.post("/staff/duty", "on", "0"); rec.Code != http.StatusConflict {
		t.Errorf("carl switches himself: %d, want 409", rec.Code)
	}
	if rec := carl.post("/staff/duty/member", "member", "+14255550102", "on", "0"); rec.Code != http.StatusForbidden {
		t.Errorf("carl switches ben: %d, want 403", rec.Code)
	}
	if err := s.Staff.SetAdmin(t.Context(), "carl", true); err != nil {
		t.Fatal(err)
	}
	if rec := carl.post("/staff/duty/member", "member", "+14255550102", "on", "0"); rec.Code != http.StatusSeeOther {
		t.Errorf("admin carl switches ben: %d", rec.Code)
	}
	if rec := carl.post("/staff/duty/member", "member", "+12065550142", "on", "0"); rec.Code != http.StatusBadRequest {
		t.Errorf("admin switches a stranger: %d, want 400", rec.Code)
	}
	page := carl.do("GET", "/staff/duty", nil).Body.String()
	for _, want := range []string{"ben", "Away (switched admin)", "by carl (admin)", `aria-label="Switch to taking calls: ben">Switch to taking calls</button>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the duty page lacks %q", want)
		}
	}
	if rec := ben.do("GET", "/staff/reports", nil); rec.Code != http.StatusForbidden {
		t.Errorf("a non-admin opens the reports: %d, want 403", rec.Code)
	}
	if rec := carl.do("GET", "/staff/reports?days=8", nil); rec.Code != http.StatusBadRequest {
		t.Errorf("reports for 8 days: %d, want 400", rec.Code)
	}
}

// TestDutyPageMasksNumbers: a switch made by text from a member with no
// staff account, and one stored before numbers were masked, show the last
// four digits only on the duty page.
func TestDutyPageMasksNumbers(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	ben := signIn(t, s, "ben", s.AddStaff("ben"))
	if err := s.App.Duty.Set(t.Context(), duty.Switch{Member: "+14255550101", On: false, By: "+14255550101", How: "sms"}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"MessageSid": {"SM0123456789abcdef0123456789abcdef"}, "AccountSid": {testserver.AccountSID},
		"From": {"+14255550103"}, "To": {"+14258692644"}, "Body": {"OFF"}, "NumMedia": {"0"}}
	if rec := s.Post("/twilio/sms", form, true); rec.Code != http.StatusOK {
		t.Fatalf("text: %d %s", rec.Code, rec.Body)
	}
	body := ben.do("GET", "/staff/duty", nil).Body.String()
	for _, n := range []string{"4255550101", "4255550103"} {
		if strings.Contains(body, n) {
			t.Errorf("the duty page shows %s in full", n)
		}
	}
	if !strings.Contains(body, "by …0103") || !strings.Contains(body, "by …0101") {
		t.Errorf("the duty page does not say who by their last four digits:\n%s", body)
	}
}
