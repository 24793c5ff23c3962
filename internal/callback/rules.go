package callback

import (
	"errors"
	"strconv"
	"strings"
)

// The rules staff work requests by live here, once: the note limit, the
// outcomes and when one puts a request back in the queue, and who may
// claim, release, complete, cancel or ring a request in which state. The
// Redis Queue applies them (its transition script is their atomic mirror:
// see scriptTransition) and so does the in-memory fake in callbacktest; the
// staff front ends only turn the errors below into status codes and form
// messages.

// MaxNote is the longest note, in bytes after surrounding space is
// trimmed, that a request's history takes. A longer one is refused with
// ErrNoteTooLong, never cut.
const MaxNote = 2000

// ErrInvalid is wrapped by every error that refuses what a client asked
// for (a note too long, an unknown outcome, a bad cursor): the front ends
// answer it as the client's mistake, with the error's text, which says
// what to fix.
var ErrInvalid = errors.New("invalid callback request input")

// ErrForbidden is wrapped by every error that refuses a change because of
// who asks for it, whatever the request's state.
var ErrForbidden = errors.New("not allowed")

// ruleError is a refused input or change; its text is for the client.
type ruleError struct {
	msg  string
	kind error // ErrInvalid or ErrForbidden
}

func (e *ruleError) Error() string        { return e.msg }
func (e *ruleError) Is(target error) bool { return target == e.kind }

// The inputs the queue refuses (errors.Is(err, ErrInvalid) holds for each).
var (
	ErrNoteRequired = &ruleError{"note is required", ErrInvalid}
	ErrNoteTooLong  = &ruleError{"note is longer than " + strconv.Itoa(MaxNote) + " bytes", ErrInvalid}
	ErrBadOutcome   = &ruleError{"outcome must be one of " + outcomeNames(), ErrInvalid}
	ErrBadCursor    = &ruleError{"bad cursor", ErrInvalid}
)

// ErrCancelNotAllowed refuses a cancel by someone who is neither an
// administrator nor the claim's holder (errors.Is(err, ErrForbidden)):
// cancelling ends the request and queues its recording for deletion.
var ErrCancelNotAllowed = &ruleError{"only an administrator or the person who holds the claim can cancel a request: claim it first", ErrForbidden}

func outcomeNames() string {
	var names []string
	for _, o := range Outcomes() {
		names = append(names, string(o))
	}
	return strings.Join(names, ", ")
}

// CleanNote returns a note as the history keeps it, without surrounding
// space, or ErrNoteTooLong when it is longer than MaxNote bytes. An empty
// note is allowed (a note is optional except in AddNote).
func CleanNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if len(note) > MaxNote {
		return "", ErrNoteTooLong
	}
	return note, nil
}

// CleanRequiredNote is CleanNote for a note that is the whole point of the
// change (AddNote): an empty one is ErrNoteRequired.
func CleanRequiredNote(note string) (string, error) {
	note, err := CleanNote(note)
	if err == nil && note == "" {
		return "", ErrNoteRequired
	}
	return note, err
}

// Requeue says whether a completed attempt puts the request back in the
// queue. Its zero value leaves it to the outcome.
type Requeue int8

// The choices of Requeue.
const (
	RequeueByOutcome Requeue = iota // no-answer and left-voicemail go back, the others are done
	RequeueYes                      // back in the queue, whatever the outcome
	RequeueNo                       // done, whatever the outcome
)

// RequeueIf is RequeueYes for true and RequeueNo for false: a client that
// said which.
func RequeueIf(requeue bool) Requeue {
	if requeue {
		return RequeueYes
	}
	return RequeueNo
}

// Attempt is a call-back attempt as staff record it with Complete.
type Attempt struct {
	Outcome Outcome
	Note    string // optional, up to MaxNote bytes
	Requeue Requeue
}

// Check returns the attempt as the queue records it (its note cleaned), or
// ErrBadOutcome or ErrNoteTooLong.
func (a Attempt) Check() (Attempt, error) {
	if _, err := ParseOutcome(string(a.Outcome)); err != nil {
		return Attempt{}, err
	}
	note, err := CleanNote(a.Note)
	if err != nil {
		return Attempt{}, err
	}
	a.Note = note
	return a, nil
}

// Requeues reports whether the attempt puts the request back in the queue:
// as asked, or by default when the client still needs a call (see
// Outcome.RequeuesByDefault).
func (a Attempt) Requeues() bool {
	switch a.Requeue {
	case RequeueYes:
		return true
	case RequeueNo:
		return false
	}
	return a.Outcome.RequeuesByDefault()
}

// Action is a change staff make to a request that depends on its state and
// on who asks.
type Action string

// The actions Request.Allows decides. Notes and history entries (AddNote,
// Log) are allowed in every state, to anyone signed in.
const (
	ActionClaim      Action = "claim"
	ActionRelease    Action = "release"
	ActionComplete   Action = "complete"
	ActionCancel     Action = "cancel"
	ActionCallPlaced Action = "callplaced"
)

// Allows reports whether by may take action on the request as it stands:
// nil, an error wrapping ErrForbidden (who may not, whatever the state), or
// a *ConflictError (the state does not allow it now).
//
//   - claim: a pending request; claiming one's own claim again is allowed.
//   - release: the claim's holder; an administrator may also release a
//     claim made before claims carried the account's id.
//   - complete, callplaced: the claim's holder.
//   - cancel: an administrator or the claim's holder, of a pending request
//     or one they hold.
func (r *Request) Allows(action Action, by Holder) error {
	held := r.HeldBy(by)
	ok := false
	switch action {
	case ActionClaim:
		ok = held || r.Status == StatusPending && by.ID != ""
	case ActionRelease:
		ok = held || r.Status == StatusClaimed && r.ClaimedByID == "" && by.Admin
	case ActionComplete, ActionCallPlaced:
		ok = held
	case ActionCancel:
		if !by.Admin && !held {
			return ErrCancelNotAllowed
		}
		ok = held || r.Status == StatusPending
	}
	if !ok {
		return &ConflictError{Status: r.Status, ClaimedBy: r.ClaimedBy}
	}
	return nil
}

// What is how the history words an action: "complete: no-answer" for an
// attempt with its outcome, "call placed", or the action's name.
func (a Action) What(o Outcome) string {
	switch {
	case a == ActionCallPlaced:
		return "call placed"
	case o != "":
		return string(a) + ": " + string(o)
	}
	return string(a)
}
