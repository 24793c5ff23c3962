package ivr

import (
	"context"
	"log/slog"

	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/routing"
)

// Legs remembers, while a call lasts, which members of a ring group had
// their phone answer it (calls.Store implements it). A ring-all group hangs
// up every other phone as soon as one answers ("The first call to pick up
// is connected to the current call and the rest are hung up",
// https://www.twilio.com/docs/voice/twiml/number), so when that phone was
// a personal voicemail, or its owner declined in the whisper, the others
// never had their chance: the flow rings them once more, and not the
// member who answered.
type Legs interface {
	// Answered records that member's phone answered the call parentSID
	// (the caller's call) while group rang.
	Answered(ctx context.Context, parentSID, group, member string) error
	// AnsweredIn lists the members of group whose phones answered the call
	// parentSID.
	AnsweredIn(ctx context.Context, parentSID, group string) ([]string, error)
}

// recordAnswered notes, when the whisper starts, that the phone it plays on
// answered the caller's call; accepting needs no record, as the call is
// then bridged. The whisper request (<Number url=...>) is made for the
// answering child leg: its To (and Called) is the member's number, its
// ParentCallSid the caller's call, and its CallSid the child's own
// (https://www.twilio.com/docs/voice/twiml/number, its url attribute; the
// parameters of a leg's request, ParentCallSid among them, in
// https://www.twilio.com/docs/usage/webhooks/voice-webhooks; twilio-notes.md).
// The Dial action then says whether the caller was bridged (DialBridged,
// https://www.twilio.com/docs/voice/twiml/dial#action; see bridged). Only
// ring-all groups need it: a ring-in-order group moves on to its next
// member anyway.
//
// The whisper never fails for it: when Redis is down this is logged, with
// no number, and the scheduler still hears the whisper.
func (f *Flow) recordAnswered(ctx context.Context, c Call) {
	group := c.Query.Get("g")
	if f.legs == nil || !ringsAll(c.Line, group) {
		return
	}
	member := c.To
	if member == "" {
		member = c.Form.Get("Called")
	}
	parent := c.Form.Get("ParentCallSid")
	if parent == "" || member == "" {
		f.log.Warn("whisper request without ParentCallSid or To: the answered leg is not recorded",
			slog.String("call_sid", c.Sid), slog.String("group", group))
		return
	}
	if err := f.legs.Answered(ctx, parent, group, member); err != nil {
		f.log.Warn("answered leg not recorded: if it does not take the call, the group's other members are not rung again",
			slog.String("call_sid", c.Sid), slog.String("group", group), slog.String("error", err.Error()))
	}
}

// ringsAll reports whether group is a ring-all group of the line.
func ringsAll(l *routing.Line, group string) bool {
	g, ok := l.Groups[group]
	return ok && g.Strategy == routing.RingAll
}

// ringOthers is the ring of a ring-all group after a Dial that a member's
// phone answered but that never bridged the caller (a voicemail, or a
// decline in the whisper): the members whose phones did not answer ring
// once more, within MaxRings, and whoever answered in this call is not rung
// again. It reports false when that does not apply, and the caller is then
// offered a callback as before: no phone answered (no-answer, busy, ...),
// the call already rang MaxRings times, nobody's answer was recorded, or
// the record cannot be read (Redis down). With every member answered, or
// none left on duty, the callback offer follows too.
func (f *Flow) ringOthers(ctx context.Context, c Call, group string) (Reply, bool, error) {
	if f.legs == nil || !ringsAll(c.Line, group) || c.Progress.Rings >= MaxRings {
		return Reply{}, false, nil
	}
	if s := c.Form.Get("DialCallStatus"); s != "completed" && s != "answered" {
		return Reply{}, false, nil
	}
	answered, err := f.legs.AnsweredIn(ctx, c.Sid, group)
	if err != nil {
		f.log.Warn("answered legs unavailable: offering a callback without ringing the group's other members",
			slog.String("call_sid", c.Sid), slog.String("group", group), slog.String("error", err.Error()))
		return Reply{}, false, nil
	}
	if len(answered) == 0 {
		return Reply{}, false, nil
	}
	skip := make(map[string]bool, len(answered))
	for _, m := range answered {
		skip[m] = true
	}
	els, err := f.ringExcept(ctx, c, group, 0, skip)
	return els, true, err
}

// legAddress is what Twilio sends as To in the whisper request of a
// member's leg: the number or SIP URI as dialled, and "client:" before a
// Client identity.
func legAddress(m routing.Member) string {
	if m.Kind == routing.MemberClient {
		return "client:" + m.Address
	}
	return m.Address
}

var _ Legs = (*calls.Store)(nil)
