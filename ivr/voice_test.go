package ivr_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
)

// TestPromptSSML: a prompt's <break> is a <break> element of the TwiML,
// never spoken text; anything else that looks like markup is text.
func TestPromptSSML(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(string(config.DefaultYAML()), "  greeting: You've reached Evergreen Psychotherapy.",
		`  greeting: "You've reached Evergreen Psychotherapy. <break time=\"500ms\"/> <b>Welcome</b>."`, 1)
	h := newHarness(t, harnessOpts{YAML: yaml})
	doc := h.callStep("/twilio/voice", callForm())
	br := doc.First("break")
	if br == nil || br.Attrs["time"] != "500ms" {
		t.Fatalf("no <break time=\"500ms\"> in the answer: %q", doc.Said())
	}
	if said := doc.Said(); strings.Contains(said, "break") || !strings.Contains(said, "<b>Welcome</b>") {
		t.Errorf("said %q", said)
	}
}

// TestTheSpanishOfferIsRepeated: wherever the English menu is said again,
// Spanish is offered again, and the recogniser expects "español".
func TestTheSpanishOfferIsRepeated(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, in := range [][]string{{}, {"Digits", "7"}, {"Digits", "9"}} {
		doc := h.callStep("/twilio/menu?n=0", callForm(in...))
		if !strings.Contains(doc.Said(), "Para español, oprima 8.") {
			t.Errorf("%v: no Spanish offer: %q", in, doc.Said())
		}
		if hints := doc.First("Gather").Attrs["hints"]; !strings.Contains(hints, "español") || !strings.Contains(strings.ToLower(hints), "spanish") {
			t.Errorf("%v: hints %q", in, hints)
		}
	}
}

// TestSpanishHolidaysAreSpanish: on Juneteenth a Spanish call names the
// holiday in Spanish.
func TestSpanishHolidaysAreSpanish(t *testing.T) {
	t.Parallel()
	la, _ := time.LoadLocation("America/Los_Angeles")
	h := newHarness(t, harnessOpts{At: time.Date(2026, 6, 19, 10, 0, 0, 0, la)})
	doc := h.callStep("/twilio/menu?n=0", callForm("Digits", "8"))
	if s := doc.Said(); !strings.Contains(s, "Hoy cerramos por el Día de la Emancipación.") || strings.Contains(s, "Juneteenth") {
		t.Errorf("said %q", s)
	}
}

// TestSpanishSpeakersFirst: a Spanish caller's scheduling call rings the
// group's Spanish speakers first (the whisper saying the language first),
// then the rest; an English caller rings everyone at once.
func TestSpanishSpeakersFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	doc := h.callStep("/twilio/menu?n=0&l=es", callForm("Digits", "0"))
	d, to := dialed(t, doc)
	if len(to) != 1 || to[0] != "+14255550102" {
		t.Fatalf("first ring: %v", to)
	}
	whisper := h.step(pathOf(t, d.Children[0].Attrs["url"]), callForm("CallSid", "CA1123456789abcdef0123456789abcdef", "ParentCallSid", "CA0123456789abcdef0123456789abcdef", "To", "+14255550102"))
	if !strings.HasPrefix(whisper.Said(), "Spanish-speaking caller.") {
		t.Errorf("whisper: %q", whisper.Said())
	}
	rest := h.callStep(pathOf(t, d.Attrs["action"]), callForm("DialCallStatus", "no-answer"))
	if _, to := dialed(t, rest); len(to) != 2 || to[0] != "+14255550101" || to[1] != "+14255550103" {
		t.Errorf("second ring: %v", to)
	}
	english := h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))
	if _, to := dialed(t, english); len(to) != 3 {
		t.Errorf("an English caller rings %v", to)
	}
}
