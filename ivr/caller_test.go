package ivr_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
	"github.com/switchboard-clinic/switchboard/routing"
)

// explore walks every reachable state of the harness's line through the
// real router, with signed requests.
func explore(t *testing.T, h *harness, from string, tr simulate.Transport) *simulate.Report {
	t.Helper()
	if tr == nil {
		tr = simulate.Handler{H: h.HTTP, Token: testserver.Token}
	}
	x := &simulate.Explorer{
		Transport: tr, VoiceURL: testserver.Base + "/twilio/voice", From: from, To: "+14258692644",
		Keys: []string{"0", "1", "2", "9", "*", "100", "201", "4255550199"}, WrongKey: "7",
		ErrorTexts: h.Line.PromptIn(apology), FarewellTexts: h.Line.PromptIn(crisis),
	}
	rep, err := x.Explore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestEveryCallEndsWell walks "silence for ever" and "a wrong key for ever"
// from every reachable state, open and closed, with and without caller ID:
// each must end with the crisis line, a goodbye and a hangup, within about
// three minutes from the start of the call, ringing a group at most twice;
// and scheduling must be announced within 45 spoken words.
func TestEveryCallEndsWell(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		at   time.Time
		from string
	}{
		{"open", mondayMorning, callerFrom},
		{"open, caller ID withheld", mondayMorning, "anonymous"},
		{"closed", saturdayMidday, callerFrom},
		{"closed, caller ID withheld", saturdayMidday, "anonymous"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{At: tt.at})
			rep := explore(t, h, tt.from, nil)
			for _, f := range rep.Findings {
				t.Errorf("%s (after: %s)", f.Problem, f.Trail)
			}
			if rep.Steps < 100 {
				t.Errorf("only %d states walked", rep.Steps)
			}
			for _, e := range []struct {
				who string
				end simulate.Ending
			}{{"silent caller", rep.Silent}, {"wrong-key caller", rep.Wrong}} {
				if !e.end.Goodbye || e.end.Seconds > 190 {
					t.Errorf("%s: %+v", e.who, e.end)
				}
				for g, n := range e.end.Rings {
					if n > 2 {
						t.Errorf("%s rings %s %d times", e.who, g, n)
					}
				}
				t.Logf("%s: %.0f s, %d webhooks, rings %v: %s", e.who, e.end.Seconds, e.end.Webhooks, e.end.Rings, strings.Join(e.end.Trail, " > "))
			}
			if n, ok := rep.OptionWords["0"]; !ok || n > 45 {
				t.Errorf("scheduling (press 0) announced after %d words (found %v), want at most 45", n, ok)
			}
		})
	}
}

// recorder keeps every document a transport answered.
type recorder struct {
	next simulate.Transport
	docs []*simulate.Node
}

func (r *recorder) Post(ctx context.Context, u string, form url.Values) (int, []byte, error) {
	code, body, err := r.next.Post(ctx, u, form)
	if err == nil && code == 200 {
		if doc, perr := simulate.ParseTwiML(body); perr == nil {
			r.docs = append(r.docs, doc)
		}
	}
	return code, body, err
}

// TestEverySentenceComesFromTheConfiguration replaces every prompt, label
// and message with a marked text and walks the whole line: each <Say> a
// caller or scheduler hears must be one of them.
func TestEverySentenceComesFromTheConfiguration(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("prompts:\n")
	for _, f := range routing.PromptSpecs() {
		if f.Name == "menu" {
			continue // the menu is built from the labels
		}
		text := "P-" + f.Name
		if f.Name == "crisis" {
			text += " 911, 988"
		}
		if f.Name == "greeting" {
			text += " Evergreen Psychotherapy"
		}
		b.WriteString("  " + f.Name + ": \"" + text + "\"\n")
	}
	yaml := string(config.DefaultYAML())
	start, end := strings.Index(yaml, "prompts:"), strings.Index(yaml, "retries:")
	yaml = yaml[:start] + b.String() + "\n" + yaml[end:]
	// The Spanish line is walked by TestSpanishCallsHearNoEnglish.
	yaml = yaml[:strings.Index(yaml, "\nlanguages:")]
	yaml = regexp.MustCompile(`(?m)^(\s+)(label|closedLabel): (.*)$`).ReplaceAllString(yaml, `$1$2: L-$3`)
	yaml = regexp.MustCompile(`(?s)    say: >-\n      Besides.*?portal\.\n`).ReplaceAllString(yaml, "    say: I-groups\n")
	h := newHarness(t, harnessOpts{YAML: yaml})
	hClosed := newHarness(t, harnessOpts{YAML: yaml, At: saturdayMidday})
	allowed := regexp.MustCompile(`^(P-[A-Za-z]+( 911, 988| Evergreen Psychotherapy)?|L-.*, press [0-9*] or say [a-z ]+\.|I-groups)( .*)?$`)
	for _, hh := range []*harness{h, hClosed} {
		for _, from := range []string{callerFrom, "anonymous"} {
			rec := &recorder{next: simulate.Handler{H: hh.HTTP, Token: testserver.Token}}
			explore(t, hh, from, rec)
			if len(rec.docs) < 100 {
				t.Fatalf("only %d documents", len(rec.docs))
			}
			for _, d := range rec.docs {
				for _, s := range d.All("Say") {
					if !allowed.MatchString(s.Text) {
						t.Errorf("a sentence that is not from the configuration: %q", s.Text)
					}
				}
			}
		}
	}
}

func TestCallbackByVoice(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, speech string
		created      bool
		keyed        bool
	}{
		{"yes", "Yes.", true, false},
		{"use this number", "use this number please", true, false},
		{"a different number", "no, a different number", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			doc := h.callStep("/twilio/callback/number?n=0&r=menu", callForm("SpeechResult", tt.speech))
			_, created := h.requests(t)[sid]
			if created != tt.created {
				t.Errorf("request created = %v, want %v: %q", created, tt.created, doc.Said())
			}
			if got := strings.Contains(doc.Said(), "enter the phone number"); got != tt.keyed {
				t.Errorf("asked to key a number = %v, want %v: %q", got, tt.keyed, doc.Said())
			}
		})
	}
	t.Run("a spoken number, confirmed by voice", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{})
		read := h.callStep("/twilio/callback/keyed?n=0&r=menu", callForm("SpeechResult", "425-555-0199"))
		if !strings.Contains(read.Said(), "You entered 4 2 5, 5 5 5, 0 1 9 9") {
			t.Fatalf("read-back: %q", read.Said())
		}
		h.callStep(gatherAction(t, read), callForm("SpeechResult", "that's right"))
		if r := h.requests(t)[sid]; r == nil || r.CallbackNumber != "+14255550199" {
			t.Errorf("request = %+v", r)
		}
	})
	t.Run("a negated yes is not a yes", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{})
		read := h.callStep("/twilio/callback/keyed?n=0&r=menu", callForm("Digits", "4255550199#"))
		retry := h.callStep(gatherAction(t, read), callForm("SpeechResult", "that's not right"))
		if _, created := h.requests(t)[sid]; created || !strings.Contains(retry.Said(), "didn't catch that") {
			t.Errorf("\"that's not right\" confirmed the number (or was not asked again): %q", retry.Said())
		}
	})
	t.Run("consent by voice", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOpts{})
		h.callStep("/twilio/callback/number?n=0&r=menu", callForm("Digits", "1"))
		h.callStep("/twilio/callback/consent?n=0&q=vm", callForm("SpeechResult", "no thanks"))
		if r := h.requests(t)[sid]; r == nil || r.VoicemailOK != callback.ConsentNo {
			t.Errorf("request = %+v", r)
		}
	})
}

// TestStarReturnsToTheMainMenu: every step of the callback flow says how
// to go back and goes back on star (or "main menu").
func TestStarReturnsToTheMainMenu(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/twilio/callback/number?n=0&r=menu", callForm("Digits", "*")},
		{"/twilio/callback/number?n=0&r=menu", callForm("SpeechResult", "main menu")},
		{"/twilio/callback/keyed?n=0&r=menu", callForm("Digits", "*#")},
		{"/twilio/callback/keyed?n=0&r=menu", callForm("Digits", "*")},
		{"/twilio/callback/consent?n=0&q=vm", callForm("Digits", "*")},
	} {
		doc := h.callStep(tt.path, tt.form)
		if gatherAction(t, doc) != "/twilio/menu?n=0" || !strings.Contains(doc.Said(), "For scheduling, press 0") {
			t.Errorf("%s %v: not the main menu: %q", tt.path, tt.form, doc.Said())
		}
	}
	offer := h.callStep("/twilio/menu?n=0", callForm("Digits", "2"))
	if !strings.Contains(offer.Said(), "To go back to the main menu, press star.") {
		t.Errorf("the callback offer does not say how to go back: %q", offer.Said())
	}
}

// TestCallbackNumbersThePracticeWillPayFor: outside the allowed countries,
// and the practice's own numbers, are refused with a clear sentence.
func TestCallbackNumbersThePracticeWillPayFor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, tt := range []struct {
		name, keys, want string
	}{
		{"the UK", "*442071838750#", "only call back numbers in the United States and Canada"},
		{"a satellite phone", "*870772001799#", "only call back numbers in the United States and Canada"},
		{"the practice's main line", "4258692644#", "one of our own numbers"},
		{"a scheduler's phone", "4255550101#", "one of our own numbers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := h.callStep("/twilio/callback/keyed?n=0&r=menu", callForm("Digits", tt.keys))
			if !strings.Contains(doc.Said(), tt.want) || gatherAction(t, doc) != "/twilio/callback/keyed?n=1&r=menu&t=1" {
				t.Errorf("said %q, want %q and another try", doc.Said(), tt.want)
			}
		})
	}
	t.Run("a caller ID abroad goes straight to keying", func(t *testing.T) {
		doc := h.callStep("/twilio/menu?n=0", callForm("Digits", "2", "From", "+442071838750"))
		if strings.Contains(doc.Said(), "ending in") || !strings.Contains(doc.Said(), "enter the phone number") {
			t.Errorf("said %q", doc.Said())
		}
	})
	t.Run("allowed countries are configurable", func(t *testing.T) {
		yaml := strings.Replace(string(config.DefaultYAML()), "  notifySms: []\n", "  notifySms: []\n  countries: [US, CA, GB]\n", 1)
		gb := newHarness(t, harnessOpts{YAML: yaml})
		doc := gb.callStep("/twilio/callback/keyed?n=0&r=menu", callForm("Digits", "*442071838750#"))
		if !strings.Contains(doc.Said(), "You entered plus 4 4, 2 0, 7 1 8 3, 8 7 5 0") {
			t.Errorf("an allowed international number, read back in groups: %q", doc.Said())
		}
	})
}

// TestHonestTimes: the confirmation promises today only when the office is
// open for a while yet, and the closed notice names a closure and the
// reopening.
func TestHonestTimes(t *testing.T) {
	t.Parallel()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path string
		at         time.Time
		want       string
	}{
		{"open in the morning", "/twilio/callback/done", time.Date(2026, 11, 30, 10, 0, 0, 0, la), "someone will call you back today"},
		{"five minutes before closing", "/twilio/callback/done", time.Date(2026, 11, 30, 17, 55, 0, 0, la), "someone will call you back after we open tomorrow at 8 AM"},
		{"Friday evening", "/twilio/callback/done", time.Date(2026, 12, 4, 16, 30, 0, 0, la), "after we open Monday at 8 AM"},
		{"Christmas Eve", "/twilio/voice", time.Date(2026, 12, 24, 10, 0, 0, 0, la), "We're closed for Christmas Eve. We reopen Monday at 8 AM."},
		{"a weeknight", "/twilio/voice", time.Date(2026, 12, 1, 20, 0, 0, 0, la), "We're closed. We reopen tomorrow at 8 AM."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{At: tt.at})
			doc := h.callStep(tt.path, callForm())
			if !strings.Contains(doc.Said(), tt.want) {
				t.Errorf("said %q, want %q", doc.Said(), tt.want)
			}
			if strings.Contains(doc.Said(), "today") && strings.Contains(tt.want, "tomorrow") {
				t.Errorf("promises today near closing: %q", doc.Said())
			}
		})
	}
}

// TestTheClosedMenuPromisesNoPerson: after hours nothing offers to put the
// caller through, and pressing 0 says it takes a request.
func TestTheClosedMenuPromisesNoPerson(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{At: saturdayMidday})
	for _, step := range []struct{ path, digits string }{{"/twilio/voice", ""}, {"/twilio/menu?n=0", "1"}} {
		doc := h.callStep(step.path, callForm("Digits", step.digits))
		said := doc.Said()
		for _, untrue := range []string{"For scheduling,", "reach scheduling now", "connect you"} {
			if strings.Contains(said, untrue) {
				t.Errorf("%s while closed says %q: %q", step.path, untrue, said)
			}
		}
		if !strings.Contains(said, "To leave a request") || !strings.Contains(said, "press 0") {
			t.Errorf("%s while closed does not offer a request: %q", step.path, said)
		}
	}
}

func apology(p routing.Prompts) string { return p.Apology }
func crisis(p routing.Prompts) string  { return p.Crisis }
