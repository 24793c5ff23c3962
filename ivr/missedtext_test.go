package ivr_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/faketwilio"
)

// textsOn is the built-in configuration with the missed-call text enabled.
func textsOn(t *testing.T) string {
	t.Helper()
	y := string(config.DefaultYAML())
	on := strings.Replace(y, "missedCallText:\n    enabled: false\n", "missedCallText:\n    enabled: true\n", 1)
	if on == y {
		t.Fatal("config/default.yaml no longer has callback.missedCallText.enabled: false")
	}
	return on
}

// textsTo are the bodies of the SMS the fake Twilio was asked to send to number.
func textsTo(fake *faketwilio.Server, number string) []string {
	var out []string
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Path, "/Messages.json") && r.Form.Get("To") == number {
			out = append(out, r.Form.Get("Body"))
		}
	}
	return out
}

// historyOf is what the number's missed-call request says, one line per event.
func historyOf(h *harness, number string) []string {
	h.t.Helper()
	for _, r := range h.pending() {
		if r.Reason != callback.ReasonMissedCall || r.CallbackNumber != number {
			continue
		}
		full, err := h.Queue.Get(h.t.Context(), r.ID)
		if err != nil {
			h.t.Fatal(err)
		}
		var out []string
		for _, e := range full.History {
			out = append(out, e.What)
		}
		return out
	}
	return nil
}

func (h *harness) text(from, body string) string {
	h.t.Helper()
	rec := h.post("/twilio/sms", smsForm(from, body), true)
	if rec.Code != http.StatusOK {
		h.t.Fatalf("POST /twilio/sms: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func TestMissedCallText(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{YAML: textsOn(t), Twilio: true})

	// The first missed call of the day gets the text; a repeated status
	// callback and a second missed call the same day do not.
	first := h.missedCall(1, callerFrom, 20)
	first.hangUp(20)
	h.WaitCalls() // the history in order: the text's line before the next call's
	h.missedCall(2, callerFrom, 30)
	hist := historyOf(h, callerFrom)
	texts := textsTo(h.Fake, callerFrom)
	if len(texts) != 1 {
		t.Fatalf("texts: got %q, want one", texts)
	}
	want := "Sorry we missed your call. Please call us back at (425) 869-2644. Reply STOP to stop these texts."
	if texts[0] != want {
		t.Errorf("text: got %q, want %q", texts[0], want)
	}
	for _, word := range []string{"Evergreen", "therap", "Psycho"} {
		if strings.Contains(strings.ToLower(texts[0]), strings.ToLower(word)) {
			t.Errorf("the text names %q: a shared phone would learn it", word)
		}
	}
	if got := strings.Join(hist, " | "); got != "missed call | missed-call text sent | missed call again | missed-call text not sent: one was sent today" {
		t.Errorf("history: %s", got)
	}

	// STOP before the next missed call: no text, a history line; START:
	// the next missed call (the same day: no text was sent today) gets one.
	const other = "+12065550143"
	if got := h.text(other, "Stop"); strings.Contains(got, "<Message") {
		t.Errorf("STOP got a reply of ours (Twilio answers it itself): %s", got)
	}
	h.missedCall(3, other, 20)
	h.WaitCalls()
	if got := textsTo(h.Fake, other); len(got) != 0 || !slices.Contains(historyOf(h, other), "missed-call text not sent: the number replied STOP") {
		t.Errorf("after STOP: texts %q, history %q", got, historyOf(h, other))
	}
	h.text(other, "START")
	h.missedCall(4, other, 20)
	h.WaitCalls()
	if got := textsTo(h.Fake, other); len(got) != 1 || !slices.Contains(historyOf(h, other), "missed-call text sent") {
		t.Errorf("after START: texts %q, history %q", got, historyOf(h, other))
	}

	// A Spanish call gets the Spanish text.
	const spanish = "+12065550144"
	es := h.caller(5, spanish)
	es.answer()
	h.callStep("/twilio/menu?n=0&l=es", es.form())
	es.hangUp(20)
	h.WaitCalls()
	if got := textsTo(h.Fake, spanish); len(got) != 1 || !strings.HasPrefix(got[0], "Lamentamos no haber podido atender su llamada. Llámenos al (425) 869-2644.") {
		t.Errorf("Spanish caller: texts %q", got)
	}

	// Numbers that never get a text: withheld, abroad (callback.countries
	// is US and CA), premium rate, the practice's own, a 976 exchange.
	for i, from := range []string{"anonymous", "+442071838750", "+19005551234", "+12129761234", "+14258692644"} {
		h.missedCall(10+i, from, 20)
	}
	h.WaitCalls()
	var n int
	for _, r := range h.Fake.Requests() {
		if strings.HasSuffix(r.Path, "/Messages.json") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("texts in all: got %d, want 3 (one each to three callers)", n)
	}
	if strings.Contains(h.Logs.String(), "2065550142") {
		t.Error("the logs hold a caller's number")
	}
	body := h.metrics()
	for _, want := range []string{`switchboard_missed_call_texts_total{result="sent"} 3`,
		`switchboard_missed_call_texts_total{result="limit"} 1`, `switchboard_missed_call_texts_total{result="opted-out"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestMissedCallTextFailures: Twilio refusing a number that replied STOP
// to it (21610) puts the number on the opt-out list; any other failure is
// a history line, and a later missed call that day may try again.
func TestMissedCallTextFailures(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{YAML: textsOn(t), Twilio: true})
	h.Fake.Fail(30003)
	h.missedCall(1, callerFrom, 20)
	if hist := historyOf(h, callerFrom); len(hist) != 2 || !strings.HasPrefix(hist[1], "missed-call text failed: ") || !strings.Contains(hist[1], "30003") {
		t.Errorf("after a failure: history %q", hist)
	}
	h.Fake.Fail(21610)
	h.missedCall(2, callerFrom, 20)
	if hist := historyOf(h, callerFrom); len(hist) != 4 || hist[3] != "missed-call text not sent: the number replied STOP" {
		t.Errorf("after 21610: history %q", hist)
	}
	h.Fake.Fail(0)
	h.missedCall(3, callerFrom, 20)
	if hist := historyOf(h, callerFrom); len(hist) != 6 || hist[5] != "missed-call text not sent: the number replied STOP" {
		t.Errorf("opted out by Twilio's 21610: history %q", hist)
	}
}

// TestMissedCallTextOff: the built-in configuration sends no text.
func TestMissedCallTextOff(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{Twilio: true})
	h.missedCall(1, callerFrom, 20)
	if hist := historyOf(h, callerFrom); len(hist) != 1 {
		t.Errorf("history: %q, want the missed call only", hist)
	}
	if got := textsTo(h.Fake, callerFrom); len(got) != 0 {
		t.Errorf("texts with missedCallText off: %q", got)
	}
}
