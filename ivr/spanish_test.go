package ivr_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
	"github.com/switchboard-clinic/switchboard/routing"
)

// urlRecorder keeps every answered document with the URL it answered.
type urlRecorder struct {
	next simulate.Transport
	docs []*simulate.Node
	urls []string
}

func (r *urlRecorder) Post(ctx context.Context, u string, form url.Values) (int, []byte, error) {
	code, body, err := r.next.Post(ctx, u, form)
	if err == nil && code == 200 {
		if doc, perr := simulate.ParseTwiML(body); perr == nil {
			r.docs, r.urls = append(r.docs, doc), append(r.urls, u)
		}
	}
	return code, body, err
}

// englishMarked is the built-in line with every English sentence a caller
// can hear marked "EN-": prompts, labels, the group message, extension
// names and closure names. Its Spanish part is left as shipped.
func englishMarked(t *testing.T) string {
	t.Helper()
	yaml := string(config.DefaultYAML())
	cut := strings.Index(yaml, "\nlanguages:")
	english, spanish := yaml[:cut], yaml[cut:]
	var b strings.Builder
	b.WriteString("prompts:\n")
	for _, f := range routing.PromptSpecs() {
		if f.Name == "menu" {
			continue
		}
		text := "EN-" + f.Name
		switch f.Name {
		case "crisis":
			text += " 911, 988"
		case "greeting":
			text += " Evergreen Psychotherapy"
		case "optionKey":
			text = "EN-{label}, {digit}"
		case "optionKeyOrSay":
			text = "EN-{label}, {digit}, {phrase}"
		}
		b.WriteString("  " + f.Name + ": \"" + text + "\"\n")
	}
	start, end := strings.Index(english, "prompts:"), strings.Index(english, "retries:")
	english = english[:start] + b.String() + "\n" + english[end:]
	english = regexp.MustCompile(`(?m)^(\s+)(label|closedLabel|name): (.*)$`).ReplaceAllString(english, `$1$2: EN-$3`)
	english = regexp.MustCompile(`(?s)    say: >-\n      Besides.*?portal\.\n`).ReplaceAllString(english, "    say: EN-groups\n")
	return english + spanish
}

// englishWords are common English words that are not Spanish: a sentence
// written in code, not in the configuration, shows up by them.
var englishWords = regexp.MustCompile(`(?i)\b(the|press|please|you|your|thank|thanks|with|and|call|hear|our|we|is|to|for|sorry|goodbye|star|pound|yes|number|different|this)\b`)

// TestSpanishCallsHearNoEnglish walks every state a caller who chose
// Spanish can reach, open and closed: every <Say> is in the Spanish voice
// and language, none is an English sentence of the configuration or has
// English words, every speech <Gather> recognises es-US, and only the
// scheduler's whisper is English, starting with "Spanish-speaking caller".
func TestSpanishCallsHearNoEnglish(t *testing.T) {
	t.Parallel()
	yaml := englishMarked(t)
	for _, at := range []struct {
		name string
		h    *harness
	}{{"open", newHarness(t, harnessOpts{YAML: yaml})}, {"closed", newHarness(t, harnessOpts{YAML: yaml, At: saturdayMidday})}} {
		t.Run(at.name, func(t *testing.T) {
			rec := &urlRecorder{next: simulate.Handler{H: at.h.HTTP, Token: testserver.Token}}
			x := &simulate.Explorer{
				Transport: rec, VoiceURL: testserver.Base + "/twilio/voice?l=es", From: callerFrom, To: "+14258692644",
				Keys: []string{"0", "1", "2", "8", "9", "*", "100", "201", "4255550199"}, WrongKey: "7",
				ErrorTexts: at.h.Line.PromptIn(apology), FarewellTexts: at.h.Line.PromptIn(crisis),
			}
			rep, err := x.Explore(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				t.Errorf("%s (after %s)", f.Problem, f.Trail)
			}
			if len(rec.docs) < 50 {
				t.Fatalf("only %d documents", len(rec.docs))
			}
			whispers := 0
			for i, d := range rec.docs {
				u, _ := url.Parse(rec.urls[i])
				if strings.HasPrefix(u.Path, "/twilio/screen") {
					whispers++
					for _, s := range d.All("Say") {
						if s.Attrs["language"] != "en-US" {
							t.Errorf("the scheduler hears %q in %s, want English", s.Text, s.Attrs["language"])
						}
					}
					if u.Path == "/twilio/screen" && !strings.HasPrefix(d.Said(), "Spanish-speaking caller.") {
						t.Errorf("the whisper does not say the caller speaks Spanish: %q", d.Said())
					}
					continue
				}
				if u.Query().Get("l") != "es" && u.Path != "/twilio/callback/transcript" {
					t.Errorf("a step of the Spanish call lost its language: %s", rec.urls[i])
				}
				for _, s := range d.All("Say") {
					if s.Attrs["language"] != "es-US" || s.Attrs["voice"] != "Polly.Lupe-Neural" {
						t.Errorf("%s: %q is said with language %q voice %q", u.Path, s.Text, s.Attrs["language"], s.Attrs["voice"])
					}
					if strings.Contains(s.Text, "EN-") || englishWords.MatchString(s.Text) {
						t.Errorf("%s: English in a Spanish call: %q", u.Path, s.Text)
					}
				}
				for _, g := range d.All("Gather") {
					if strings.Contains(g.Attrs["input"], "speech") && g.Attrs["language"] != "es-US" {
						t.Errorf("%s: a speech gather recognises %q", u.Path, g.Attrs["language"])
					}
					if englishWords.MatchString(g.Attrs["hints"]) {
						t.Errorf("%s: English hints %q", u.Path, g.Attrs["hints"])
					}
				}
			}
			if whispers == 0 && at.name == "open" {
				t.Error("no whisper reached: the walk never rang scheduling")
			}
		})
	}
}

// TestTheLeakCheckCatchesEnglish feeds the check above a Spanish line with
// one sentence left in English: it must be found.
func TestTheLeakCheckCatchesEnglish(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(englishMarked(t), "      greeting: Ha llamado", "      noInput: I didn't hear anything, sorry.\n      greeting: Ha llamado", 1)
	h := newHarness(t, harnessOpts{YAML: yaml})
	doc := h.callStep("/twilio/menu?n=0&l=es", callForm())
	found := false
	for _, s := range doc.All("Say") {
		found = found || englishWords.MatchString(s.Text)
	}
	if !found {
		t.Fatalf("the English sentence was not caught: %q", doc.Said())
	}
}

// TestSpanishRingGroup: with languages.es.ringGroup, a Spanish caller who
// asks for scheduling rings the Spanish-speaking group; English callers
// still ring scheduling.
func TestSpanishRingGroup(t *testing.T) {
	t.Parallel()
	yaml := string(config.DefaultYAML())
	yaml = strings.Replace(yaml, "ringGroups:\n", "ringGroups:\n  agenda:\n    members: [\"+14255550177\"]\n    maxRingSeconds: 25\n    title: Spanish scheduling\n", 1)
	yaml = strings.Replace(yaml, "    callerNote: Spanish-speaking caller.\n", "    callerNote: Spanish-speaking caller.\n    ringGroup: agenda\n", 1)
	h := newHarness(t, harnessOpts{YAML: yaml})
	if got := ringing(h.callStep("/twilio/menu?n=0&l=es", callForm("Digits", "0"))); strings.Join(got, " ") != "+14255550177" {
		t.Errorf("a Spanish caller pressing 0 rings %v, want the Spanish group", got)
	}
	if got := ringing(h.callStep("/twilio/menu?n=0&l=es", callForm("SpeechResult", "quiero hablar con alguien"))); strings.Join(got, " ") != "+14255550177" {
		t.Errorf("a Spanish caller asking for a person rings %v, want the Spanish group", got)
	}
	if got := ringing(h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))); len(got) != 3 {
		t.Errorf("an English caller pressing 0 rings %v, want scheduling", got)
	}
	said := h.callStep("/twilio/screen?g=agenda&rc=1&s=0&l=es", callForm()).Said()
	if !strings.HasPrefix(said, "Spanish-speaking caller. Spanish scheduling call from") {
		t.Errorf("whisper = %q", said)
	}
}
