package ivr

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// ring dials step s of a ring group. The Dial's action brings the call back
// to RingResult whatever happens, so a caller is never dropped when nobody
// answers.
//
// A call rings a group at most MaxRings times: after that the caller is told
// nobody can answer and offered a callback, so schedulers' phones are not
// rung again and again by one caller.
func (f *Flow) ring(ctx context.Context, c Call, group string, s int, preamble ...twiml.Element) (Reply, error) {
	return f.ringExcept(ctx, c, group, s, nil, preamble...)
}

// ringExcept is ring without the members whose leg address (legAddress) is
// in skip: those whose phones already answered this call. When that leaves
// nobody, the caller is offered a callback as after any unanswered ring.
func (f *Flow) ringExcept(ctx context.Context, c Call, group string, s int, skip map[string]bool, preamble ...twiml.Element) (Reply, error) {
	l := c.Line
	g, ok := l.Groups[group]
	if !ok {
		return Reply{}, fmt.Errorf("ring: unknown group %q", group)
	}
	configured := g
	g = f.onDuty(ctx, c, g)
	if len(skip) > 0 {
		g = g.Only(func(m routing.Member) bool { return !skip[legAddress(m)] })
	}
	// A call in another language than the staff's rings the group's
	// speakers of it first, once; the next ring is the rest of the group.
	if s == 0 && c.Line.LanguageCode != c.Line.Staff().LanguageCode && !c.Progress.SpeakersFirst && !c.Progress.Crisis {
		if speakers, ok := g.SpeakersOf(c.Line.LanguageCode); ok {
			g, c.Progress.SpeakersFirst = speakers, true
		}
	}
	if s == 0 {
		// A caller in crisis is put through whatever the call rang before.
		if c.Progress.Rings >= MaxRings && !(c.Progress.Crisis && group == l.Crisis.RingGroup) {
			return f.nobodyAnswers(c, callback.ReasonUnanswered)
		}
		if len(g.Members) == 0 && len(skip) > 0 {
			return f.nobodyAnswers(c, callback.ReasonUnanswered)
		}
		if len(g.Members) == 0 {
			// Nobody is taking calls: say so and offer a callback at once,
			// rather than ring nobody.
			f.events.RingOutcome("", "nobody-on-duty")
			return f.nobodyAnswers(c, callback.ReasonNobodyOnDuty)
		}
		c.Progress.Rings++
		if c.Progress.Rings == 1 {
			f.outcomes.RingPlaced(group)
		}
	}
	step, ok := g.Step(s)
	if !ok {
		return Reply{}, fmt.Errorf("ring: group %q has no step %d", group, s)
	}
	callerID := f.callerID(c, g)
	build := func(callerID string) []twiml.Element {
		return append(append([]twiml.Element(nil), preamble...), f.dial(c, g, s, step, callerID))
	}
	// The document is the same for every caller but for the caller ID
	// (the caller's own number, with callerId: caller): it is rendered once
	// with a slot for it.
	said, cacheable := sayKey(preamble)
	if !cacheable {
		return reply(build(callerID)...), nil
	}
	return f.cache.pageWith(c, pageID{step: "ring", n: s, a: group, b: memberKey(configured, g), c: said}, callerID, build), nil
}

// onDuty is g with only the members taking calls now. Without a roster, or
// when it cannot be read (Redis down), every configured member rings: a
// caller is never left ringing nobody because of an outage.
func (f *Flow) onDuty(ctx context.Context, c Call, g routing.Group) routing.Group {
	if f.duty == nil {
		return g
	}
	fg, err := f.duty.Filter(ctx, g, c.Now)
	if err != nil {
		f.log.Warn("duty states unavailable: ringing every member of the group", slog.String("group", g.Name), slog.String("error", err.Error()))
		return g
	}
	return fg
}

// dial builds the <Dial> of one ring step.
func (f *Flow) dial(c Call, g routing.Group, s int, step routing.DialStep, callerID string) *twiml.VoiceDial {
	dial := &twiml.VoiceDial{
		Action:         f.callURL(c, PathRingResult, "g", g.Name, "s", strconv.Itoa(s)),
		Method:         "POST",
		Timeout:        strconv.Itoa(step.Timeout),
		CallerId:       callerID,
		AnswerOnBridge: "true",
	}
	screen := ""
	if g.Screen {
		screen = f.callURL(c, PathScreen, "g", g.Name, "s", strconv.Itoa(s))
	}
	for _, m := range step.Members {
		switch m.Kind {
		case routing.MemberSIP:
			dial.InnerElements = append(dial.InnerElements, &twiml.VoiceSip{SipUrl: m.Address, Url: screen, Method: "POST"})
		case routing.MemberClient:
			dial.InnerElements = append(dial.InnerElements, &twiml.VoiceClient{Identity: m.Address, Url: screen, Method: "POST"})
		default:
			dial.InnerElements = append(dial.InnerElements, &twiml.VoiceNumber{PhoneNumber: m.Address, Url: screen, Method: "POST"})
		}
	}
	return dial
}

// callerID is the number the scheduler's phone shows: the caller's own when
// the group says so and Twilio gave a real number, the main line otherwise.
func (f *Flow) callerID(c Call, g routing.Group) string {
	if g.CallerID == routing.CallerIDCaller {
		if n, ok := f.cache.caller(c.From); ok {
			return n
		}
	}
	return c.Line.MainNumber
}

// bridged reports whether a Dial connected the caller with the person it
// rang. Twilio's Dial action sends DialBridged ("true"/"false": whether the
// two legs were actually connected). A screened leg that is answered and then
// declined in the whisper, or answered by a voicemail, still ends with
// DialCallStatus=completed and a DialCallDuration that counts the whisper,
// so neither says whether anyone spoke with the caller
// (https://www.twilio.com/docs/voice/twiml/dial#action; twilio-notes.md).
// Without DialBridged (an old or unusual request) a completed Dial with a
// duration is taken as a conversation, as before.
func bridged(form url.Values) bool {
	if b := form.Get("DialBridged"); b != "" {
		return b == "true"
	}
	secs, _ := strconv.Atoi(form.Get("DialCallDuration"))
	status := form.Get("DialCallStatus")
	return (status == "completed" || status == "answered") && secs > 0
}

// RingResult handles the end of a Dial: after a conversation the call ends
// politely; otherwise (no answer, busy, failed, canceled, or a leg that was
// answered but never bridged: declined in the whisper, or a voicemail) the
// next member of a ring-in-order group rings, so whoever declined is not rung
// again; a ring-all group whose answering phone did not take the call rings
// its other members once more (ringOthers); and when the group is exhausted
// the caller is offered a callback.
func (f *Flow) RingResult(ctx context.Context, c Call) (Reply, error) {
	l := c.Line
	if _, known := l.Groups[c.Query.Get("g")]; known {
		f.events.RingOutcome(c.Query.Get("g"), dialStatus(c.Form.Get("DialCallStatus")))
	}
	if bridged(c.Form) {
		f.outcomes.RingAnswered(c.Query.Get("g"))
		return reply(f.farewell(c)...), nil
	}
	group := c.Query.Get("g")
	s, err := strconv.Atoi(c.Query.Get("s"))
	if err != nil {
		return Reply{}, fmt.Errorf("ring result: bad step %q", c.Query.Get("s"))
	}
	if g, ok := l.Groups[group]; ok {
		if _, more := g.Step(s + 1); more {
			return f.ring(ctx, c, group, s+1)
		}
	}
	if c.Progress.SpeakersFirst && c.Progress.Rings < MaxRings {
		// The speakers of the caller's language did not take it: the rest
		// of the group, once.
		if g, ok := l.Groups[group]; ok {
			speakers, _ := g.SpeakersOf(l.LanguageCode)
			skip := map[string]bool{}
			for _, m := range speakers.Members {
				skip[legAddress(m)] = true
			}
			if len(skip) < len(g.Members) {
				return f.ringExcept(ctx, c, group, 0, skip)
			}
		}
	}
	if els, ok, err := f.ringOthers(ctx, c, group); ok {
		return els, err
	}
	return f.nobodyAnswers(c, callback.ReasonUnanswered)
}

// nobodyAnswers tells the caller nobody can take the call and offers a
// callback; reason says why (nobody answered, or nobody was on duty). A
// caller in crisis is offered the Lifeline and an urgent callback instead.
func (f *Flow) nobodyAnswers(c Call, reason callback.Reason) (Reply, error) {
	c.Digits, c.Speech = "", ""
	if c.Progress.Crisis {
		f.outcomes.CallbackOffered(callback.ReasonCrisis)
		return reply(f.lifelineOffer(c, 0, say(c.Line, c.Line.Prompts.Unavailable))...), nil
	}
	f.outcomes.CallbackOffered(reason)
	return f.callback.Offer(c, reason, say(c.Line, c.Line.Prompts.Unavailable))
}

// Screen is the whisper played to the scheduler who answers: the call is
// bridged only when they press 1, so a voicemail greeting never takes it.
// In a ring-all group it first records whose phone answered (recordAnswered),
// so that a voicemail or a decline rings the group's other members.
//
// Schedulers hear it in the line's own language, whatever the caller's:
// for a caller who chose another language it starts with that language's
// note ("Spanish-speaking caller.").
//
// The whisper is a cached page: besides the call's configuration, language
// and progress (keyOf), it depends only on the group in the action URL and
// on what it says (whisperText), which are its id. Recording the answered
// leg happens on every request.
func (f *Flow) Screen(ctx context.Context, c Call) (Reply, error) {
	f.recordAnswered(ctx, c)
	group, text := c.Query.Get("g"), f.whisperText(c)
	return f.cache.page(c, pageID{step: "whisper", a: group, b: text}, func() []twiml.Element {
		l := c.Line.Staff()
		action := f.callURL(c, PathScreenAnswer, "g", group)
		whisper := []twiml.Element{say(l, text)}
		return []twiml.Element{
			gather(l, question{action: action, keys: 1, seconds: 8, prompts: append(whisper, whisper...)}),
			say(l, l.Prompts.WhisperDeclined),
			&twiml.VoiceHangup{},
		}
	}), nil
}

// whisperText says what the call is for, never who or why: the group or
// extension ("Scheduling call from the main line"), the caller's language
// when it is not the staff's, and whether the caller was already rung once
// in this call (an earlier ring that nobody answered, or a second try).
func (f *Flow) whisperText(c Call) string {
	l := c.Line.Staff()
	title := c.Query.Get("g")
	if g, ok := l.Groups[title]; ok && g.Title != "" {
		title = g.Title
	}
	// The caller's language first: the scheduler must know at once
	// whether they can take the call.
	var parts []string
	if lang, ok := l.LanguageOf(c.Line.LanguageCode); ok && lang.CallerNote != "" {
		parts = append(parts, lang.CallerNote)
	}
	if c.Progress.Crisis && l.Prompts.WhisperUrgent != "" {
		parts = append(parts, l.Prompts.WhisperUrgent)
	}
	step, _ := strconv.Atoi(c.Query.Get("s"))
	if (c.Progress.Rings > 1 || step > 0) && l.Prompts.WhisperWaited != "" {
		parts = append(parts, l.Prompts.WhisperWaited)
	}
	parts = append(parts, routing.Fill(l.Prompts.Whisper, "group", title))
	return strings.Join(parts, " ")
}

// ScreenAnswer bridges the call when the scheduler pressed 1 (an empty
// response ends the whisper and connects the parties) and drops this leg
// otherwise, which sends the caller on to the next member or the fallback.
func (f *Flow) ScreenAnswer(ctx context.Context, c Call) (Reply, error) {
	if c.Digits == "1" {
		f.personReached(c)
		return reply([]twiml.Element{}...), nil
	}
	l := c.Line.Staff()
	return reply([]twiml.Element{say(l, l.Prompts.WhisperDeclined), &twiml.VoiceHangup{}}...), nil
}

// dialStatus keeps metric labels to Twilio's known DialCallStatus values.
func dialStatus(s string) string {
	switch s {
	case "completed", "answered", "busy", "no-answer", "failed", "canceled":
		return s
	}
	return "other"
}
