// Package callback is the callback-request domain: the Request a caller
// leaves, its states and outcomes, and the Redis-backed Queue that records
// each request exactly once (keyed by CallSid) and lets staff claim and work
// requests urgent ones first, then oldest first. A local Spool keeps requests that could not reach
// Redis until it is back.
package callback

import (
	"errors"
	"time"
)

// Status is where a request stands in the queue.
type Status string

// The statuses of a request.
const (
	StatusPending   Status = "pending"   // waiting for staff, in the queue
	StatusClaimed   Status = "claimed"   // a staff member is working it
	StatusDone      Status = "done"      // finished with an outcome
	StatusCancelled Status = "cancelled" // withdrawn without a call
)

// Outcome is the result of a call-back attempt.
type Outcome string

// The outcomes staff record.
const (
	OutcomeReached       Outcome = "reached"
	OutcomeLeftVoicemail Outcome = "left-voicemail"
	OutcomeNoAnswer      Outcome = "no-answer"
	OutcomeWrongNumber   Outcome = "wrong-number"
	OutcomeOther         Outcome = "other"
)

// Outcomes lists the outcomes staff can record, in the order a form shows them.
func Outcomes() []Outcome {
	return []Outcome{OutcomeReached, OutcomeLeftVoicemail, OutcomeNoAnswer, OutcomeWrongNumber, OutcomeOther}
}

// ParseOutcome checks an outcome named by a client.
func ParseOutcome(s string) (Outcome, error) {
	for _, o := range Outcomes() {
		if string(o) == s {
			return o, nil
		}
	}
	return "", ErrBadOutcome
}

// RequeuesByDefault reports whether an outcome puts the request back in the
// queue unless the caller of Complete says otherwise: the client still needs
// a call.
func (o Outcome) RequeuesByDefault() bool {
	return o == OutcomeNoAnswer || o == OutcomeLeftVoicemail
}

// Reason says where in the call a caller asked to be called back. It
// travels in the call flow's URLs and is stored with the request.
type Reason string

// The reasons the call flow records.
const (
	ReasonMenu         Reason = "menu"           // chose "call back" in the main menu
	ReasonInfo         Reason = "info"           // chose it after an information message
	ReasonClosed       Reason = "closed"         // called while the practice was closed
	ReasonUnanswered   Reason = "unanswered"     // nobody answered the ring group
	ReasonMenuRetries  Reason = "menu-retries"   // could not use the main menu
	ReasonInfoRetries  Reason = "info-retries"   // could not use an information message's menu
	ReasonNobodyOnDuty Reason = "nobody-on-duty" // nobody in the ring group was taking calls
	ReasonCrisis       Reason = "crisis"         // said words of distress ("suicide", "emergency"): urgent
	ReasonTherapist    Reason = "therapist"      // asked for their therapist, or to leave a therapist a message
	ReasonMissedCall   Reason = "missed-call"    // hung up before reaching anyone or leaving a request (from the status callback)
)

// Urgent reports whether a request with this reason must be worked before
// every other: a caller who may be in crisis.
func (r Reason) Urgent() bool { return r == ReasonCrisis }

// Reasons lists every reason the call flow records, for filters and for
// the queue's scripts (which file the urgent ones first).
func Reasons() []Reason {
	return []Reason{ReasonMenu, ReasonInfo, ReasonClosed, ReasonUnanswered, ReasonMenuRetries, ReasonInfoRetries,
		ReasonNobodyOnDuty, ReasonCrisis, ReasonTherapist, ReasonMissedCall}
}

// LookupReason checks a reason named by a client (a filter); unlike
// ParseReason it says when the name is unknown.
func LookupReason(s string) (Reason, bool) {
	for _, r := range Reasons() {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// ParseReason reads a reason from a URL; anything unknown is ReasonMenu, so
// a tampered or old URL still records a request.
func ParseReason(s string) Reason {
	if r, ok := LookupReason(s); ok {
		return r
	}
	return ReasonMenu
}

// Describe says the reason in words for staff.
func (r Reason) Describe() string {
	switch r {
	case ReasonMenu:
		return "asked from the menu"
	case ReasonInfo:
		return "asked after group information"
	case ReasonClosed:
		return "called while closed"
	case ReasonUnanswered:
		return "nobody answered"
	case ReasonMenuRetries, ReasonInfoRetries:
		return "could not use the menu"
	case ReasonNobodyOnDuty:
		return "nobody was taking calls"
	case ReasonCrisis:
		return "urgent: the caller may be in crisis"
	case ReasonTherapist:
		return "asked for their therapist"
	case ReasonMissedCall:
		return "Missed call"
	}
	return string(r)
}

// Consent is a yes/no answer a caller gave, or unknown when not asked.
type Consent string

// The consent answers.
const (
	ConsentUnknown Consent = ""
	ConsentYes     Consent = "yes"
	ConsentNo      Consent = "no"
)

// Message is the caller's optional voice message and its transcription.
type Message struct {
	RecordingSID        string `json:"recordingSid,omitempty"`
	DurationSeconds     int    `json:"durationSeconds,omitempty"`
	Transcription       string `json:"transcription,omitempty"`
	TranscriptionStatus string `json:"transcriptionStatus,omitempty"`
}

// Event is one entry of a request's history.
type Event struct {
	At   time.Time `json:"at"`
	Who  string    `json:"who"`
	What string    `json:"what"`
	Note string    `json:"note,omitempty"`
}

// Request is a caller's request to be called back.
type Request struct {
	ID             string `json:"id"` // ULID: sorts by creation time
	CallSID        string `json:"callSid"`
	CallerNumber   string `json:"callerNumber,omitempty"`   // E.164, or empty when withheld (or masked)
	CallbackNumber string `json:"callbackNumber,omitempty"` // E.164; empty only when masked
	// CallbackLast4 is the callback number's last four digits, stored in
	// clear beside the sealed number: masking and search need no key.
	CallbackLast4  string    `json:"-"`
	Reason         Reason    `json:"reason"`         // where in the call it was asked for
	Language       string    `json:"language"`       // the caller's language: "en", "es"
	VoicemailOK    Consent   `json:"voicemailOk"`    // may we leave a voicemail
	NamePracticeOK Consent   `json:"namePracticeOk"` // may a voicemail name the practice
	Message        *Message  `json:"message,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
	Status         Status    `json:"status"`
	ClaimedBy      string    `json:"claimedBy,omitempty"`
	// ClaimedByID is the id of the staff account holding the claim; empty
	// for a claim made before claims carried it (see HeldBy).
	ClaimedByID string    `json:"-"`
	ClaimedAt   time.Time `json:"claimedAt,omitzero"`
	Attempts    int       `json:"attempts"`
	Outcome     Outcome   `json:"outcome,omitempty"`
	FinishedAt  time.Time `json:"finishedAt,omitzero"`
	UpdatedAt   time.Time `json:"updatedAt"`
	History     []Event   `json:"history,omitempty"`
	// Missed is set on a missed-call request (ReasonMissedCall): how often
	// the number called without reaching anyone, and where the caller hung
	// up the last time.
	Missed *Missed `json:"missed,omitempty"`
}

// Holder is a staff member acting on requests: the account's stable id
// (a claim is bound to it, so an account removed and added again with the
// same name holds none of the old one's claims), its name (shown, and
// written to the history), when the account was made, and whether it is
// an administrator.
type Holder struct {
	ID      string
	Name    string
	Created time.Time
	Admin   bool
}

// HeldBy reports whether h holds the claim on the request: only they may
// see its full number, play its message or call the client. A claim made
// before claims carried the account's id is held by the account of the
// same name only if that account existed when the claim was made.
func (r *Request) HeldBy(h Holder) bool {
	if r.Status != StatusClaimed || h.ID == "" {
		return false
	}
	if r.ClaimedByID != "" {
		return r.ClaimedByID == h.ID
	}
	return r.ClaimedBy == h.Name && !h.Created.After(r.ClaimedAt)
}

// Masked returns a copy of the request without what identifies the client
// beyond the last four digits: the numbers and the transcription. Staff see
// those only while they hold the claim.
func (r *Request) Masked() *Request {
	m := *r
	m.CallbackNumber, m.CallerNumber = "", ""
	if r.Message != nil {
		msg := *r.Message
		msg.Transcription = ""
		m.Message = &msg
	}
	return &m
}

// Finished reports whether the request is done or cancelled.
func (r *Request) Finished() bool {
	return r.Status == StatusDone || r.Status == StatusCancelled
}

// Capture is what the call flow knows when a caller confirms a number: the
// fields that create a request.
type Capture struct {
	CallSID        string
	CallerNumber   string
	CallbackNumber string
	Reason         Reason
	// Language is the two-letter code of the language the call ran in; ""
	// records DefaultLanguage.
	Language string
	At       time.Time
}

// DefaultLanguage is the language of requests that do not record one (all
// made before calls could run in another).
const DefaultLanguage = "en"

// Errors the queue returns; the front ends map them (and those of rules.go)
// to status codes.
var (
	ErrNotFound = errors.New("callback request not found")
	ErrConflict = errors.New("callback request is not in a state that allows this")
)

// ConflictError says why a transition was refused: the current status and
// who holds the claim.
type ConflictError struct {
	Status    Status
	ClaimedBy string
}

func (e *ConflictError) Error() string {
	if e.ClaimedBy != "" {
		return "callback request is " + string(e.Status) + " by " + e.ClaimedBy
	}
	return "callback request is " + string(e.Status)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// LastChange is when r last changed: the latest of its creation, claim,
// finish and the events of its History (read without its history, the
// first three).
func (r *Request) LastChange() time.Time {
	out := r.CreatedAt
	for _, t := range []time.Time{r.ClaimedAt, r.FinishedAt} {
		if t.After(out) {
			out = t
		}
	}
	for _, e := range r.History {
		if e.At.After(out) {
			out = e.At
		}
	}
	return out
}
