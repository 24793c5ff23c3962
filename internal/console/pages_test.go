package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// TestEveryConsoleErrorIsAPage: each error a person can meet in the
// console is an HTML page in its layout, with one h1, what happened and a
// way back; set-up hints reach admins only; the JSON API keeps JSON.
func TestEveryConsoleErrorIsAPage(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{}) // no Twilio: playback is not set up
	id := seed(t, s, "CAerr", client, testserver.MondayMorning, &callback.Message{RecordingSID: "RE0123456789abcdef0123456789abcdef", DurationSeconds: 8})
	adaToken := s.AddStaff("ada")
	if err := s.Staff.SetAdmin(t.Context(), "ada", true); err != nil {
		t.Fatal(err)
	}
	ben, ada := signIn(t, s, "ben", s.AddStaff("ben")), signIn(t, s, "ada", adaToken)
	if rec := ben.post("/staff/requests/" + id + "/claim"); rec.Code != http.StatusSeeOther {
		t.Fatalf("claim: %d", rec.Code)
	}
	tests := []struct {
		name   string
		who    *browser
		method string
		path   string
		form   []string
		code   int
		want   string // in the page
		back   string // the way back
	}{
		{"re-opening reveal", ben, "GET", "/staff/requests/" + id + "/reveal", nil, 405, "opening it does nothing", "/staff/requests/" + id},
		{"re-opening claim", ben, "GET", "/staff/requests/" + id + "/claim", nil, 405, "opening it does nothing", "/staff/requests/" + id},
		{"no such page", ben, "GET", "/staff/nothing-here", nil, 404, "no page at this address", "/staff/"},
		{"no such request", ben, "GET", "/staff/requests/01KZZZZZZZZZZZZZZZZZZZZZZZ", nil, 404, "no callback request with that id", "/staff/"},
		{"reports for a non-admin", ben, "GET", "/staff/reports", nil, 403, "The reports are for admins.", "/staff/"},
		{"a bad period", ada, "GET", "/staff/reports?days=8", nil, 400, "<h1", "/staff/"},
		{"an expired form", ben, "POST", "/staff/requests/" + id + "/release", []string{"_csrf", "stale"}, 403, "Nothing was changed", "/staff/"},
		{"a colleague's claim", ada, "POST", "/staff/requests/" + id + "/claim", nil, 409, "ben is working on this request", ""},
		{"no duty switch", ben, "POST", "/staff/duty", []string{"on", "0"}, 409, "no phone that a ring group rings", "/staff/"},
		{"playback not set up", ben, "GET", "/staff/requests/" + id + "/audio", nil, 503, "cannot be played from the console", "/staff/requests/" + id},
		{"a signed-out visitor", &browser{t: t, s: s}, "GET", "/staff/requests/" + id + "/claim", nil, 401, "Please sign in", ""},
	}
	for _, tt := range tests {
		var rec = tt.who.do(tt.method, tt.path, nil)
		if tt.method == "POST" {
			if len(tt.form) > 0 && tt.form[0] == "_csrf" {
				rec = tt.who.do("POST", tt.path, formOf(tt.form...))
			} else {
				rec = tt.who.post(tt.path, tt.form...)
			}
		}
		body := rec.Body.String()
		if rec.Code != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, rec.Code, tt.code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q", tt.name, ct)
		}
		if strings.Count(body, "<h1") != 1 || !strings.Contains(body, tt.want) || strings.Contains(body, `{"message"`) {
			t.Errorf("%s: want one h1 and %q:\n%s", tt.name, tt.want, body)
		}
		if tt.back != "" && !strings.Contains(body, `href="`+tt.back+`" id="back"`) {
			t.Errorf("%s: no way back to %s", tt.name, tt.back)
		}
		if strings.Contains(body, "TWILIO_ACCOUNT_SID") || strings.Contains(body, "switchboard staff phone") {
			t.Errorf("%s: a set-up hint shown to %s", tt.name, tt.who.name())
		}
	}
	// The request page says the message cannot play instead of a dead
	// player; only the admin reads why.
	page := ben.do("GET", "/staff/requests/"+id, nil).Body.String()
	if strings.Contains(page, "<audio") || !strings.Contains(page, "This voice message cannot be played here") {
		t.Errorf("a message that cannot play has a player, or no sentence")
	}
	if !strings.Contains(s.Logs.String(), "TWILIO_ACCOUNT_SID") {
		t.Error("the set-up hint is not logged")
	}
	if err := s.Staff.SetPhone(t.Context(), "ada", "+14255550101"); err != nil {
		t.Fatal(err)
	}
	if rec := ada.post("/staff/duty/member", "member", "+12065550142", "on", "0"); !strings.Contains(rec.Body.String(), "No ring group has that member") {
		t.Errorf("an unknown member: %d", rec.Code)
	}
	if err := s.Staff.SetAdmin(t.Context(), "ben", true); err != nil {
		t.Fatal(err)
	}
	if rec := ben.do("GET", "/staff/requests/"+id+"/audio", nil); !strings.Contains(rec.Body.String(), "TWILIO_ACCOUNT_SID") {
		t.Errorf("the admin is not told what to set up: %d", rec.Code)
	}
	// The JSON API keeps JSON errors.
	req, _ := http.NewRequest("GET", "/api/v1/callbacks/"+id, nil)
	if rec := s.Do(req); rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("the API without a token: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func (b *browser) name() string {
	if b.cookie == nil {
		return "a visitor"
	}
	return "a signed-in non-admin"
}

// TestNobodyTakingCallsWarnsEveryoneAndTextsAdminsOnce: with every
// scheduler switched away while the office is open, every page warns
// everyone, and the admins with a phone get one SMS, not one per page or
// switch; when somebody switches on the warning goes.
func TestNobodyTakingCallsWarnsEveryoneAndTextsAdminsOnce(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Twilio: true})
	adaToken, benToken := s.AddStaff("ada"), s.AddStaff("ben")
	for _, st := range []struct{ name, phone string }{{"ada", "+14255550190"}, {"ben", "+14255550102"}} {
		if err := s.Staff.SetPhone(t.Context(), st.name, st.phone); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Staff.SetAdmin(t.Context(), "ada", true); err != nil {
		t.Fatal(err)
	}
	ada, ben := signIn(t, s, "ada", adaToken), signIn(t, s, "ben", benToken)
	if body := ben.do("GET", "/staff/", nil).Body.String(); strings.Contains(body, "duty-banner") ||
		!strings.Contains(body, `id="duty-toggle" class="secondary">Switch to away</button>`) {
		t.Fatalf("with everyone taking calls: a banner, or no action-worded switch")
	}
	for _, m := range []string{"+14255550101", "+14255550103"} {
		if rec := ada.post("/staff/duty/member", "member", m, "on", "0"); rec.Code != http.StatusSeeOther {
			t.Fatalf("switch %s away: %d", m, rec.Code)
		}
	}
	if len(smsTo(s)) != 0 {
		t.Fatalf("texted with ben still taking calls: %v", smsTo(s))
	}
	if rec := ben.post("/staff/duty", "on", "0", "next", "/staff/done"); rec.Code != http.StatusSeeOther {
		t.Fatalf("ben switches away: %d", rec.Code)
	}
	for _, b := range []*browser{ada, ben} {
		for _, path := range []string{"/staff/", "/staff/done", "/staff/duty"} {
			body := b.do("GET", path, nil).Body.String()
			if !strings.Contains(body, `id="duty-banner"><strong>Nobody is taking calls for Scheduling.</strong>`) {
				t.Errorf("%s has no warning", path)
			}
		}
	}
	duty := ada.do("GET", "/staff/duty", nil).Body.String()
	if !strings.Contains(duty, "<h2>Scheduling</h2>") || !strings.Contains(duty, "Nobody is taking calls.") {
		t.Error("the duty page does not say per group who is taking calls")
	}
	if body := ben.do("GET", "/staff/", nil).Body.String(); !strings.Contains(body, `You: <span id="duty-state">Away</span>`) ||
		!strings.Contains(body, ">Switch to taking calls</button>") {
		t.Error("ben's switch does not show his state and the action apart")
	}
	if got := smsTo(s); len(got) != 1 || got[0] != "+14255550190" {
		t.Errorf("texts about the gap went to %v, want the admin's phone once", got)
	}
	if rec := ben.post("/staff/duty", "on", "1"); rec.Code != http.StatusSeeOther {
		t.Fatalf("ben switches on: %d", rec.Code)
	}
	duty = ada.do("GET", "/staff/duty", nil).Body.String()
	if strings.Contains(duty, "duty-banner") || !strings.Contains(duty, "Taking calls now: <strong>ben (…0102)</strong>") {
		t.Errorf("with ben back the duty page shows a banner or not him")
	}
	if len(smsTo(s)) != 1 {
		t.Errorf("%d texts; switching on sends none", len(smsTo(s)))
	}
	// Ben texts OFF from his phone: a new gap, texted about at once.
	form := url.Values{"MessageSid": {"SM0123456789abcdef0123456789abcde1"}, "AccountSid": {testserver.AccountSID},
		"From": {"+14255550102"}, "To": {"+14258692644"}, "Body": {"OFF"}}
	if rec := s.Post("/twilio/sms", form, true); rec.Code != http.StatusOK {
		t.Fatalf("ben texts OFF: %d", rec.Code)
	}
	if got := smsTo(s); len(got) != 2 || got[1] != "+14255550190" {
		t.Errorf("after ben texted OFF the texts went to %v, want the admin twice in all", got)
	}
}

// TestAfterHoursNobodyIsWarnedOnlyQuietly: while the office is closed a
// group with nobody is no emergency: no banner, a quiet note on the duty
// page, no SMS.
func TestAfterHoursNobodyIsWarnedOnlyQuietly(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Twilio: true, At: time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)}) // Sunday
	adaToken := s.AddStaff("ada")
	if err := s.Staff.SetAdmin(t.Context(), "ada", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Staff.SetPhone(t.Context(), "ada", "+14255550190"); err != nil {
		t.Fatal(err)
	}
	ada := signIn(t, s, "ada", adaToken)
	for _, m := range []string{"+14255550101", "+14255550102", "+14255550103"} {
		ada.post("/staff/duty/member", "member", m, "on", "0")
	}
	body := ada.do("GET", "/staff/duty", nil).Body.String()
	if strings.Contains(body, "duty-banner") || !strings.Contains(body, `id="closed-gap"`) {
		t.Error("after hours: a banner, or no quiet note on the duty page")
	}
	if len(smsTo(s)) != 0 {
		t.Errorf("texted after hours: %v", smsTo(s))
	}
}

func smsTo(s *testserver.Server) []string {
	var out []string
	for _, r := range s.Fake.Requests() {
		if strings.HasSuffix(r.Path, "/Messages.json") {
			out = append(out, r.Form.Get("To"))
		}
	}
	return out
}

// TestWhatACallerBackNeeds: colleagues' claims stay in sight with who and
// since when; the last outcome is in words with its time and zone; a
// request left after hours says so instead of "0 min"; a finished request
// says when it finished, not how long it waits; missed calls and urgent
// requests carry their labels.
func TestWhatACallerBackNeeds(t *testing.T) {
	t.Parallel()
	sunday := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC) // closed
	s := testserver.New(t, testserver.Options{At: sunday})
	left := seed(t, s, "CAleft", "+12065550177", sunday.Add(-time.Hour), nil)
	taken := seed(t, s, "CAtaken", "+442079460958", sunday.Add(-2*time.Hour), nil)
	tried := seed(t, s, "CAtried", "+12065550188", testserver.MondayMorning, nil)
	done := seed(t, s, "CAdone", "+12065550199", testserver.MondayMorning, nil)
	missed := s.Record(t, callback.Capture{CallSID: "CAmissed", CallerNumber: "+12065550166",
		CallbackNumber: "+12065550166", Reason: callback.ReasonMissedCall, At: sunday.Add(-3 * time.Hour)})
	ana, ben := signIn(t, s, "ana", s.AddStaff("ana")), signIn(t, s, "ben", s.AddStaff("ben"))
	ben.post("/staff/requests/" + taken + "/claim")
	ana.post("/staff/requests/" + tried + "/claim")
	if rec := ana.post("/staff/requests/"+tried+"/complete", "outcome", "left-voicemail"); rec.Code != http.StatusSeeOther {
		t.Fatalf("complete: %d", rec.Code)
	}
	ana.post("/staff/requests/" + done + "/claim")
	ana.post("/staff/requests/"+done+"/complete", "outcome", "reached")

	q := ana.do("GET", "/staff/", nil).Body.String()
	for _, want := range []string{
		`<td data-label="Claimed by">ben</td>`, `<td data-label="Since">Sun Dec 6, 10:00 AM PST</td>`,
		`Left a voicemail<br><small>Sun Dec 6, 10:00 AM PST, ana</small>`, "1 attempt",
		`aria-label="Claim request from …0177 left Sun Dec 6, 9:00 AM PST"`,
		`<span class="badge missed">Missed call</span>`,
	} {
		if !strings.Contains(q, want) {
			t.Errorf("the queue lacks %q\n%s", want, q)
		}
	}
	if i := strings.Index(q, `data-label="Waiting">after hours`); i < 0 || strings.Contains(q, ">0 min") {
		t.Error("a request left after hours does not say so")
	}
	if strings.Contains(q, "left-voicemail") {
		t.Error("the queue shows an outcome code")
	}
	page := ana.do("GET", "/staff/requests/"+done, nil).Body.String()
	if strings.Contains(page, "Waiting") || !strings.Contains(page, `<dd id="finished">Sun Dec 6, 10:00 AM PST</dd>`) || !strings.Contains(page, "recorded the outcome: Reached") {
		t.Errorf("a finished request's page:\n%s", page)
	}
	if page := ana.do("GET", "/staff/requests/"+left, nil).Body.String(); !strings.Contains(page, "left after hours") {
		t.Error("the request page of one left after hours")
	}
	if page := ana.do("GET", "/staff/requests/"+missed, nil).Body.String(); !strings.Contains(page, `<span class="badge missed">Missed call</span>`) {
		t.Error("the request page of a missed call has no label")
	}
	ben.post("/staff/requests/" + taken + "/reveal")
	if page := ben.do("GET", "/staff/requests/"+taken, nil); page.Code != 200 {
		t.Fatal(page.Code)
	}
	if page := ben.post("/staff/requests/" + taken + "/reveal").Body.String(); !strings.Contains(page, `id="tel">&#43;44 20 7946 0958</a>`) {
		t.Errorf("an international number is not in its groups:\n%s", page)
	}
	if done := ana.do("GET", "/staff/done", nil).Body.String(); !strings.Contains(done, `<td data-label="Outcome">Reached</td>`) {
		t.Error("the done list shows no outcome in words")
	}
}

func formOf(kv ...string) url.Values {
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}
