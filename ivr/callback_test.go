package ivr_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

const sid = "CA0123456789abcdef0123456789abcdef"

func TestCallbackWithCallerID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	offer := h.callStep("/twilio/menu?n=0", callForm("Digits", "2"))
	if !strings.Contains(offer.Said(), "ending in 0 1 4 2") {
		t.Fatalf("the caller does not hear the last four digits: %q", offer.Said())
	}
	if len(h.requests(t)) != 0 {
		t.Fatal("a request exists before the number is confirmed")
	}
	consent := h.callStep(gatherAction(t, offer), callForm("Digits", "1"))
	if !strings.Contains(consent.Said(), "saved") || !strings.Contains(consent.Said(), "voicemail") {
		t.Fatalf("after confirming: %q", consent.Said())
	}
	reqs := h.requests(t)
	r := reqs[sid]
	if len(reqs) != 1 || r == nil || r.CallbackNumber != callerFrom || r.CallerNumber != callerFrom || r.Reason != "menu" {
		t.Fatalf("requests after confirming = %+v", reqs)
	}
	name := h.callStep(gatherAction(t, consent), callForm("Digits", "1"))
	if !strings.Contains(name.Said(), "Evergreen Psychotherapy by name") {
		t.Fatalf("second consent question: %q", name.Said())
	}
	msg := h.callStep(gatherAction(t, name), callForm("Digits", "2"))
	rec := msg.First("Record")
	// Twilio transcribes only recordings shorter than 120 s: 119 at most.
	if rec == nil || rec.Attrs["maxLength"] != "119" || rec.Attrs["transcribe"] != "true" ||
		pathOf(t, rec.Attrs["transcribeCallback"]) != "/twilio/callback/transcript" {
		t.Fatalf("message step: %+v", rec)
	}
	if !strings.Contains(msg.Said(), "do not include details about your health") {
		t.Errorf("callers are not told to leave out clinical details: %q", msg.Said())
	}
	done := h.callStep(pathOf(t, rec.Attrs["action"]), callForm(
		"RecordingSid", "RE0123456789abcdef0123456789abcdef", "RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
		"RecordingDuration", "12", "Digits", "#"))
	if done.Last().Name != "Hangup" || !strings.Contains(done.Said(), "We're all set") ||
		!strings.Contains(done.Said(), "today") || !strings.Contains(done.Said(), "9 8 8") {
		t.Errorf("confirmation: %q", done.Said())
	}
	tr := h.post("/twilio/callback/transcript", callForm("TranscriptionText", "Please call after 3 <b>pm</b>", "TranscriptionStatus", "completed"), true)
	if tr.Code != http.StatusNoContent {
		t.Errorf("transcription callback: %d %s", tr.Code, tr.Body)
	}
	r = h.requests(t)[sid]
	if r.VoicemailOK != callback.ConsentYes || r.NamePracticeOK != callback.ConsentNo {
		t.Errorf("consent = %s/%s, want yes/no", r.VoicemailOK, r.NamePracticeOK)
	}
	if r.Message == nil || r.Message.RecordingSID != "RE0123456789abcdef0123456789abcdef" || r.Message.DurationSeconds != 12 ||
		r.Message.Transcription != "Please call after 3 <b>pm</b>" {
		t.Errorf("message = %+v", r.Message)
	}
}

func TestCallbackWithheldCallerIDKeysANumber(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, from := range []string{"anonymous", "+266696687", ""} {
		doc := h.callStep("/twilio/menu?n=0", callForm("Digits", "2", "From", from))
		if g := doc.First("Gather"); g == nil || g.Attrs["finishOnKey"] != "#" || !strings.Contains(doc.Said(), "enter the phone number") {
			t.Fatalf("From=%q: not asked to key a number: %q", from, doc.Said())
		}
	}
	keyed := h.callStep("/twilio/callback/keyed?n=0&r=menu", callForm("Digits", "4255550199", "From", "anonymous"))
	if !strings.Contains(keyed.Said(), "4 2 5, 5 5 5, 0 1 9 9") {
		t.Fatalf("number not read back: %q", keyed.Said())
	}
	confirm := gatherAction(t, keyed)
	if strings.Contains(confirm, "4255550199") {
		t.Errorf("the keyed number travels in clear in the URL: %s", confirm)
	}
	h.callStep(confirm, callForm("Digits", "1", "From", "anonymous"))
	r := h.requests(t)[sid]
	if r == nil || r.CallbackNumber != "+14255550199" || r.CallerNumber != "" {
		t.Fatalf("request = %+v", r)
	}
	t.Run("a tampered number is refused", func(t *testing.T) {
		u := strings.Replace(confirm, "num=", "num=x", 1)
		doc := h.callStep(u, callForm("Digits", "1", "CallSid", "CAfedcba9876543210fedcba9876543210"))
		if !strings.Contains(doc.Said(), "something went wrong") {
			t.Errorf("tampered state: %q", doc.Said())
		}
	})
}

func TestCallbackKeyedNumberChecks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, tt := range []struct{ digits, want, next string }{
		{"555", "too short", "/twilio/callback/keyed?n=1&r=menu&t=1"},
		{"9005551234", "premium", "/twilio/callback/keyed?n=1&r=menu&t=1"},
		{"911", "emergency", "/twilio/callback/keyed?n=1&r=menu&t=1"},
		{"", "didn't hear", "/twilio/callback/keyed?n=1&r=menu"},
	} {
		doc := h.callStep("/twilio/callback/keyed?n=0&r=menu", callForm("Digits", tt.digits))
		if !strings.Contains(doc.Said(), tt.want) || gatherAction(t, doc) != tt.next {
			t.Errorf("keyed %q: said %q", tt.digits, doc.Said())
		}
	}
	// A third bad number while open goes to a person, never a hangup.
	doc := h.callStep("/twilio/callback/keyed?n=2&r=menu", callForm("Digits", "12"))
	if _, to := dialed(t, doc); len(to) != 3 {
		t.Errorf("after three bad numbers: %q", doc.Said())
	}
	// Pressing 2 at the caller-ID question asks for a number.
	doc = h.callStep("/twilio/callback/number?n=0&r=menu", callForm("Digits", "2"))
	if !strings.Contains(doc.Said(), "enter the phone number") {
		t.Errorf("press 2: %q", doc.Said())
	}
	if len(h.requests(t)) != 0 {
		t.Error("a request was created without a confirmed number")
	}
}

func TestCallbackHangUpDuringMessageKeepsTheRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.callStep("/twilio/callback/number?n=0&r=unanswered", callForm("Digits", "1"))
	// The caller hangs up: no further webhook arrives.
	r := h.requests(t)[sid]
	if r == nil || r.Reason != "unanswered" || r.Message != nil {
		t.Fatalf("request = %+v", r)
	}
	// A recording callback with no audio adds no message.
	h.callStep("/twilio/callback/recorded", callForm("RecordingSid", "RE0123456789abcdef0123456789abcdef", "RecordingDuration", "0"))
	if r := h.requests(t)[sid]; r.Message != nil {
		t.Errorf("an empty recording became a message: %+v", r.Message)
	}
}

func TestCallbackReplayedWebhooksRecordOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	var first *simulate.Node
	for i := 0; i < 3; i++ {
		doc := h.callStep("/twilio/callback/number?n=0&r=menu", callForm("Digits", "1"))
		if first == nil {
			first = doc
		} else if doc.Said() != first.Said() {
			t.Errorf("a replay answers differently: %q vs %q", doc.Said(), first.Said())
		}
	}
	rec := callForm("RecordingSid", "RE0123456789abcdef0123456789abcdef", "RecordingDuration", "7", "RecordingUrl", "https://api.twilio.com/x")
	h.callStep("/twilio/callback/recorded", rec)
	h.callStep("/twilio/callback/recorded", rec)
	reqs := h.requests(t)
	if len(reqs) != 1 {
		t.Fatalf("%d requests after replays, want 1", len(reqs))
	}
	var messages int
	for _, e := range reqs[sid].History {
		if e.What == "voice message" {
			messages++
		}
	}
	if messages != 1 {
		t.Errorf("the replayed recording was recorded %d times", messages)
	}
}

func TestCallbackClosedSaysWhenToExpectTheCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{At: saturdayMidday})
	offer := h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))
	if offer.First("Dial") != nil {
		t.Fatal("scheduling rang while closed")
	}
	h.callStep(gatherAction(t, offer), callForm("Digits", "1"))
	if r := h.requests(t)[sid]; r == nil || r.Reason != "closed" {
		t.Fatalf("request = %+v", r)
	}
	done := h.callStep("/twilio/callback/done", callForm())
	if !strings.Contains(done.Said(), "after we open Monday at 8 AM") {
		t.Errorf("confirmation: %q", done.Said())
	}
}

// TestRecordingWebhookTrustsOnlyTheSID: a RecordingSid not of Twilio's form
// is ignored (it would reach Twilio in a DELETE path), and RecordingUrl is
// never kept: the SID and the account rebuild it.
func TestRecordingWebhookTrustsOnlyTheSID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.callStep("/twilio/callback/number?n=0&r=menu", callForm("Digits", "1"))
	h.callStep("/twilio/callback/recorded", callForm("RecordingSid", "RE1/../../Calls/CA0123456789abcdef0123456789abcdef",
		"RecordingUrl", "https://evil.example.org/x", "RecordingDuration", "9"))
	if r := h.requests(t)[sid]; r == nil || r.Message != nil {
		t.Fatalf("a malformed RecordingSid was attached: %+v", r)
	}
	h.callStep("/twilio/callback/recorded", callForm("RecordingSid", "RE0123456789abcdef0123456789abcdef",
		"RecordingUrl", "https://evil.example.org/x", "RecordingDuration", "9"))
	r := h.requests(t)[sid]
	if r == nil || r.Message == nil || r.Message.RecordingSID != "RE0123456789abcdef0123456789abcdef" ||
		r.Message.URLFor("ACx") != "https://api.twilio.com/2010-04-01/Accounts/ACx/Recordings/RE0123456789abcdef0123456789abcdef" {
		t.Errorf("message = %+v", r.Message)
	}
}
