package ivr

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/twimldoc"
	"github.com/switchboard-clinic/switchboard/routing"
)

// nopRecorder takes every callback request and keeps none.
type nopRecorder struct{}

func (nopRecorder) Capture(context.Context, callback.Capture) error { return nil }
func (nopRecorder) SetConsent(context.Context, string, callback.Consent, callback.Consent) error {
	return nil
}
func (nopRecorder) AttachMessage(context.Context, string, callback.Message) error { return nil }
func (nopRecorder) AttachTranscription(context.Context, string, string, string) error {
	return nil
}

// sideEffects counts what must happen on every request, cached page or not:
// the callback offers reported and the answered legs recorded.
type sideEffects struct {
	noEvents
	offered, answered int
}

func (s *sideEffects) RingPlaced(string)               {}
func (s *sideEffects) RingAnswered(string)             {}
func (s *sideEffects) CallbackOffered(callback.Reason) { s.offered++ }
func (s *sideEffects) Answered(context.Context, string, string, string) error {
	s.answered++
	return nil
}
func (s *sideEffects) AnsweredIn(context.Context, string, string) ([]string, error) {
	return nil, nil
}

// pagesFlow is a Flow with a capture flow, its page cache on or off.
func pagesFlow(t *testing.T, line *routing.Line, pages bool, fx *sideEffects) *Flow {
	t.Helper()
	sealer, err := NewSealer([]byte("a token long enough for the sealer"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Deps{Line: func(string) *routing.Line { return line }, BaseURL: "https://phone.example.org",
		Now: time.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Recorder: nopRecorder{}, Sealer: sealer,
		Events: fx, Legs: fx})
	if err != nil {
		t.Fatal(err)
	}
	f.cache = newCache(pages)
	return f
}

// TestCachedOfferAndWhisperAreTheBuiltPages: the callback offer and the
// whisper, served from the page cache, are byte for byte what building them
// for the request gives, for calls that differ in each thing these pages
// depend on; a call that differs in one of them gets another document
// (never a page cached for another call), and the side effects of the
// steps happen on every request.
func TestCachedOfferAndWhisperAreTheBuiltPages(t *testing.T) {
	t.Parallel()
	line, err := config.LoadFile("")
	if err != nil {
		t.Fatal(err)
	}
	// Other configurations: a voice that reads no SSML (no <say-as>), and
	// an offer that says the last four digits twice (more than a page's
	// one slot).
	plain := *line
	plain.Version, plain.Voice = line.Version+"-plain", "alice"
	twice := *line
	twice.Version = line.Version + "-twice"
	twice.Prompts.CallbackCallerID = "Your number ends in {last4}. Again, {last4}. Press 1 for it."

	ring := func(f *Flow) Step { return f.RingResult }
	entry := func(f *Flow) Step { return f.CallbackEntry() }
	lifeline := func(f *Flow) Step { return f.LifelineResult }
	screen := func(f *Flow) Step { return f.Screen }
	const caller = "+12065550142"
	cases := []struct {
		name    string
		line    *routing.Line
		step    func(*Flow) Step
		query   string
		from    string
		closed  bool
		differs string // the case this one differs from in one thing, so in its document
	}{
		// The offer after a ring nobody answered (the preamble says so).
		{name: "offer", step: ring, query: "g=scheduling&rc=1&s=0", from: caller},
		{name: "other last four", step: ring, query: "g=scheduling&rc=1&s=0", from: "+12065550199", differs: "offer"},
		{name: "withheld", step: ring, query: "g=scheduling&rc=1&s=0", from: "anonymous", differs: "offer"},
		{name: "own number", step: ring, query: "g=scheduling&rc=1&s=0", from: "+14258692644", differs: "offer"},
		{name: "Spanish", step: ring, query: "g=scheduling&rc=1&s=0&l=es", from: caller, differs: "offer"},
		{name: "Spanish withheld", step: ring, query: "g=scheduling&rc=1&s=0&l=es", from: "anonymous", differs: "withheld"},
		{name: "second ring", step: ring, query: "g=scheduling&rc=2&s=0", from: caller, differs: "offer"},
		{name: "routed on", step: ring, query: "g=scheduling&rc=1&s=0&ro=1", from: caller, differs: "offer"},
		// The offer reads nothing of the hours (keyOf keys pages by them
		// anyway): closed, the same document.
		{name: "closed", step: ring, query: "g=scheduling&rc=1&s=0", from: caller, closed: true},
		{name: "plain voice", line: &plain, step: ring, query: "g=scheduling&rc=1&s=0", from: caller, differs: "offer"},
		{name: "last four twice", line: &twice, step: ring, query: "g=scheduling&rc=1&s=0", from: caller, differs: "offer"},
		{name: "last four twice, other", line: &twice, step: ring, query: "g=scheduling&rc=1&s=0", from: "+12065550199", differs: "last four twice"},
		// The offer asked for (no preamble), for one reason and another.
		{name: "entry", step: entry, query: "r=unanswered&rc=1", from: caller, differs: "offer"},
		{name: "entry withheld", step: entry, query: "r=unanswered&rc=1", from: "anonymous", differs: "withheld"},
		{name: "entry reason", step: entry, query: "r=menu&rc=1", from: caller, differs: "entry"},
		{name: "entry reason withheld", step: entry, query: "r=menu&rc=1", from: "anonymous", differs: "entry withheld"},
		// A crisis: the Lifeline that did not connect says so first.
		{name: "entry crisis", step: entry, query: "r=crisis&cr=1", from: caller, differs: "entry"},
		{name: "lifeline failed", step: lifeline, query: "cr=1", from: caller, differs: "entry crisis"},
		{name: "ring in crisis", step: ring, query: "g=scheduling&rc=1&s=0&cr=1", from: caller, differs: "offer"},
		// The whisper.
		{name: "whisper", step: screen, query: "g=scheduling&rc=1"},
		{name: "whisper other group", step: screen, query: "g=ext-201&rc=1", differs: "whisper"},
		// An unknown group says its name as given: the same sentence as
		// scheduling's title, another action URL.
		{name: "whisper same words", step: screen, query: "g=Scheduling&rc=1", differs: "whisper"},
		{name: "whisper second step", step: screen, query: "g=scheduling&rc=1&s=1", differs: "whisper"},
		{name: "whisper Spanish caller", step: screen, query: "g=scheduling&rc=1&l=es", differs: "whisper"},
		{name: "whisper urgent", step: screen, query: "g=scheduling&rc=1&cr=1", differs: "whisper"},
		{name: "whisper closed", step: screen, query: "g=scheduling&rc=1", closed: true},
	}
	fx, bx := &sideEffects{}, &sideEffects{}
	cached, built := pagesFlow(t, line, true, fx), pagesFlow(t, line, false, bx)
	ctx := t.Context()
	docs := map[string][]byte{}
	for _, tc := range cases {
		l := line
		if tc.line != nil {
			l = tc.line
		}
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"CallSid": {"CA1"}, "From": {tc.from}, "DialCallStatus": {"no-answer"},
			"ParentCallSid": {"CA0"}, "To": {"+14255550150"}}
		c := Call{Sid: "CA1", From: tc.from, To: "+14255550150", Line: l, Now: time.Now(), Open: !tc.closed,
			Query: q, Form: form, Progress: progressOf(q)}
		c.Line = l.In(c.Progress.Lang)
		r, err := tc.step(built)(ctx, c)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if r.Elements() == nil {
			t.Fatalf("%s: the cache that is off served a page", tc.name)
		}
		want := twimldoc.Render(r.Elements())
		for i := range 2 { // the second from the cache
			r, err := tc.step(cached)(ctx, c)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := r.Render(); !bytes.Equal(got, want) {
				t.Errorf("%s (request %d): served\n%s\nwant, as built,\n%s", tc.name, i+1, got, want)
			}
		}
		docs[tc.name] = want
		if tc.differs == "" {
			continue
		}
		other, ok := docs[tc.differs]
		if !ok {
			t.Fatalf("%s: differs from %q, not a case before it", tc.name, tc.differs)
		}
		if bytes.Equal(want, other) {
			t.Errorf("%s: the same document as %s; the case tests nothing", tc.name, tc.differs)
		}
	}
	// Every request reported its offer and recorded its answered leg, the
	// cached ones twice as often as the built ones.
	if fx.offered == 0 || fx.offered != 2*bx.offered {
		t.Errorf("callback offers reported: %d with the cache, %d without, want twice as many", fx.offered, bx.offered)
	}
	if fx.answered == 0 || fx.answered != 2*bx.answered {
		t.Errorf("answered legs recorded: %d with the cache, %d without, want twice as many", fx.answered, bx.answered)
	}
}
