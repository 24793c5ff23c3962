package ivr_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

// callerSid is the caller's call in callForm: the parent of every leg the
// ring groups dial.
const callerSid = "CA0123456789abcdef0123456789abcdef"

// local is the path and query of an absolute URL found in TwiML, as Twilio
// requests it (the configuration version kept).
func local(t testing.TB, u string) string {
	t.Helper()
	if !strings.HasPrefix(u, testBase+"/") {
		t.Fatalf("URL %q is not under the public base %s", u, testBase)
	}
	return strings.TrimPrefix(u, testBase)
}

// legForm is what Twilio posts for the child leg that rang member: its own
// CallSid, the caller's as ParentCallSid, the member's number as To and
// Called (https://www.twilio.com/docs/voice/twiml/number, attribute url).
func legForm(leg int, member string, extra ...string) url.Values {
	f := callForm(append([]string{"CallSid", fmt.Sprintf("CA%032x", leg), "ParentCallSid", callerSid,
		"To", member, "Called", member, "Direction", "outbound-dial"}, extra...)...)
	return f
}

// whisper plays the whisper of ring's <Number> for member, as Twilio does
// when that phone answers, checks that it is a whisper, and returns it.
func whisper(t testing.TB, h *harness, ring *simulate.Node, leg int, member string) *simulate.Node {
	t.Helper()
	for _, n := range ring.All("Number") {
		if n.Text != member {
			continue
		}
		doc := h.step(local(t, n.Attrs["url"]), legForm(leg, member))
		if g := doc.First("Gather"); g == nil || g.Attrs["action"] == "" || doc.Last().Name != "Hangup" {
			t.Fatalf("whisper for %s is not a <Gather> then a hangup: %q", member, doc.Said())
		}
		return doc
	}
	t.Fatalf("the ring does not dial %s: %v", member, ringing(ring))
	return nil
}

// decline answers a whisper with digits other than 1 (none: a voicemail
// greeting plays on), which drops the member's leg.
func decline(t testing.TB, h *harness, w *simulate.Node, leg int, member, digits string) {
	t.Helper()
	doc := h.step(local(t, w.First("Gather").Attrs["action"]), legForm(leg, member, "Digits", digits))
	if doc.Last() == nil || doc.Last().Name != "Hangup" {
		t.Fatalf("Digits=%q: the whisper's answer does not drop the leg", digits)
	}
}

// notBridged posts ring's Dial action as Twilio does when the leg that
// answered ends without being bridged.
func notBridged(t testing.TB, h *harness, ring *simulate.Node, leg int) *simulate.Node {
	t.Helper()
	d := ring.First("Dial")
	if d == nil {
		t.Fatalf("no <Dial>: %q", ring.Said())
	}
	return h.callStep(local(t, d.Attrs["action"]), callForm("DialCallStatus", "completed", "DialBridged", "false",
		"DialCallDuration", "9", "DialCallSid", fmt.Sprintf("CA%032x", leg)))
}

// offersCallback reports whether doc tells the caller nobody can answer and
// offers a callback because nobody answered.
func offersCallback(t *testing.T, doc *simulate.Node) bool {
	t.Helper()
	return doc.First("Dial") == nil && strings.Contains(doc.Said(), "nobody is able to take your call") &&
		strings.Contains(gatherAction(t, doc), "/twilio/callback/number") && strings.Contains(gatherAction(t, doc), "r=unanswered")
}

// TestRingAllRingsTheOthersAfterADecline: in a screened ring-all group the
// first phone to answer hangs up the others; when its owner declines (or it
// was a voicemail), the members whose phones did not answer ring once more,
// and a second decline reaches the cap of two rings: the callback offer.
func TestRingAllRingsTheOthersAfterADecline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	first := h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))
	if got := ringing(first); len(got) != 3 {
		t.Fatalf("first ring: %v, want the three schedulers", got)
	}
	w := whisper(t, h, first, 1, scheduler1)
	decline(t, h, w, 1, scheduler1, "")

	second := notBridged(t, h, first, 1)
	if got, want := ringing(second), []string{scheduler2, scheduler3}; !slices.Equal(got, want) {
		t.Fatalf("after a decline: rings %v, want %v (said %q)", got, want, second.Said())
	}
	if got, want := pathOf(t, second.First("Dial").Attrs["action"]), "/twilio/ring/result?g=scheduling&rc=2&s=0"; got != want {
		t.Errorf("second ring's action = %s, want %s (it counts as a ring)", got, want)
	}
	w2 := whisper(t, h, second, 2, scheduler2)
	if !strings.Contains(w2.Said(), "already waited through one ring") {
		t.Errorf("second whisper = %q, want it to say the caller already waited", w2.Said())
	}
	decline(t, h, w2, 2, scheduler2, "2")

	if third := notBridged(t, h, second, 2); !offersCallback(t, third) {
		t.Errorf("after a second decline: %q, want the callback offer (at most two rings)", third.Said())
	}
}

func TestRingAllAfterAnAnswerNotTaken(t *testing.T) {
	t.Parallel()
	type answer struct{ member, digits string }
	tests := []struct {
		name    string
		answers []answer // phones that answered the first ring and did not accept
		down    string   // "whisper" or "result": Redis is killed before that request
		want    []string // members of the second ring; nil: the callback offer
	}{
		{"declined (pressed 2)", []answer{{scheduler1, "2"}}, "", []string{scheduler2, scheduler3}},
		{"voicemail (no digits)", []answer{{scheduler1, ""}}, "", []string{scheduler2, scheduler3}},
		{"the last member's voicemail", []answer{{scheduler3, ""}}, "", []string{scheduler1, scheduler2}},
		{"every member answered and declined", []answer{{scheduler1, "2"}, {scheduler2, ""}, {scheduler3, "*"}}, "", nil},
		{"Redis down at the whisper", []answer{{scheduler1, ""}}, "whisper", nil},
		{"Redis down at the result", []answer{{scheduler1, ""}}, "result", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			ring := h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))
			if tt.down == "whisper" {
				h.fakes.setDown(true)
			}
			for i, a := range tt.answers {
				w := whisper(t, h, ring, i+1, a.member)
				decline(t, h, w, i+1, a.member, a.digits)
			}
			if tt.down == "result" {
				h.fakes.setDown(true)
			}
			doc := notBridged(t, h, ring, len(tt.answers))
			if tt.want == nil {
				if !offersCallback(t, doc) {
					t.Errorf("got %q ringing %v, want the callback offer", doc.Said(), ringing(doc))
				}
			} else if got := ringing(doc); !slices.Equal(got, tt.want) {
				t.Errorf("rings %v, want %v (said %q)", got, tt.want, doc.Said())
			}
			if tt.down != "" && !strings.Contains(h.Logs.String(), "answered leg") {
				t.Errorf("Redis down at the %s is not logged", tt.down)
			}
			for _, m := range []string{scheduler1, scheduler2, scheduler3} {
				if strings.Contains(h.Logs.String(), m[len(m)-7:]) {
					t.Errorf("the log names a member's number (%s)", m)
				}
			}
		})
	}
}

// TestRingInOrderAfterADeclineIsUnchanged: a ring-in-order group already
// moves on to its next member after a decline; the record of answered
// phones changes nothing there.
func TestRingInOrderAfterADeclineIsUnchanged(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(string(config.DefaultYAML()), "    strategy: all\n", "    strategy: order\n", 1)
	yaml = strings.Replace(yaml, "    ringSeconds: 25\n    maxRingSeconds: 25\n", "    ringSeconds: 15\n    maxRingSeconds: 40\n", 1)
	h := newHarness(t, harnessOpts{YAML: yaml})
	ring := h.callStep("/twilio/menu?n=0", callForm("Digits", "0"))
	w := whisper(t, h, ring, 1, scheduler1)
	decline(t, h, w, 1, scheduler1, "2")
	next := notBridged(t, h, ring, 1)
	if got := ringing(next); !slices.Equal(got, []string{scheduler2}) {
		t.Errorf("after the first member declined: rings %v, want the second member", got)
	}
	if got := pathOf(t, next.First("Dial").Attrs["action"]); got != "/twilio/ring/result?g=scheduling&rc=1&s=1" {
		t.Errorf("next member's action = %s, want step 1 of the same ring", got)
	}
}
