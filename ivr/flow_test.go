package ivr_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

// gatherAction returns the path a document's <Gather> posts to, checking
// that the redirect after it goes to the same place.
func gatherAction(t *testing.T, doc *simulate.Node) string {
	t.Helper()
	g := doc.First("Gather")
	if g == nil {
		t.Fatalf("no <Gather> in the answer")
	}
	action := pathOf(t, g.Attrs["action"])
	if last := doc.Last(); last.Name != "Redirect" || pathOf(t, last.Text) != action {
		t.Fatalf("the <Gather> is not followed by a redirect to its action %s", action)
	}
	return action
}

// dialed returns the <Dial> of a document and the addresses it rings.
func dialed(t *testing.T, doc *simulate.Node) (*simulate.Node, []string) {
	t.Helper()
	d := doc.First("Dial")
	if d == nil {
		t.Fatalf("no <Dial> in the answer; said: %q", doc.Said())
	}
	var to []string
	for _, c := range d.Children {
		to = append(to, c.Text)
	}
	sort.Strings(to)
	return d, to
}

var schedulers = []string{"+14255550101", "+14255550102", "+14255550103"}

func TestAnswerGreetsWithCrisisLineAndMenu(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		opts       harnessOpts
		wantClosed bool
	}{
		{"open", harnessOpts{At: mondayMorning}, false},
		{"closed", harnessOpts{At: saturdayMidday}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts)
			doc := h.callStep("/twilio/voice", callForm())
			gathers := doc.All("Gather")
			if len(gathers) != 2 {
				t.Fatalf("want a keys-only gather for the greeting and a menu gather, got %d: %q", len(gathers), doc.Said())
			}
			intro, menu := gathers[0], gathers[1]
			// Speech must not cut off the crisis line: the greeting's gather
			// takes keys only, and falls through to the menu.
			if intro.Attrs["input"] != "dtmf" || intro.Attrs["numDigits"] != "1" || intro.Attrs["actionOnEmptyResult"] == "true" {
				t.Errorf("greeting gather attributes = %v", intro.Attrs)
			}
			if menu.Attrs["input"] != "dtmf speech" || menu.Attrs["numDigits"] != "1" || menu.Attrs["actionOnEmptyResult"] != "true" {
				t.Errorf("menu gather attributes = %v", menu.Attrs)
			}
			if !strings.Contains(menu.Attrs["hints"], "scheduling") || !strings.Contains(menu.Attrs["hints"], "Billing") {
				t.Errorf("hints %q lack the menu phrases or the directory", menu.Attrs["hints"])
			}
			if got := gatherAction(t, doc); got != "/twilio/menu?n=0" {
				t.Errorf("gather action = %s", got)
			}
			says := intro.All("Say")
			// Spanish offered in Spanish, the greeting, then the crisis line.
			if len(says) != 3 || !strings.Contains(says[1].Text, "Evergreen Psychotherapy") ||
				says[0].Attrs["language"] != "es-US" || !strings.Contains(says[0].Text, "español") ||
				!strings.Contains(says[2].Text, "9 1 1") || !strings.Contains(says[2].Text, "9 8 8") {
				t.Fatalf("the call does not open with the greeting then the crisis line: %q", doc.Said())
			}
			if got := strings.Contains(menu.Said(), "We're closed. We reopen Monday at 8 AM."); got != tt.wantClosed {
				t.Errorf("closed notice with the opening time present = %v, want %v: %q", got, tt.wantClosed, doc.Said())
			}
			// Closed is said first, then scheduling.
			says = menu.All("Say")
			first := says[0].Text
			if tt.wantClosed {
				first = says[1].Text
			}
			if tt.wantClosed && first != "To leave a request, press 0." ||
				!tt.wantClosed && first != "For scheduling, press 0 or say scheduling." {
				t.Errorf("the menu does not start with scheduling as it is now: %q", first)
			}
			if says = intro.All("Say"); says[1].Attrs["voice"] != "Polly.Joanna-Neural" || says[1].Attrs["language"] != "en-US" {
				t.Errorf("say attributes = %v", says[0].Attrs)
			}
		})
	}
}

func TestSchedulingByKeyAndVoice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, tt := range []struct {
		name string
		form url.Values
	}{
		{"pressed 0", callForm("Digits", "0")},
		{"pressed 0 then pound", callForm("Digits", "0#")},
		{"asked for a person", callForm("SpeechResult", "Can I talk to a person?")},
		{"asked for the operator", callForm("SpeechResult", "operator")},
		{"said what they do not want", callForm("SpeechResult", "I don't want group therapy, I want scheduling")},
		{"said scheduling", callForm("SpeechResult", "Scheduling.", "Confidence", "0.91")},
		{"said an appointment", callForm("SpeechResult", "I need an appointment")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := h.callStep("/twilio/menu?n=0", tt.form)
			d, to := dialed(t, doc)
			if diff := cmp.Diff(schedulers, to); diff != "" {
				t.Errorf("dialled (-want +got):\n%s", diff)
			}
			if got := pathOf(t, d.Attrs["action"]); got != "/twilio/ring/result?g=scheduling&rc=1&s=0" {
				t.Errorf("dial action = %s", got)
			}
			if d.Attrs["timeout"] != "25" || d.Attrs["callerId"] != callerFrom || d.Attrs["answerOnBridge"] != "true" {
				t.Errorf("dial attributes = %v", d.Attrs)
			}
			for _, n := range d.Children {
				if n.Name != "Number" || pathOf(t, n.Attrs["url"]) != "/twilio/screen?g=scheduling&rc=1&s=0" {
					t.Errorf("member %s is not screened: %v", n.Text, n.Attrs)
				}
			}
		})
	}
}

func TestWithheldCallerIDShowsMainLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, from := range []string{"anonymous", "+266696687", "", "12345"} {
		doc := h.callStep("/twilio/menu?n=0", callForm("Digits", "0", "From", from))
		d, _ := dialed(t, doc)
		if d.Attrs["callerId"] != "+14258692644" {
			t.Errorf("From=%q: callerId = %q, want the main line", from, d.Attrs["callerId"])
		}
	}
}

func TestGroupTherapyInformation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	doc := h.callStep("/twilio/menu?n=0", callForm("Digits", "1"))
	said := doc.Said()
	for _, want := range []string{"licensed therapist", "social skills", "goals", "press 0", "client portal"} {
		if !strings.Contains(said, want) {
			t.Errorf("group information lacks %q: %q", want, said)
		}
	}
	action := gatherAction(t, doc)
	if action != "/twilio/info/choice?id=groups&n=0" {
		t.Fatalf("info gather action = %s", action)
	}

	t.Run("then scheduling", func(t *testing.T) {
		_, to := dialed(t, h.callStep(action, callForm("Digits", "0")))
		if diff := cmp.Diff(schedulers, to); diff != "" {
			t.Errorf("dialled (-want +got):\n%s", diff)
		}
	})
	t.Run("hear it again", func(t *testing.T) {
		again := h.callStep(action, callForm("SpeechResult", "again please"))
		if !strings.Contains(again.Said(), "licensed therapist") {
			t.Errorf("repeat did not read the information again: %q", again.Said())
		}
	})
	t.Run("back to the main menu", func(t *testing.T) {
		menu := h.callStep(action, callForm("Digits", "9"))
		if gatherAction(t, menu) != "/twilio/menu?n=0" || strings.Contains(menu.Said(), "Thank you for calling") {
			t.Errorf("did not return to the main menu without the greeting: %q", menu.Said())
		}
	})
	t.Run("invalid key", func(t *testing.T) {
		retry := h.callStep(action, callForm("Digits", "7"))
		if !strings.Contains(retry.Said(), "not an option") || gatherAction(t, retry) != "/twilio/info/choice?id=groups&n=1" {
			t.Errorf("invalid key after information: %q", retry.Said())
		}
	})
	t.Run("audio instead of text", func(t *testing.T) {
		yaml := strings.Replace(string(config.DefaultYAML()), "    title: Group therapy\n", "    title: Group therapy\n    audioUrl: https://cdn.example.org/groups.mp3\n", 1)
		ah := newHarness(t, harnessOpts{YAML: yaml})
		doc := ah.callStep("/twilio/menu?n=0", callForm("Digits", "1"))
		if p := doc.First("Play"); p == nil || p.Text != "https://cdn.example.org/groups.mp3" {
			t.Errorf("no <Play> of the audio URL: %+v", doc)
		}
	})
}

func TestExtensions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	// Star, during the greeting or the menu, asks for the extension; every
	// extension has three digits, so the third ends the entry at once.
	prompt := h.callStep("/twilio/menu?n=0", callForm("Digits", "*"))
	g := prompt.First("Gather")
	if g == nil || g.Attrs["numDigits"] != "3" || g.Attrs["input"] != "dtmf" || !strings.Contains(prompt.Said(), "dial the extension") {
		t.Fatalf("extension prompt: %+v %q", g, prompt.Said())
	}
	entry := gatherAction(t, prompt)
	if entry != "/twilio/extension?n=0" {
		t.Fatalf("extension entry action = %s", entry)
	}
	for _, tt := range []struct {
		name, path string
		form       url.Values
	}{
		{"dialled after star", entry, callForm("Digits", "201")},
		{"dialled with pound", entry, callForm("Digits", "201#")},
		{"said the name", "/twilio/menu?n=0", callForm("SpeechResult", "billing")},
		{"said the number", "/twilio/menu?n=0", callForm("SpeechResult", "extension two oh one")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := h.callStep(tt.path, tt.form)
			d, to := dialed(t, doc)
			if diff := cmp.Diff([]string{"+14255550150"}, to); diff != "" {
				t.Errorf("dialled (-want +got):\n%s", diff)
			}
			if !strings.Contains(doc.Said(), "Billing") {
				t.Errorf("caller is not told where they are going: %q", doc.Said())
			}
			if pathOf(t, d.Attrs["action"]) != "/twilio/ring/result?g=ext-201&rc=1&s=0" {
				t.Errorf("dial action = %s", d.Attrs["action"])
			}
		})
	}
	t.Run("an extension that does not exist", func(t *testing.T) {
		doc := h.callStep(entry, callForm("Digits", "555"))
		if !strings.Contains(doc.Said(), "There is no extension.") || strings.Contains(doc.Said(), "5 5 5") || !strings.Contains(doc.Said(), "press 0") {
			t.Errorf("unknown extension: %q", doc.Said())
		}
		spoken := h.callStep("/twilio/menu?n=0", callForm("SpeechResult", "extension five five five"))
		if !strings.Contains(spoken.Said(), "There is no extension.") || strings.Contains(spoken.Said(), "5 5 5") {
			t.Errorf("unknown spoken extension: %q", spoken.Said())
		}
	})
}

func TestWrongKeysRepromptThenRouteOn(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		opts     harnessOpts
		path     string
		form     url.Values
		reprompt string
	}{
		{"invalid key, open", harnessOpts{At: mondayMorning}, "/twilio/menu?n=0", callForm("Digits", "7"), "not an option"},
		{"unknown extension, open", harnessOpts{At: mondayMorning}, "/twilio/extension?n=0", callForm("Digits", "555"), "There is no extension."},
		{"unrecognised speech, open", harnessOpts{At: mondayMorning}, "/twilio/menu?n=0", callForm("SpeechResult", "what is the weather"), "Sorry, I didn't catch that."},
		{"two options at once, open", harnessOpts{At: mondayMorning}, "/twilio/menu?n=0", callForm("SpeechResult", "groups or a callback"), "more than one choice"},
		{"no input, open", harnessOpts{At: mondayMorning}, "/twilio/menu?n=0", callForm(), "I didn't hear anything"},
		{"invalid key, closed", harnessOpts{At: saturdayMidday}, "/twilio/menu?n=0", callForm("Digits", "7"), "not an option"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts)
			// One repeat...
			doc := h.callStep(tt.path, tt.form)
			if !strings.Contains(doc.Said(), tt.reprompt) || !strings.Contains(doc.Said(), "press 0") {
				t.Fatalf("first failure: said %q, want %q and the menu again", doc.Said(), tt.reprompt)
			}
			path := gatherAction(t, doc)
			if path != "/twilio/menu?n=1" {
				t.Fatalf("after one failure the action is %s", path)
			}
			// ...then a person when open, the callback offer when closed.
			second := h.callStep(path, tt.form)
			if tt.opts.At == mondayMorning {
				d, to := dialed(t, second)
				if diff := cmp.Diff(schedulers, to); diff != "" {
					t.Errorf("second failure while open dialled (-want +got):\n%s", diff)
				}
				if got := pathOf(t, d.Attrs["action"]); got != "/twilio/ring/result?g=scheduling&rc=1&ro=1&s=0" {
					t.Errorf("the ring does not carry the call's progress: %s", got)
				}
			} else if second.First("Dial") != nil || !strings.Contains(second.Said(), "call you back") {
				t.Errorf("second failure while closed: said %q", second.Said())
			}
		})
	}
}

// TestRingResults drives the Dial action with the parameters Twilio
// documents for each way a ring can end (DialCallStatus, DialBridged,
// DialCallDuration: https://www.twilio.com/docs/voice/twiml/dial#action). A
// leg that was answered but never bridged (declined in the whisper, or a
// voicemail) is not a conversation, whatever its duration.
func TestRingResults(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	tests := []struct {
		name      string
		form      []string
		goodbye   bool // the caller spoke with someone: the call ends
		callbacks bool // the caller is told and offered a callback
	}{
		{"answered and connected", []string{"DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "184"}, true, false},
		{"declined in the whisper", []string{"DialCallStatus", "completed", "DialBridged", "false", "DialCallDuration", "9"}, false, true},
		{"voicemail answered the screened leg", []string{"DialCallStatus", "completed", "DialBridged", "false", "DialCallDuration", "31"}, false, true},
		{"answered (still in progress), not bridged", []string{"DialCallStatus", "answered", "DialBridged", "false", "DialCallDuration", "4"}, false, true},
		{"no answer", []string{"DialCallStatus", "no-answer", "DialBridged", "false"}, false, true},
		{"busy", []string{"DialCallStatus", "busy", "DialBridged", "false"}, false, true},
		{"failed", []string{"DialCallStatus", "failed", "DialBridged", "false"}, false, true},
		{"canceled", []string{"DialCallStatus", "canceled", "DialBridged", "false"}, false, true},
		{"without DialBridged: a completed dial with a duration", []string{"DialCallStatus", "completed", "DialCallDuration", "184"}, true, false},
		{"without DialBridged: completed with no duration", []string{"DialCallStatus", "completed", "DialCallDuration", "0"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := h.callStep("/twilio/ring/result?g=scheduling&rc=1&s=0", callForm(append(tt.form, "DialCallSid", "CAchild")...))
			said := doc.Said()
			if doc.First("Dial") != nil {
				t.Errorf("the ring-all group rang again")
			}
			if got := doc.Last().Name == "Hangup" && strings.Contains(said, "Goodbye") && strings.Contains(said, "9 8 8"); got != tt.goodbye {
				t.Errorf("ends with the crisis line and a goodbye = %v, want %v: %q", got, tt.goodbye, said)
			}
			if got := strings.Contains(said, "nobody is able to take your call") && strings.Contains(said, "call you back"); got != tt.callbacks {
				t.Errorf("told and offered a callback = %v, want %v: %q", got, tt.callbacks, said)
			}
		})
	}
}

// TestAGroupRingsAtMostTwicePerCall: a caller who keeps asking for
// scheduling after nobody answered is offered a callback, not a third ring.
func TestAGroupRingsAtMostTwicePerCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	second := h.callStep("/twilio/menu?n=0&rc=1", callForm("Digits", "0"))
	if d, _ := dialed(t, second); pathOf(t, d.Attrs["action"]) != "/twilio/ring/result?g=scheduling&rc=2&s=0" {
		t.Errorf("second ring action = %s", d.Attrs["action"])
	}
	third := h.callStep("/twilio/menu?n=0&rc=2", callForm("Digits", "0"))
	if third.First("Dial") != nil || !strings.Contains(third.Said(), "nobody is able") || !strings.Contains(third.Said(), "call you back") {
		t.Errorf("third request for scheduling: %q", third.Said())
	}
}

func TestRingInOrder(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(string(config.DefaultYAML()), "    strategy: all\n", "    strategy: order\n", 1)
	yaml = strings.Replace(yaml, "    ringSeconds: 25\n    maxRingSeconds: 25\n", "    ringSeconds: 15\n    maxRingSeconds: 40\n", 1)
	h := newHarness(t, harnessOpts{YAML: yaml})
	doc := h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))
	wantSteps := []struct {
		member  string
		timeout string
	}{{"+14255550101", "15"}, {"+14255550102", "15"}, {"+14255550103", "10"}}
	for i, want := range wantSteps {
		d, to := dialed(t, doc)
		if len(to) != 1 || to[0] != want.member || d.Attrs["timeout"] != want.timeout {
			t.Fatalf("step %d dialled %v for %s s, want %s for %s s", i, to, d.Attrs["timeout"], want.member, want.timeout)
		}
		doc = h.callStep(pathOf(t, d.Attrs["action"]), callForm("DialCallStatus", "no-answer"))
	}
	if doc.First("Dial") != nil || !strings.Contains(doc.Said(), "nobody is able") {
		t.Errorf("after the last member: %q", doc.Said())
	}
}

func TestScreening(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	leg := callForm("CallSid", "CAaaaabbbbccccddddeeeeffff00001111", "ParentCallSid", "CA0123456789abcdef0123456789abcdef", "From", "+14258692644", "To", "+14255550101")
	doc := h.step("/twilio/screen?g=scheduling", leg)
	g := doc.First("Gather")
	if g == nil || g.Attrs["numDigits"] != "1" || !strings.Contains(doc.Said(), "main line") || !strings.Contains(doc.Said(), "Press 1") {
		t.Fatalf("whisper = %q", doc.Said())
	}
	if doc.Last().Name != "Hangup" {
		t.Errorf("a voicemail that never presses 1 is not dropped: last verb %s", doc.Last().Name)
	}
	action := pathOf(t, g.Attrs["action"])
	accepted := h.step(action, url.Values{"CallSid": {"CAaaaabbbbccccddddeeeeffff00001111"}, "Digits": {"1"}})
	if len(accepted.Children) != 0 {
		t.Errorf("pressing 1 does not bridge: %+v", accepted.Children)
	}
	for _, digits := range []string{"", "2", "*"} {
		declined := h.step(action, url.Values{"CallSid": {"CAaaaabbbbccccddddeeeeffff00001111"}, "Digits": {digits}})
		if declined.Last() == nil || declined.Last().Name != "Hangup" {
			t.Errorf("Digits=%q: the leg is not dropped", digits)
		}
	}
}

func TestAfterHours(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{At: saturdayMidday})
	for _, tt := range []struct {
		name, digits, want string
	}{
		{"scheduling", "0", "call you back"},
		{"extension that does not ring after hours", "201", "does not take calls while the office is closed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := h.callStep("/twilio/menu?n=0", callForm("Digits", tt.digits))
			if doc.First("Dial") != nil {
				t.Errorf("a phone rang after hours")
			}
			if !strings.Contains(doc.Said(), tt.want) {
				t.Errorf("said %q, want %q", doc.Said(), tt.want)
			}
		})
	}
	t.Run("extension that rings after hours", func(t *testing.T) {
		yaml := strings.Replace(string(config.DefaultYAML()), "    dial: \"+14255550150\"\n    afterHours: false", "    dial: \"+14255550150\"\n    afterHours: true", 1)
		ah := newHarness(t, harnessOpts{At: saturdayMidday, YAML: yaml})
		_, to := dialed(t, ah.callStep("/twilio/menu?n=0", callForm("Digits", "201")))
		if len(to) != 1 || to[0] != "+14255550150" {
			t.Errorf("dialled %v", to)
		}
	})
}

func TestInternalErrorIsAnApologyNotA5xx(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, path := range []string{
		"/twilio/ring/result?g=scheduling&s=notanumber",
		"/twilio/info/choice?id=missing&n=0",
		"/twilio/info?id=missing",
	} {
		doc := h.callStep(path, callForm("DialCallStatus", "no-answer"))
		if !strings.Contains(doc.Said(), "something went wrong") || gatherAction(t, doc) != "/twilio/menu?n=0" {
			t.Errorf("%s: said %q", path, doc.Said())
		}
	}
	if !strings.Contains(h.Logs.String(), "call step failed") {
		t.Errorf("the failure was not logged:\n%s", h.Logs)
	}
}

func TestSignatureChecks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	form := callForm()
	signed := func(u string, f url.Values) string { return signature(u, f) }
	for _, tt := range []struct {
		name string
		sig  string
		form url.Values
	}{
		{"unsigned", "", form},
		{"wrong signature", "bm90IGEgc2lnbmF0dXJl", form},
		{"signed for another URL", signed(testBase+"/twilio/status", form), form},
		{"signed for another host", signed("https://evil.example.org/twilio/voice", form), form},
		{"params changed after signing", signed(testBase+"/twilio/voice", form), callForm("From", "+12065550199")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := newPost("/twilio/voice", tt.form)
			if tt.sig != "" {
				req.Header.Set("X-Twilio-Signature", tt.sig)
			}
			rec := serve(h, req)
			if rec.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403", rec.Code)
			}
		})
	}
	if !strings.Contains(h.Logs.String(), "checked_url="+testBase+"/twilio/voice") {
		t.Errorf("signature failures do not log the URL that was checked:\n%s", h.Logs)
	}
	t.Run("signed with a query string", func(t *testing.T) {
		if rec := h.post("/twilio/menu?n=1", callForm("Digits", "0"), true); rec.Code != http.StatusOK {
			t.Errorf("status %d", rec.Code)
		}
	})
	t.Run("status callback", func(t *testing.T) {
		if rec := h.post("/twilio/status", callForm("CallStatus", "completed", "CallDuration", "42"), true); rec.Code != http.StatusNoContent {
			t.Errorf("status %d", rec.Code)
		}
		if rec := h.post("/twilio/status", callForm("CallStatus", "completed"), false); rec.Code != http.StatusForbidden {
			t.Errorf("unsigned status callback: %d", rec.Code)
		}
	})
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	big := callForm("SpeechResult", strings.Repeat("a", 70*1024))
	if rec := h.post("/twilio/menu?n=0", big, true); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", rec.Code)
	}
	// The limit is 64 KiB (65,536 bytes), not 64,000.
	pad := func(size int) url.Values {
		f := callForm()
		f.Set("SpeechResult", "")
		f.Set("SpeechResult", strings.Repeat("a", size-len(f.Encode())))
		return f
	}
	if f := pad(65536); len(f.Encode()) != 65536 {
		t.Fatalf("padding made %d bytes", len(f.Encode()))
	}
	if rec := h.post("/twilio/menu?n=0", pad(65536), true); rec.Code != http.StatusOK {
		t.Errorf("a 65,536-byte body: %d, want 200", rec.Code)
	}
	if rec := h.post("/twilio/menu?n=0", pad(65537), true); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 65,537-byte body: %d, want 413", rec.Code)
	}
	if rec := h.post("/twilio/voice", url.Values{"From": {callerFrom}}, true); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "CallSid") {
		t.Errorf("missing CallSid: %d %s", rec.Code, rec.Body)
	}
	malformed := newRawPost("/twilio/voice", "CallSid=CA1&From=%zz")
	if rec := serve(h, malformed); rec.Code != http.StatusBadRequest {
		t.Errorf("malformed body: %d, want 400", rec.Code)
	}
}

func TestSpeechIsNeverTwiML(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, speech := range []string{`<Dial>+19005550000</Dial>`, `"/><Hangup/><Say a="`, "]]><Hangup/>"} {
		rec := h.post("/twilio/menu?n=0", callForm("SpeechResult", speech), true)
		doc, err := twimldocParse(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("speech %q broke the document: %v", speech, err)
		}
		if doc.First("Dial") != nil || doc.First("Hangup") != nil {
			t.Errorf("speech %q became TwiML: %s", speech, rec.Body)
		}
	}
}

func TestMemberKindsAndUnscreenedGroups(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(string(config.DefaultYAML()),
		`members: ["+14255550101", "+14255550102", "+14255550103"]`,
		`members: ["+14255550101", "sip:desk@clinic.sip.twilio.com", "client:frontdesk"]`, 1)
	yaml = strings.Replace(yaml, "    screen: true\n    callerId: caller", "    screen: false\n    callerId: main", 1)
	yaml = strings.Replace(yaml, "      es: [\"+14255550102\"]\n", "      es: [\"+14255550101\"]\n", 1)
	h := newHarness(t, harnessOpts{YAML: yaml})
	d, _ := dialed(t, h.callStep("/twilio/menu?n=0", callForm("Digits", "0")))
	got := map[string]string{}
	for _, n := range d.Children {
		got[n.Name] = n.Text
		if n.Attrs["url"] != "" {
			t.Errorf("%s is screened although the group says screen: false", n.Name)
		}
	}
	want := map[string]string{"Number": "+14255550101", "Sip": "sip:desk@clinic.sip.twilio.com", "Client": "frontdesk"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dial nouns (-want +got):\n%s", diff)
	}
	if d.Attrs["callerId"] != "+14258692644" {
		t.Errorf("callerId = %q, want the main line (callerId: main)", d.Attrs["callerId"])
	}
}

func TestReloadKeepsCallsInProgressOnTheirConfiguration(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "line.yaml")
	write := func(invalid string) {
		doc := strings.Replace(string(config.DefaultYAML()), "prompts:\n", "prompts:\n  invalid: "+invalid+"\n", 1)
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("Sorry, that key does nothing.")
	h := newHarness(t, harnessOpts{ConfigPath: path})
	first := h.callStep("/twilio/voice", callForm())
	oldAction := strings.TrimPrefix(first.First("Gather").Attrs["action"], testBase)
	if !strings.Contains(oldAction, "cv="+h.Live.Current().Version) {
		t.Fatalf("the call's URLs do not carry its configuration version: %s", oldAction)
	}

	write("That is not one of the choices.")
	if _, err := h.Live.Reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := h.callStep(oldAction, callForm("Digits", "7")).Said(); !strings.Contains(got, "does nothing") {
		t.Errorf("the call in progress switched configuration: %q", got)
	}
	if got := h.callStep("/twilio/menu?n=0", callForm("CallSid", "CA11112222333344445555666677778888", "Digits", "7")).Said(); !strings.Contains(got, "not one of the choices") {
		t.Errorf("a new call did not get the new configuration: %q", got)
	}

	// A broken file is refused and the running configuration stays.
	if err := os.WriteFile(path, []byte("practice: [unclosed"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Live.Reload(); err == nil {
		t.Fatal("a broken file was accepted")
	}
	if got := h.callStep("/twilio/menu?n=0", callForm("Digits", "7")).Said(); !strings.Contains(got, "not one of the choices") {
		t.Errorf("after a refused reload: %q", got)
	}
}

// TestCachedRingCarriesEachCallersOwnNumber: the ring document is rendered
// once per step and the caller ID filled in per request, so one caller's
// number must never reach another caller's ring.
func TestCachedRingCarriesEachCallersOwnNumber(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, from := range []string{"+12065550142", "+14255550199", "anonymous", "+12065550142", "+13605550123"} {
		d, _ := dialed(t, h.callStep("/twilio/menu?n=0", callForm("Digits", "0", "From", from)))
		want := from
		if from == "anonymous" {
			want = "+14258692644" // the main line
		}
		if d.Attrs["callerId"] != want {
			t.Errorf("From=%s: callerId %q", from, d.Attrs["callerId"])
		}
	}
}
