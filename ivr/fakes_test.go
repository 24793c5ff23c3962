package ivr_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/ivr"
	"github.com/switchboard-clinic/switchboard/routing"
)

// errDown is what a fake answers while it is down (Redis away).
var errDown = errors.New("fake storage is down")

// fakes are in-memory stand-ins for the flow's storage, faithful to what
// the flow relies on: requests kept by CallSid and every write idempotent,
// marks merged as calls.Store merges them, a call's end decided once.
type fakes struct {
	mu sync.Mutex
	// down makes every read and write of the storage fail.
	down bool
	// requests are the callback requests by CallSid; missed are the
	// missed-call requests by number key.
	requests map[string]*callback.Request
	missed   map[string]*missedRequest
	texts    []callback.MissedText
	tracks   map[string]*track
	legs     map[string][]string // answered members by parent CallSid and group
}

type missedRequest struct {
	callback.MissedCall
	calls int
	notes []string // one per call
}

type track struct {
	rec      calls.Record
	finished bool
}

func newFakes() *fakes {
	return &fakes{requests: map[string]*callback.Request{}, missed: map[string]*missedRequest{}, tracks: map[string]*track{},
		legs: map[string][]string{}}
}

var (
	_ ivr.CallbackRecorder = (*fakes)(nil)
	_ ivr.MissedCalls      = (*fakes)(nil)
	_ ivr.MissedTexts      = (*fakes)(nil)
	_ ivr.Tracks           = (*fakes)(nil)
	_ ivr.Roster           = (*fakes)(nil)
	_ ivr.Legs             = (*fakes)(nil)
)

// setDown takes the storage away (true) or brings it back.
func (f *fakes) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// Capture records a request once per CallSid: a retry changes nothing.
func (f *fakes) Capture(_ context.Context, c callback.Capture) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	if f.requests[c.CallSID] != nil {
		return nil
	}
	lang := c.Language
	if lang == "" {
		lang = callback.DefaultLanguage
	}
	f.requests[c.CallSID] = &callback.Request{CallSID: c.CallSID, CallerNumber: c.CallerNumber, CallbackNumber: c.CallbackNumber,
		Reason: c.Reason, Language: lang, VoicemailOK: callback.ConsentNo, NamePracticeOK: callback.ConsentNo, CreatedAt: c.At,
		Status: callback.StatusPending}
	return nil
}

// update applies change to the request of callSID, when there is one.
func (f *fakes) update(callSID string, change func(*callback.Request)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	if r := f.requests[callSID]; r != nil {
		change(r)
	}
	return nil
}

func (f *fakes) SetConsent(_ context.Context, callSID string, vm, name callback.Consent) error {
	return f.update(callSID, func(r *callback.Request) { r.VoicemailOK, r.NamePracticeOK = vm, name })
}

func (f *fakes) AttachMessage(_ context.Context, callSID string, m callback.Message) error {
	return f.update(callSID, func(r *callback.Request) {
		if r.Message != nil && r.Message.RecordingSID == m.RecordingSID {
			return // a replay
		}
		if r.Message == nil {
			r.Message = &callback.Message{}
		}
		r.Message.RecordingSID, r.Message.DurationSeconds = m.RecordingSID, m.DurationSeconds
		r.History = append(r.History, callback.Event{At: r.CreatedAt, Who: "caller", What: "voice message"})
	})
}

func (f *fakes) AttachTranscription(_ context.Context, callSID, text, status string) error {
	return f.update(callSID, func(r *callback.Request) {
		if r.Message == nil {
			r.Message = &callback.Message{}
		}
		r.Message.Transcription, r.Message.TranscriptionStatus = text, status
	})
}

// Missed keeps one missed-call request per number, counting its calls.
func (f *fakes) Missed(_ context.Context, m callback.MissedCall) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return false, errDown
	}
	r := f.missed[m.NumberKey]
	if r == nil {
		r = &missedRequest{}
		f.missed[m.NumberKey] = r
	}
	r.MissedCall = m
	r.calls++
	r.notes = append(r.notes, m.Note)
	return false, nil
}

// Supersede drops the number's missed-call request: the caller left a real one.
func (f *fakes) Supersede(_ context.Context, _, numberKey string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return false, errDown
	}
	delete(f.missed, numberKey)
	return false, nil
}

func (f *fakes) HasRequest(_ context.Context, callSID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return false, errDown
	}
	return f.requests[callSID] != nil, nil
}

func (f *fakes) Text(m callback.MissedText) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.texts = append(f.texts, m)
}

// Mark merges m into the call's record as calls.Store does: stage and
// language replaced when set, flags only ever set, the first instants kept.
func (f *fakes) Mark(callSID string, m calls.Mark) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return // the writer drops what Redis does not take
	}
	t := f.tracks[callSID]
	if t == nil {
		t = &track{}
		f.tracks[callSID] = t
	}
	r := &t.rec
	r.Seen = true
	if m.Stage != "" {
		r.Stage = m.Stage
	}
	if m.Lang != "" {
		r.Lang = m.Lang
	}
	r.Person, r.Request, r.Extension = r.Person || m.Person, r.Request || m.Request, r.Extension || m.Extension
	r.Crisis, r.Info = r.Crisis || m.Crisis, r.Info || m.Info
	if r.Asked.IsZero() {
		r.Asked = m.Asked
	}
	if r.Reached.IsZero() {
		r.Reached = m.Reached
	}
}

// End hands the call's record to end at once; only the first end of a
// call is first.
func (f *fakes) End(callSID string, end calls.EndFunc) {
	f.mu.Lock()
	if f.down {
		f.mu.Unlock()
		end(context.Background(), callSID, calls.Record{}, false, errDown)
		return
	}
	t := f.tracks[callSID]
	if t == nil {
		t = &track{}
		f.tracks[callSID] = t
	}
	first := !t.finished
	t.finished = true
	rec := t.rec
	f.mu.Unlock()
	end(context.Background(), callSID, rec, first, nil)
}

// Filter has every member on duty (duty_test.go tests the roster on Redis).
func (f *fakes) Filter(_ context.Context, g routing.Group, _ time.Time) (routing.Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return routing.Group{}, errDown
	}
	return g, nil
}

func (f *fakes) Answered(_ context.Context, parentSID, group, member string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	k := parentSID + "\x00" + group
	if !slices.Contains(f.legs[k], member) {
		f.legs[k] = append(f.legs[k], member)
	}
	return nil
}

func (f *fakes) AnsweredIn(_ context.Context, parentSID, group string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errDown
	}
	return slices.Clone(f.legs[parentSID+"\x00"+group]), nil
}

// requestList is every pending request, by CallSid.
func (f *fakes) requestList() map[string]*callback.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]*callback.Request, len(f.requests))
	for sid, r := range f.requests {
		c := *r
		if r.Message != nil {
			m := *r.Message
			c.Message = &m
		}
		out[sid] = &c
	}
	return out
}

// pendingList is every pending request, missed-call requests included
// (as the queue shows them: one per number, a history line per call).
func (f *fakes) pendingList() []*callback.Request {
	var out []*callback.Request
	for _, r := range f.requestList() {
		out = append(out, r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.missed {
		r := &callback.Request{CallSID: m.CallSID, CallbackNumber: m.Number, Reason: callback.ReasonMissedCall, Language: m.Language,
			VoicemailOK: callback.ConsentUnknown, NamePracticeOK: callback.ConsentUnknown, Status: callback.StatusPending,
			Missed: &callback.Missed{Calls: m.calls, Stage: m.Stage, Seconds: m.Seconds}}
		for _, n := range m.notes {
			r.History = append(r.History, callback.Event{What: "missed call", Note: n})
		}
		out = append(out, r)
	}
	return out
}
