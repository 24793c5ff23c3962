package ivr_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

const (
	scheduler1 = "+14255550101"
	scheduler2 = "+14255550102"
	scheduler3 = "+14255550103"
)

// ringing lists the numbers a document's <Dial> rings, in order.
func ringing(doc *simulate.Node) []string {
	var out []string
	if d := doc.First("Dial"); d != nil {
		for _, n := range d.All("Number") {
			out = append(out, strings.TrimSpace(n.Text))
		}
	}
	return out
}

func TestRingsOnlyMembersOnDuty(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	if got := ringing(h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))); len(got) != 3 {
		t.Fatalf("everyone on duty: rings %v, want all three", got)
	}
	if err := h.App.Duty.Set(t.Context(), duty.Switch{Member: scheduler2, On: false, By: "ben", How: "console"}); err != nil {
		t.Fatal(err)
	}
	got := ringing(h.callStep("/twilio/menu?n=0", callForm("Digits", "0")))
	if strings.Join(got, " ") != scheduler1+" "+scheduler3 {
		t.Errorf("with ben away: rings %v, want the other two", got)
	}

	// Everyone away while open: told so, and offered a callback at once.
	for _, m := range []string{scheduler1, scheduler3} {
		if err := h.App.Duty.Set(t.Context(), duty.Switch{Member: m, On: false, By: "admin", How: "admin"}); err != nil {
			t.Fatal(err)
		}
	}
	doc := h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))
	if doc.First("Dial") != nil {
		t.Fatalf("with everyone away a ring was placed: %q", doc.Said())
	}
	if !strings.Contains(doc.Said(), "nobody is able to take your call right now") || !strings.Contains(gatherAction(t, doc), "/twilio/callback/number") {
		t.Errorf("with everyone away: %q, want the callback offer at once", doc.Said())
	}
	if !strings.Contains(gatherAction(t, doc), "r=nobody-on-duty") {
		t.Errorf("the callback offer does not record why: %s", gatherAction(t, doc))
	}
}

func TestRedisDownRingsEveryMember(t *testing.T) {
	t.Parallel()
	clock := &stepClock{t: mondayMorning}
	h := newServerHarness(t, harnessOpts{Clock: clock.now})
	if err := h.App.Duty.Set(t.Context(), duty.Switch{Member: scheduler2, On: false, By: "ben", How: "console"}); err != nil {
		t.Fatal(err)
	}
	h.Redis.Kill()
	clock.at(mondayMorning, 3) // past the roster's cache
	if got := ringing(h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))); len(got) != 3 {
		t.Errorf("with Redis down: rings %v, want every configured member", got)
	}
}

func TestWhisperSaysWhatTheCallIsFor(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	leg := callForm("CallSid", "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	for _, tt := range []struct {
		name, path, want string
		not              string
	}{
		{"first ring", "/twilio/screen?g=scheduling&rc=1&s=0", "Scheduling call from the Evergreen Psychotherapy main line. Press 1 to accept the call.", "waited"},
		{"second ring", "/twilio/screen?g=scheduling&rc=2&s=0", "The caller already waited through one ring. Scheduling call from", ""},
		{"next in order", "/twilio/screen?g=scheduling&rc=1&s=1", "The caller already waited through one ring.", ""},
		{"Spanish caller", "/twilio/screen?g=scheduling&rc=1&s=0&l=es", "Spanish-speaking caller. Scheduling call from the Evergreen Psychotherapy main line.", ""},
		{"an extension", "/twilio/screen?g=ext-201&rc=1&s=0", "Billing call from the Evergreen Psychotherapy main line.", ""},
	} {
		said := h.callStep(tt.path, leg).Said()
		if !strings.Contains(said, tt.want) || (tt.not != "" && strings.Contains(said, tt.not)) {
			t.Errorf("%s: whisper %q, want %q", tt.name, said, tt.want)
		}
		if strings.Contains(said, "0142") {
			t.Errorf("%s: the whisper names the caller", tt.name)
		}
	}
}

// smsSeq numbers the texts of the tests: each gets its own MessageSid.
var smsSeq atomic.Int64

func smsForm(from, body string) url.Values {
	return url.Values{"MessageSid": {fmt.Sprintf("SM%032x", smsSeq.Add(1))}, "AccountSid": {testserver.AccountSID},
		"From": {from}, "To": {"+14258692644"}, "Body": {body}, "NumMedia": {"0"}}
}

func TestDutyByText(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	reply := func(form url.Values) string {
		t.Helper()
		rec := h.post("/twilio/sms", form, true)
		if rec.Code != http.StatusOK {
			t.Fatalf("POST /twilio/sms: %d %s", rec.Code, rec.Body)
		}
		doc, err := simulate.ParseTwiML(rec.Body.Bytes())
		if err != nil || doc.First("Message") == nil {
			t.Fatalf("reply is no TwiML <Message>: %s", rec.Body)
		}
		return doc.First("Message").Text
	}
	if got := reply(smsForm(scheduler2, "OFF")); !strings.Contains(got, "You are away") {
		t.Errorf("OFF: %q", got)
	}
	if got := ringing(h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))); len(got) != 2 {
		t.Errorf("after OFF: rings %v", got)
	}
	if got := reply(smsForm(scheduler2, " on ")); !strings.Contains(got, "You are taking scheduling calls") {
		t.Errorf("ON: %q", got)
	}
	if got := ringing(h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))); len(got) != 3 {
		t.Errorf("after ON: rings %v", got)
	}
	if got := reply(smsForm(scheduler2, "what?")); !strings.Contains(got, "Text ON") || !strings.Contains(got, "taking calls now") {
		t.Errorf("help: %q", got)
	}
	if got := reply(smsForm("+12065550142", "OFF")); !strings.Contains(got, "texts to this number are not read") || strings.Contains(got, "Evergreen") {
		t.Errorf("a stranger (perhaps a missed caller on a shared phone): %q", got)
	}
	log, err := h.App.Duty.Log(t.Context(), 10)
	if err != nil || len(log) != 2 {
		t.Errorf("log after two switches and two other texts: %+v %v", log, err)
	}
	if rec := h.post("/twilio/sms", smsForm(scheduler2, "OFF"), false); rec.Code != http.StatusForbidden {
		t.Errorf("unsigned: %d, want 403", rec.Code)
	}
	bad := smsForm(scheduler2, "OFF")
	bad.Set("MessageSid", "SMnothex")
	if rec := h.post("/twilio/sms", bad, true); rec.Code != http.StatusBadRequest {
		t.Errorf("a malformed MessageSid: %d, want 400", rec.Code)
	}
}

// TestAReplayedTextIsNotObeyedAgain: a signed text delivered a second time
// with the same MessageSid changes nothing and gets no reply.
func TestAReplayedTextIsNotObeyedAgain(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	off := smsForm(scheduler2, "OFF")
	on := smsForm(scheduler2, "ON")
	for _, tc := range []struct {
		name      string
		form      url.Values
		wantReply bool
		wantRings int
	}{
		{"OFF", off, true, 2},
		{"ON", on, true, 3},
		{"OFF replayed", off, false, 3},
	} {
		rec := h.post("/twilio/sms", tc.form, true)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.name, rec.Code, rec.Body)
		}
		if got := strings.Contains(rec.Body.String(), "<Message>"); got != tc.wantReply {
			t.Errorf("%s: reply %v, want %v: %s", tc.name, got, tc.wantReply, rec.Body)
		}
		if got := ringing(h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))); len(got) != tc.wantRings {
			t.Errorf("after %s: rings %v, want %d numbers", tc.name, got, tc.wantRings)
		}
	}
	if log, err := h.App.Duty.Log(t.Context(), 10); err != nil || len(log) != 2 {
		t.Errorf("log: %d changes (%v), want 2", len(log), err)
	}
}
