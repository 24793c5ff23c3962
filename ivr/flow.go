package ivr

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// Flow answers Twilio's voice webhooks for one phone line.
type Flow struct {
	line       func(version string) *routing.Line
	base       string
	now        func() time.Time
	log        *slog.Logger
	callback   CallbackFlow
	capture    *capture // nil when no recorder is configured
	events     Events
	simTime    bool
	setSimTime func(time.Time)
	cache      *cache
	duty       Roster // nil: every member always rings
	legs       Legs   // nil: a ring-all group is not rung again after a voicemail or a decline
	outcomes   Outcomes
	// What calls did and how they ended (outcome.go); nil: not tracked.
	tracks       Tracks
	missed       MissedCalls
	keys         *callback.NumberKeys
	texts        MissedTexts
	callOutcomes CallOutcomes
}

// Roster says which members of a ring group take calls now (duty.Roster
// implements it). An error means it cannot tell; the flow then rings every
// configured member.
type Roster interface {
	Filter(ctx context.Context, g routing.Group, now time.Time) (routing.Group, error)
}

// Events is told what callers do, for metrics (metrics.Metrics implements
// it). Labels never hold a number or anything a caller said.
type Events interface {
	CallStarted(entry string)
	MenuChoice(menu, choice string)
	RingOutcome(group, status string)
}

// Outcomes, when Events also implements it, is told what the practice's
// reports count: a call's first ring of a group, a ring a member accepted,
// and a callback offered because nobody answered or was on duty.
type Outcomes interface {
	RingPlaced(group string)
	RingAnswered(group string)
	CallbackOffered(reason callback.Reason)
}

type noOutcomes struct{}

func (noOutcomes) RingPlaced(string)               {}
func (noOutcomes) RingAnswered(string)             {}
func (noOutcomes) CallbackOffered(callback.Reason) {}

type noEvents struct{}

func (noEvents) CallStarted(string)         {}
func (noEvents) MenuChoice(string, string)  {}
func (noEvents) RingOutcome(string, string) {}

// CallbackFlow builds the TwiML that offers a caller a callback. The callback
// package provides the real one; without it callers are told nobody can take
// the call and are returned to the main menu.
type CallbackFlow interface {
	// Offer starts capturing a callback request after preamble (what the
	// caller hears first); reason says where in the menu the caller asked
	// for it (menu, unanswered, closed, ...).
	Offer(call Call, reason callback.Reason, preamble ...twiml.Element) (Reply, error)
}

// Deps are what a Flow needs. Line, BaseURL, Now and Logger are required.
type Deps struct {
	// Line returns the configuration of a given version (the "cv" parameter
	// a call carries in its URLs), or the one in force for "" or a version
	// no longer known. It is called once per request.
	Line func(version string) *routing.Line
	// BaseURL is the public base URL Twilio calls (no trailing slash); every
	// URL in the TwiML is absolute and built from it.
	BaseURL string
	Now     func() time.Time
	Logger  *slog.Logger
	// Recorder records callback requests; with it, callers are offered the
	// callback capture flow. Sealer is then required too.
	Recorder CallbackRecorder
	// Sealer protects values carried in TwiML URLs (a keyed callback number).
	Sealer *Sealer
	// Events is told of calls, choices and ring outcomes; nil ignores them.
	Events Events
	// Duty filters ring groups to the members on duty; nil rings them all.
	Duty Roster
	// Legs remembers which members' phones answered a call, so that a
	// ring-all group rings its other members after a voicemail or a
	// decline; nil offers the caller a callback then.
	Legs Legs
	// SimulatedTime lets the call simulator set the clock of each request
	// with the X-Switchboard-Simulated-Time header. Only for local mode:
	// with signatures checked, the header is ignored.
	SimulatedTime bool
	// SetSimulatedTime, with SimulatedTime, is told each webhook's
	// simulated time (zero without one), so that the service's own clock
	// can follow it (simulate.Clock.Set).
	SetSimulatedTime func(time.Time)
	// Tracks keeps what each call did, so that its outcome is decided when
	// Twilio reports it completed; nil decides none.
	Tracks Tracks
	// Missed turns missed calls into requests; it needs NumberKeys (which
	// key numbers to find a number's pending missed call) and a Recorder.
	Missed     MissedCalls
	NumberKeys *callback.NumberKeys
	// Texts, when set, sends the missed-call text (callback.missedCallText)
	// after a missed call is recorded.
	Texts MissedTexts
}

// SimulatedTimeHeader carries the call simulator's --at time (RFC 3339).
const SimulatedTimeHeader = "X-Switchboard-Simulated-Time"

// New returns a Flow, or an error naming a missing dependency.
func New(d Deps) (*Flow, error) {
	switch {
	case d.Line == nil:
		return nil, errors.New("ivr: Line is required")
	case d.BaseURL == "":
		return nil, errors.New("ivr: BaseURL is required")
	case d.Now == nil:
		return nil, errors.New("ivr: Now is required")
	case d.Logger == nil:
		return nil, errors.New("ivr: Logger is required")
	}
	f := &Flow{line: d.Line, base: d.BaseURL, now: d.Now, log: d.Logger, events: d.Events, simTime: d.SimulatedTime, setSimTime: d.SetSimulatedTime,
		cache: newCache(true), duty: d.Duty, legs: d.Legs}
	if f.events == nil {
		f.events = noEvents{}
	}
	f.outcomes = noOutcomes{}
	if o, ok := f.events.(Outcomes); ok {
		f.outcomes = o
	}
	f.tracks, f.missed, f.keys, f.texts = d.Tracks, d.Missed, d.NumberKeys, d.Texts
	f.callOutcomes = noCallOutcomes{}
	if o, ok := f.events.(CallOutcomes); ok {
		f.callOutcomes = o
	}
	if f.missed != nil && f.keys == nil {
		return nil, errors.New("ivr: NumberKeys are required with Missed")
	}
	f.callback = noCallback{f}
	if d.Recorder != nil {
		if d.Sealer == nil {
			return nil, errors.New("ivr: Sealer is required with a Recorder")
		}
		f.capture = &capture{f: f, rec: d.Recorder, sealer: d.Sealer}
		f.callback = f.capture
	}
	return f, nil
}

// Call is what a webhook tells about the call it belongs to.
type Call struct {
	Sid    string
	From   string // the caller's number as Twilio sent it (may be withheld)
	To     string
	Digits string
	Speech string
	Line   *routing.Line
	Now    time.Time // when the request arrived (or the simulated time)
	Open   bool      // whether the practice was open then
	Query  url.Values
	Form   url.Values // the whole POST body Twilio sent
	// Progress is what the call has been through so far (it travels in
	// every URL), so that no caller goes round forever.
	Progress Progress
}

// Progress bounds a call: how many times it has rung a ring group, and
// whether it was already routed on because the caller could not use a
// prompt. A second failure after that ends the call with the crisis line and
// a goodbye; a third ring is never placed.
type Progress struct {
	Rings    int  // "rc": ring-group dials placed in this call
	RoutedOn bool // "ro": sent on to scheduling or a callback offer after failed tries
	// Lang is "l": the language the caller chose ("es"), "" for the line's
	// own. Any instance answers every later step in it.
	Lang string
	// SpeakersFirst is "sf": the call, in another language than the
	// staff's, rang a group's speakers of it first; the next ring is the
	// rest of the group.
	SpeakersFirst bool
	// Crisis is "cr": the caller said words of distress and heard the
	// crisis response. It is given once per call; from then on the call's
	// rings are urgent and its callback request is marked so.
	Crisis bool
}

// MaxRings is how many times one call may ring a ring group.
const MaxRings = 2

func progressOf(q url.Values) Progress {
	rc, _ := strconv.Atoi(q.Get("rc"))
	return Progress{Rings: max(0, min(rc, MaxRings)), RoutedOn: q.Get("ro") == "1", Lang: q.Get("l"), Crisis: q.Get("cr") == "1", SpeakersFirst: q.Get("sf") == "1"}
}

// params are the URL parameters that carry p.
func (p Progress) params() []string {
	var kv []string
	if p.Rings > 0 {
		kv = append(kv, "rc", strconv.Itoa(p.Rings))
	}
	if p.RoutedOn {
		kv = append(kv, "ro", "1")
	}
	if p.Lang != "" {
		kv = append(kv, "l", p.Lang)
	}
	if p.Crisis {
		kv = append(kv, "cr", "1")
	}
	if p.SpeakersFirst {
		kv = append(kv, "sf", "1")
	}
	return kv
}

// URL builds an absolute URL for path with the given query parameters, in a
// stable order so that signatures and tests are reproducible.
func (f *Flow) URL(path string, kv ...string) string {
	return buildURL(f.base, path, kv...)
}

// callURL is URL for a step of call c: it carries the version of the
// configuration the call started with, so that a reload does not change a
// call in progress.
func (f *Flow) callURL(c Call, path string, kv ...string) string {
	if c.Line != nil && c.Line.Version != "" {
		kv = append(kv, "cv", c.Line.Version)
	}
	kv = append(kv, c.Progress.params()...)
	return buildURL(f.base, path, kv...)
}

func buildURL(base, path string, kv ...string) string {
	u := base + path
	if len(kv) == 0 {
		return u
	}
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return u + "?" + q.Encode()
}

// tries reads the "n" query parameter: how many failed attempts the caller
// has made at the current menu.
func tries(q url.Values) int {
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
