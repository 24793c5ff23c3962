package ivr_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
)

// TestCrisisIsNeverNotAnOption: words of distress, in either language and at
// every step that takes speech, get the crisis line said slowly and a
// person (open) or the Lifeline offer (closed), never "not an option".
func TestCrisisIsNeverNotAnOption(t *testing.T) {
	t.Parallel()
	steps := []struct{ name, path string }{
		{"main menu", "/twilio/menu?n=0"},
		{"main menu, second try", "/twilio/menu?n=1"},
		{"group information", "/twilio/info/choice?id=groups&n=0"},
		{"caller ID question", "/twilio/callback/number?n=0&r=menu"},
		{"number entry", "/twilio/callback/keyed?n=0&r=menu"},
		{"consent", "/twilio/callback/consent?q=vm&n=0"},
		{"after two rings", "/twilio/menu?n=0&rc=2&ro=1"},
	}
	phrases := []struct{ lang, speech string }{
		{"", "I'm having thoughts of suicide"},
		{"", "this is an emergency"},
		{"", "I want to kill myself"},
		{"es", "tengo pensamientos suicidas"},
		{"es", "es una emergencia"},
	}
	for _, open := range []bool{true, false} {
		at := mondayMorning
		if !open {
			at = saturdayMidday
		}
		h := newHarness(t, harnessOpts{At: at})
		for _, st := range steps {
			for _, p := range phrases {
				path := st.path
				if p.lang != "" {
					path += "&l=" + p.lang
				}
				doc := h.callStep(path, callForm("SpeechResult", p.speech))
				said := doc.Said()
				if strings.Contains(said, "not an option") || strings.Contains(said, "no existe") {
					t.Errorf("open=%v %s %q: %q", open, st.name, p.speech, said)
				}
				prosody := doc.First("prosody")
				if prosody == nil || prosody.Attrs["rate"] != "slow" || !strings.Contains(prosody.Text, "9 8 8") {
					t.Errorf("open=%v %s %q: the crisis line is not said slowly: %q", open, st.name, p.speech, said)
				}
				if open {
					d, to := dialed(t, doc)
					if len(to) != 3 || !strings.Contains(d.Children[0].Attrs["url"], "cr=1") {
						t.Errorf("open=%v %s %q: not put through to scheduling as urgent: %q %v", open, st.name, p.speech, said, to)
					}
				} else if a := gatherAction(t, doc); !strings.HasPrefix(a, "/twilio/crisis?") || !strings.Contains(said, "Lifeline") && !strings.Contains(said, "Línea") {
					t.Errorf("open=%v %s %q: no Lifeline offer: %q (%s)", open, st.name, p.speech, said, a)
				}
				if p.lang == "es" && !strings.Contains(said, "opción 2 en español") {
					t.Errorf("a Spanish caller in crisis does not hear the Spanish crisis line: %q", said)
				}
			}
		}
	}
}

// TestNotACrisis: a negated crisis word is no crisis, and speech the line
// did not understand is "didn't catch that", never "not an option".
func TestNotACrisis(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	doc := h.callStep("/twilio/menu?n=0", callForm("SpeechResult", "it's not an emergency"))
	if doc.First("prosody") != nil || !strings.Contains(doc.Said(), "Sorry, I didn't catch that.") || strings.Contains(doc.Said(), "not an option") {
		t.Errorf("\"it's not an emergency\": %q", doc.Said())
	}
}

// TestCrisisResponse follows the crisis response: the urgent whisper and a
// ring past the call's ring cap while open; after hours the Lifeline (by
// key, by voice, or for a caller who does not answer) or an urgent request.
func TestCrisisResponse(t *testing.T) {
	t.Parallel()
	t.Run("open: the whisper says urgent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{})
		doc := h.callStep("/twilio/menu?n=0&rc=2&ro=1", callForm("SpeechResult", "I'm having thoughts of suicide"))
		d, _ := dialed(t, doc)
		whisper := h.step(pathOf(t, d.Children[0].Attrs["url"]), callForm("CallSid", "CA1123456789abcdef0123456789abcdef", "ParentCallSid", "CA0123456789abcdef0123456789abcdef"))
		if !strings.HasPrefix(whisper.Said(), "Urgent: the caller may be in crisis.") {
			t.Errorf("whisper: %q", whisper.Said())
		}
		// Nobody answers: the Lifeline offer, not an ordinary callback offer.
		after := h.callStep(pathOf(t, d.Attrs["action"]), callForm("DialCallStatus", "no-answer"))
		if a := gatherAction(t, after); !strings.HasPrefix(a, "/twilio/crisis?") {
			t.Errorf("unanswered crisis ring: %q (%s)", after.Said(), a)
		}
	})
	t.Run("closed: press 1 connects the Lifeline", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{At: saturdayMidday})
		offer := h.callStep("/twilio/menu?n=0", callForm("SpeechResult", "I'm in crisis"))
		for _, answer := range [][]string{{"Digits", "1"}, {"SpeechResult", "yes"}} {
			doc := h.callStep(gatherAction(t, offer), callForm(answer...))
			d, to := dialed(t, doc)
			if len(to) != 1 || to[0] != "+18002738255" || d.Attrs["callerId"] != callerFrom {
				t.Errorf("%v: dialled %v as %s: %q", answer, to, d.Attrs["callerId"], doc.Said())
			}
			// The Lifeline did not answer: an urgent request is offered.
			after := h.callStep(pathOf(t, d.Attrs["action"]), callForm("DialCallStatus", "busy"))
			if !strings.Contains(after.Said(), "did not go through") || !strings.Contains(gatherAction(t, after), "r=crisis") {
				t.Errorf("Lifeline busy: %q", after.Said())
			}
			talked := h.callStep(pathOf(t, d.Attrs["action"]), callForm("DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "300"))
			if talked.Last().Name != "Hangup" || !strings.Contains(talked.Said(), "9 8 8") {
				t.Errorf("after the Lifeline: %q", talked.Said())
			}
		}
	})
	t.Run("closed: a silent caller is connected, never hung up on", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{At: saturdayMidday})
		offer := h.callStep("/twilio/menu?n=0", callForm("SpeechResult", "I want to end my life"))
		again := h.callStep(gatherAction(t, offer), callForm())
		if !strings.Contains(again.Said(), "didn't hear") || again.First("prosody") != nil {
			t.Errorf("first silence: %q", again.Said())
		}
		doc := h.callStep(gatherAction(t, again), callForm())
		if _, to := dialed(t, doc); len(to) != 1 || to[0] != "+18002738255" {
			t.Errorf("second silence: %q", doc.Said())
		}
	})
	t.Run("closed: press 2 leaves an urgent request", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{At: saturdayMidday})
		offer := h.callStep("/twilio/menu?n=0", callForm("SpeechResult", "I'm in crisis"))
		q := h.callStep(gatherAction(t, offer), callForm("Digits", "2"))
		h.callStep(gatherAction(t, q), callForm("Digits", "1"))
		r := h.requests(t)["CA0123456789abcdef0123456789abcdef"]
		if r == nil || r.Reason != callback.ReasonCrisis || !r.Reason.Urgent() {
			t.Fatalf("request = %+v", r)
		}
	})
}

// TestPleasAndTherapists: "I need help" reaches a person; "my therapist"
// leaves a request staff see as for the therapist; scheduling wins over
// the group information.
func TestPleasAndTherapists(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, speech := range []string{"I need help", "please help me", "an appointment for group therapy"} {
		doc := h.callStep("/twilio/menu?n=0", callForm("SpeechResult", speech))
		if _, to := dialed(t, doc); len(to) != 3 {
			t.Errorf("%q: %q", speech, doc.Said())
		}
	}
	closed := newHarness(t, harnessOpts{At: saturdayMidday})
	if doc := closed.callStep("/twilio/menu?n=0", callForm("SpeechResult", "I need help")); strings.Contains(doc.Said(), "not an option") || doc.First("Gather") == nil {
		t.Errorf("a plea after hours: %q", doc.Said())
	}
	for _, speech := range []string{"I want to talk to my therapist", "a message for Dr. Lee"} {
		doc := h.callStep("/twilio/menu?n=0", callForm("SpeechResult", speech))
		if a := gatherAction(t, doc); !strings.Contains(a, "r=therapist") {
			t.Errorf("%q: %q (%s)", speech, doc.Said(), a)
		}
	}
}

// TestNobodyIsDroppedWhileTrying: re-entering a number at the read-back
// always gives another entry, a caller who fails twice after hours is
// offered their own number, and a caller who never tried is not told "I
// could not take your number".
func TestNobodyIsDroppedWhileTrying(t *testing.T) {
	t.Parallel()
	t.Run("short, good, enter it again, third", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{At: saturdayMidday})
		doc := h.callStep("/twilio/callback/keyed?n=0&r=closed", callForm("Digits", "555#"))
		doc = h.callStep(gatherAction(t, doc), callForm("Digits", "2065550123#"))
		doc = h.callStep(gatherAction(t, doc), callForm("Digits", "2"))
		if !strings.Contains(doc.Said(), "enter the phone number") {
			t.Fatalf("enter it again: %q", doc.Said())
		}
		doc = h.callStep(gatherAction(t, doc), callForm("Digits", "2065550177#"))
		h.callStep(gatherAction(t, doc), callForm("Digits", "1"))
		if r := h.requests(t)["CA0123456789abcdef0123456789abcdef"]; r == nil || r.CallbackNumber != "+12065550177" {
			t.Errorf("request = %+v", r)
		}
	})
	t.Run("two failures after hours: the caller's own number", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{At: saturdayMidday})
		doc := h.callStep("/twilio/callback/keyed?n=0&r=closed", callForm("Digits", "555#"))
		doc = h.callStep(gatherAction(t, doc), callForm("Digits", "12#"))
		if doc.Last().Name == "Hangup" || !strings.Contains(doc.Said(), "ending in") {
			t.Fatalf("after two failures: %q", doc.Said())
		}
		h.callStep(gatherAction(t, doc), callForm("Digits", "1"))
		if r := h.requests(t)["CA0123456789abcdef0123456789abcdef"]; r == nil || r.CallbackNumber != callerFrom {
			t.Errorf("request = %+v", r)
		}
	})
	t.Run("a silent caller is not told the number failed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{At: saturdayMidday})
		doc := h.callStep("/twilio/callback/keyed?n=0&r=closed", callForm("From", "anonymous"))
		doc = h.callStep(gatherAction(t, doc), callForm("From", "anonymous"))
		if strings.Contains(doc.Said(), "could not take your number") || doc.Last().Name != "Hangup" {
			t.Errorf("silent: %q", doc.Said())
		}
	})
}

// TestSaidOnce: closed is said before the first option, again when the
// menu repeats and in the goodbye; how to go back is said once per
// callback flow; one thank-you at the end.
func TestSaidOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{At: saturdayMidday})
	again := h.callStep("/twilio/menu?n=0", callForm("Digits", "7"))
	if s := again.Said(); !strings.Contains(s, "We're closed. We reopen Monday at 8 AM. To leave a request") {
		t.Errorf("menu repeat: %q", s)
	}
	bye := h.callStep("/twilio/callback/keyed?n=1&r=closed&co=1", callForm("From", "anonymous"))
	if s := bye.Said(); !strings.Contains(s, "We're closed. We reopen Monday at 8 AM. In an emergency") {
		t.Errorf("goodbye: %q", s)
	}
	open := newHarness(t, harnessOpts{})
	back := 0
	offer := open.callStep("/twilio/menu?n=0", callForm("Digits", "2"))
	back += strings.Count(offer.Said(), "main menu")
	keyed := open.callStep(gatherAction(t, offer), callForm("Digits", "2"))
	back += strings.Count(keyed.Said(), "main menu")
	read := open.callStep(gatherAction(t, keyed), callForm("Digits", "2065550123#"))
	back += strings.Count(read.Said(), "main menu")
	consent := open.callStep(gatherAction(t, read), callForm("Digits", "1"))
	back += strings.Count(consent.Said(), "main menu")
	if back != 1 {
		t.Errorf("how to go back said %d times in one callback flow", back)
	}
	msg := open.callStep(gatherAction(t, consent), callForm("Digits", "2"))
	done := open.callStep(pathOf(t, msg.First("Redirect").Text), callForm())
	all := offer.Said() + keyed.Said() + read.Said() + consent.Said() + msg.Said() + done.Said()
	if n := strings.Count(strings.ToLower(all), "thank you"); n != 1 {
		t.Errorf("%d thank-yous: %q", n, all)
	}
}

// TestPromisesMatchTheRules: "today" only when the deadline (four office
// hours) falls today.
func TestPromisesMatchTheRules(t *testing.T) {
	t.Parallel()
	la, _ := time.LoadLocation("America/Los_Angeles")
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 30, 10, 0, 0, 0, la), "today"},
		{time.Date(2026, 11, 30, 16, 55, 0, 0, la), "after we open tomorrow at 8 AM"},
	} {
		h := newHarness(t, harnessOpts{At: tt.at})
		done := h.callStep("/twilio/callback/done", callForm())
		if !strings.Contains(done.Said(), tt.want) {
			t.Errorf("at %s: %q", tt.at.Format("15:04"), done.Said())
		}
	}
}

// TestStarMeansOneThing: number entry explains country codes only where
// numbers abroad are called back, and then does not offer star for the
// main menu.
func TestStarMeansOneThing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	doc := h.callStep("/twilio/menu?n=0", callForm("Digits", "2", "From", "anonymous"))
	if s := doc.Said(); strings.Contains(s, "country code") || strings.Count(s, "press star") != 1 {
		t.Errorf("US and Canada only: %q", s)
	}
	abroad := newHarness(t, harnessOpts{YAML: withCountries(t, "[US, CA, GB]")})
	doc = abroad.callStep("/twilio/menu?n=0", callForm("Digits", "2", "From", "anonymous"))
	if s := doc.Said(); !strings.Contains(s, "country code") || strings.Count(s, "press star") != 1 {
		t.Errorf("abroad allowed: %q", s)
	}
}

// withCountries is the built-in line calling back numbers in regions.
func withCountries(t *testing.T, regions string) string {
	t.Helper()
	yaml := string(config.DefaultYAML())
	if !strings.Contains(yaml, "  notifySms: []\n") {
		t.Fatal("default.yaml has no notifySms line")
	}
	return strings.Replace(yaml, "  notifySms: []\n", "  notifySms: []\n  countries: "+regions+"\n", 1)
}

// TestDistressSaidAgain: after the crisis response, words of distress at
// any later step connect the caller to the Lifeline at once.
func TestDistressSaidAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{At: saturdayMidday})
	for _, path := range []string{"/twilio/crisis?n=0&cr=1", "/twilio/callback/keyed?n=0&r=crisis&cr=1"} {
		doc := h.callStep(path, callForm("SpeechResult", "I want to kill myself"))
		if _, to := dialed(t, doc); len(to) != 1 || to[0] != "+18002738255" || doc.First("prosody") == nil {
			t.Errorf("%s: %q", path, doc.Said())
		}
	}
}
