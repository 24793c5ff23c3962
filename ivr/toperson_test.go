package ivr_test

import (
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/reports"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// stepClock is a test clock that the test moves on.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// at sets the clock to start+secs.
func (c *stepClock) at(start time.Time, secs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = start.Add(time.Duration(secs) * time.Second)
}

// TestSecondsToPerson times simulated calls through the real router from
// asking for a person to one answering: a screened scheduling call, timed
// to the scheduler's accept in the whisper; an extension; a call that rings twice
// before it is answered, timed from the first ring; and a caller who hung
// up while the phones rang, who adds no sample and counts as gave up
// ringing. The day's median and 90th percentile come from those waits.
func TestSecondsToPerson(t *testing.T) {
	t.Parallel()
	start := mondayMorning
	clock := &stepClock{t: start}
	h := newServerHarness(t, harnessOpts{Clock: clock.now})

	// Screened scheduling: asked at 10 s, accepted at 28 s: 18 s.
	sched := h.caller(1, callerFrom)
	sched.answer()
	clock.at(start, 10)
	doc := h.callStep("/twilio/menu?n=0", sched.form("Digits", "0"))
	dial := doc.First("Dial")
	if dial == nil || dial.First("Number") == nil {
		t.Fatalf("pressing 0 did not ring scheduling: %q", doc.Said())
	}
	leg := url.Values{"CallSid": {"CA" + "aaaa0000000000000000000000000001"}, "ParentCallSid": {sched.sid},
		"AccountSid": {testserver.AccountSID}, "From": {"+14258692644"}, "To": {"+14255550101"}}
	clock.at(start, 25)
	whisper := h.step(pathOf(t, dial.First("Number").Attrs["url"]), leg)
	clock.at(start, 28)
	leg.Set("Digits", "1")
	h.step(pathOf(t, whisper.First("Gather").Attrs["action"]), leg)
	clock.at(start, 200)
	h.callStep(pathOf(t, dial.Attrs["action"]), sched.form("DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "175"))
	sched.hangUp(200)

	// Billing (an extension, screened too): rung at 5 s, accepted at 15 s.
	billing := h.caller(2, "+12065550177")
	billing.answer()
	clock.at(start, 5)
	doc = h.callStep("/twilio/menu?n=0", billing.form("Digits", "201"))
	if doc.First("Dial") == nil {
		t.Fatalf("201 did not ring billing: %q", doc.Said())
	}
	clock.at(start, 15)
	h.step("/twilio/screen/answer?g=ext-201", url.Values{"CallSid": {"CA" + "aaaa0000000000000000000000000004"},
		"ParentCallSid": {billing.sid}, "AccountSid": {testserver.AccountSID}, "To": {"+14255550150"}, "Digits": {"1"}})
	clock.at(start, 95)
	h.callStep(pathOf(t, doc.First("Dial").Attrs["action"]), billing.form("DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "88"))
	billing.hangUp(96)

	// Rung twice: a scheduler's phone answered and declined in the
	// whisper, the others rang again and one accepted at 61 s, 60 s after
	// the first ring.
	twice := h.caller(3, "+12065550178")
	twice.answer()
	clock.at(start, 1)
	doc = h.callStep("/twilio/menu?n=0", twice.form("Digits", "0"))
	declined := url.Values{"CallSid": {"CA" + "aaaa0000000000000000000000000002"}, "ParentCallSid": {twice.sid},
		"AccountSid": {testserver.AccountSID}, "From": {"+14258692644"}, "To": {"+14255550101"}}
	clock.at(start, 20)
	whisper = h.step(pathOf(t, doc.First("Dial").First("Number").Attrs["url"]), declined)
	clock.at(start, 28)
	declined.Set("Digits", "")
	h.step(pathOf(t, whisper.First("Gather").Attrs["action"]), declined)
	clock.at(start, 30)
	again := h.callStep(pathOf(t, doc.First("Dial").Attrs["action"]), twice.form("DialCallStatus", "completed", "DialBridged", "false", "DialCallDuration", "10"))
	if again.First("Dial") == nil {
		t.Fatalf("no second ring: %q", again.Said())
	}
	leg = url.Values{"CallSid": {"CA" + "aaaa0000000000000000000000000003"}, "ParentCallSid": {twice.sid},
		"AccountSid": {testserver.AccountSID}, "From": {"+14258692644"}, "To": {"+14255550103"}, "Digits": {"1"}}
	clock.at(start, 61)
	h.step("/twilio/screen/answer?g=scheduling", leg)
	clock.at(start, 120)
	h.callStep(pathOf(t, again.First("Dial").Attrs["action"]), twice.form("DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "70"))
	twice.hangUp(120)

	// Hung up while the phones rang: no sample.
	gone := h.caller(4, "+12065550179")
	gone.answer()
	h.callStep("/twilio/menu?n=0", gone.form("Digits", "0"))
	clock.at(start, 40)
	gone.hangUp(40)

	p := h.reportDay(start)
	w := p.Waits("en")
	if got, want := w, (reports.Waits{18: 1, 10: 1, 60: 1}); !equalWaits(got, want) {
		t.Errorf("waits to a person: got %v, want %v", got, want)
	}
	if m, ok := w.Median(); !ok || m != 18 {
		t.Errorf("median: got %v %v, want 18", m, ok)
	}
	if p90, ok := w.P90(); !ok || p90 != 60 {
		t.Errorf("p90: got %v %v, want 60", p90, ok)
	}
	d := p.Days[0]
	if got := d.Outcome(calls.OutcomePerson, "en"); got != 3 {
		t.Errorf("reached a person: %d, want 3", got)
	}
	if got := d.GaveUp(calls.StageRing, ""); got != 1 {
		t.Errorf("gave up while ringing: %d, want 1", got)
	}
}

func equalWaits(a, b reports.Waits) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSecondsToPersonUnscreened: a group that does not screen bridges the
// caller when a phone answers; the Dial action comes when the
// conversation ends, and its DialCallDuration says when it began.
func TestSecondsToPersonUnscreened(t *testing.T) {
	t.Parallel()
	yaml, err := os.ReadFile("../config/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	unscreened := strings.Replace(string(yaml), "    screen: true\n", "    screen: false\n", 1)
	if unscreened == string(yaml) {
		t.Fatal("the default configuration no longer screens scheduling: fix the test")
	}
	start := mondayMorning
	clock := &stepClock{t: start}
	h := newServerHarness(t, harnessOpts{Clock: clock.now, YAML: unscreened})
	c := h.caller(1, callerFrom)
	c.answer()
	clock.at(start, 12)
	doc := h.callStep("/twilio/menu?n=0", c.form("Digits", "0"))
	dial := doc.First("Dial")
	if dial == nil || dial.First("Number") == nil || dial.First("Number").Attrs["url"] != "" {
		t.Fatalf("pressing 0 did not ring scheduling unscreened: %+v", dial)
	}
	// Answered at 33 s, a conversation of 4 minutes: 21 s to a person.
	clock.at(start, 273)
	h.callStep(pathOf(t, dial.Attrs["action"]), c.form("DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "240"))
	c.hangUp(274)
	p := h.reportDay(start)
	if got, want := p.Waits(""), (reports.Waits{21: 1}); !equalWaits(got, want) {
		t.Errorf("waits to a person: got %v, want %v", got, want)
	}
}
