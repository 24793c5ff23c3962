package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// Paths of the callback capture flow.
const (
	PathCallback           = "/twilio/callback"
	PathCallbackNumber     = "/twilio/callback/number"
	PathCallbackKeyed      = "/twilio/callback/keyed"
	PathCallbackConfirm    = "/twilio/callback/confirm"
	PathCallbackConsent    = "/twilio/callback/consent"
	PathCallbackRecorded   = "/twilio/callback/recorded"
	PathCallbackDone       = "/twilio/callback/done"
	PathCallbackTranscript = "/twilio/callback/transcript"
)

// CallbackRecorder records callback requests durably; callback.Recorder
// implements it. Each method is idempotent per CallSid.
type CallbackRecorder interface {
	Capture(ctx context.Context, c callback.Capture) error
	SetConsent(ctx context.Context, callSID string, voicemail, namePractice callback.Consent) error
	AttachMessage(ctx context.Context, callSID string, m callback.Message) error
	AttachTranscription(ctx context.Context, callSID, text, status string) error
}

var _ CallbackRecorder = (*callback.Recorder)(nil)

// capture is the callback capture flow: which number, consent, an optional
// message, and a confirmation that says when to expect the call.
type capture struct {
	f      *Flow
	rec    CallbackRecorder
	sealer *Sealer
}

// callbackNumber is the caller's own number when it can be called back
// (one parse: phone numbers are the costliest part of a capture).
func callbackNumber(from string) (string, bool) {
	if phone.Withheld(from) || !strings.HasPrefix(from, "+") {
		n, ok := phone.Caller(from)
		if !ok {
			return "", false
		}
		from = n
	}
	n, err := phone.Check(from)
	return n, err == nil
}

// gather asks a one-key question that can also be answered by voice
// ("yes", "no", "use this number", "main menu"). Only the flow's first
// question (back) says how to go back to the main menu: star works at every
// step, and is said once.
func (k *capture) gather(c Call, action string, back bool, inner ...twiml.Element) []twiml.Element {
	l := c.Line
	if back {
		inner = append(inner, say(l, l.Prompts.MenuKey))
	}
	return []twiml.Element{
		gather(l, question{action: action, keys: 1, speech: true, hints: answers(l).Hints, seconds: l.GatherSeconds, prompts: inner}),
		redirect(action),
	}
}

// answer reads a one-key step's answer: the key, or what the caller said as
// the key it stands for ("1" yes, "2" no, "*" the main menu, "p" a plea for
// help), "" for nothing and "?" for words that say none of these.
func answer(c Call) string {
	if d := strings.TrimSpace(c.Digits); d != "" {
		return d
	}
	// Matched as the menus match speech (whole words, negation aware), in
	// this order: going back wins, then a plea, then "no", then "yes".
	switch {
	case len(routing.Words(c.Speech)) == 0:
		return ""
	case routing.Heard(c.Speech, answers(c.Line).Back):
		return "*"
	case c.Line.Pleads(c.Speech):
		return "p"
	case routing.Heard(c.Speech, answers(c.Line).No):
		return "2"
	case routing.Heard(c.Speech, answers(c.Line).Yes):
		return "1"
	}
	return "?"
}

// answers are the yes, no and back words of the call's language (a line
// built without configuration gets its language's built-in ones).
func answers(l *routing.Line) routing.Answers {
	if len(l.Answers.Yes) == 0 {
		return routing.AnswersIn(l.LanguageCode)
	}
	return l.Answers
}

// retry is the sentence before a question asked again: nothing heard,
// words not understood (never "not an option"), or a key that is no option.
func retry(c Call, a string) string {
	switch {
	case a == "":
		return c.Line.Prompts.NoInput
	case strings.TrimSpace(c.Digits) == "":
		return c.Line.Prompts.NotUnderstood
	}
	return c.Line.Prompts.Invalid
}

// person puts a caller who pleads for help ("I need help") through to
// scheduling when it is open and has not rung in this call; false when it
// cannot, and the question is asked again.
func (k *capture) person(ctx context.Context, c Call) (Reply, bool, error) {
	l := c.Line
	if !c.Open || c.Progress.Rings > 0 || c.Progress.RoutedOn {
		return Reply{}, false, nil
	}
	c.Digits, c.Speech = "", ""
	c.Progress.RoutedOn = true
	els, err := k.f.ring(ctx, c, l.Fallback, 0, say(l, l.Prompts.Connecting))
	return els, true, err
}

// entry is where a caller stands with giving a number, carried in the
// capture's URLs beside the reason and the tries at the current question.
type entry struct {
	tried   bool // "t": the caller has keyed or said a number
	offered bool // "co": the caller's own number was offered after a failed entry
}

func entryOf(c Call) entry {
	return entry{tried: c.Query.Get("t") == "1", offered: c.Query.Get("co") == "1"}
}

// params are the URL parameters that carry e.
func (e entry) params() []string {
	var kv []string
	if e.tried {
		kv = append(kv, "t", "1")
	}
	if e.offered {
		kv = append(kv, "co", "1")
	}
	return kv
}

// stepURL is the URL of a capture step with the reason, the tries at it and
// the entry state.
func (k *capture) stepURL(c Call, path string, reason callback.Reason, n int, e entry, kv ...string) string {
	kv = append(append([]string{"r", string(reason), "n", strconv.Itoa(n)}, kv...), e.params()...)
	return k.f.callURL(c, path, kv...)
}

// abroad reports whether the line calls back numbers outside the +1
// countries, so that number entry explains the country code (and star
// means that there, not the main menu).
func abroad(l *routing.Line) bool {
	for _, r := range l.Callback.Countries {
		if !phone.NorthAmerican(r) {
			return true
		}
	}
	return false
}

// allowed says whether number n may be called back, by the practice's
// policy (countries, its own numbers); the number's region is cached.
func (k *capture) allowed(l *routing.Line, n string) error {
	return phone.AllowedIn(n, k.f.cache.region(n), l.Callback.Countries, l.OwnNumbers)
}

// Offer starts the flow after preamble (what is said first, such as why
// nobody can take the call): use the number the caller is calling from, or
// key one in when it is withheld or cannot be called.
//
// The offer is a cached page: it holds nothing of the caller's but the
// last four digits of their number, which fill its slot. Its id holds what
// it depends on besides the call's configuration, language, hours and
// progress (keyOf): the reason (in the action URL), the preamble's text,
// and whether the caller's number can be called back (which question is
// asked). A preamble of anything but <Say>, or a prompt that says the last
// four digits more than once (a page has one slot), is built anew.
func (k *capture) Offer(c Call, reason callback.Reason, preamble ...twiml.Element) (Reply, error) {
	l := c.Line
	n, callable := k.callable(c)
	build := func(last4 string) []twiml.Element {
		// The first sentence is said before the question's <Gather>, so a
		// key pressed twice on the way here does not answer the question.
		els := append(append([]twiml.Element(nil), preamble...), say(l, l.Prompts.CallbackOffer))
		if !callable {
			return append(els, k.keyedPrompt(c, reason, 0, entry{}, true)...)
		}
		action := k.stepURL(c, PathCallbackNumber, reason, 0, entry{})
		return append(els, k.askCallerID(c, last4, action, true)...)
	}
	said, cacheable := sayKey(preamble)
	id := pageID{step: "offer", a: string(reason), b: said, c: "keyed"}
	switch {
	case !callable && cacheable:
		return k.f.cache.page(c, id, func() []twiml.Element { return build("") }), nil
	case !callable:
		return reply(build("")...), nil
	}
	last4 := phone.SpokenLastFour(n)
	if !cacheable || strings.Count(l.Prompts.CallbackCallerID, "{last4}") > 1 {
		return reply(build(last4)...), nil
	}
	id.c = "number"
	return k.f.cache.pageWith(c, id, last4, build), nil
}

// callable is the caller's own number when the practice may call it back.
func (k *capture) callable(c Call) (string, bool) {
	n, ok := k.f.cache.callback(c.From)
	return n, ok && k.allowed(c.Line, n) == nil
}

// askCallerID offers the caller's own number, said by its last four digits
// (phone.SpokenLastFour, or a page's slot).
func (k *capture) askCallerID(c Call, last4, action string, back bool, preamble ...twiml.Element) []twiml.Element {
	l := c.Line
	inner := append(append([]twiml.Element(nil), preamble...),
		say(l, routing.Fill(l.Prompts.CallbackCallerID, "last4", digits(l, last4))))
	return k.gather(c, action, back, inner...)
}

// Entry answers a redirect into the flow (PathCallback?r=reason).
func (k *capture) Entry(ctx context.Context, c Call) (Reply, error) {
	return k.Offer(c, reasonOf(c))
}

func reasonOf(c Call) callback.Reason {
	return callback.ParseReason(c.Query.Get("r"))
}

// Number handles "press 1 for this number, 2 for another".
func (k *capture) Number(ctx context.Context, c Call) (Reply, error) {
	reason, n, e := reasonOf(c), tries(c.Query), entryOf(c)
	number, ok := k.callable(c)
	a := answer(c)
	if a == "p" {
		if els, ok, err := k.person(ctx, c); ok {
			return els, err
		}
		a = "?"
	}
	switch {
	case a == "*":
		return k.f.menuPage(c, 0, ""), nil
	case !ok || a == "2":
		return reply(k.keyedPrompt(c, reason, 0, e, false)...), nil
	case a == "1":
		return k.create(ctx, c, number, number, reason)
	}
	if n+1 >= c.Line.MaxTries {
		// This question was the offer of the caller's own number.
		e.offered = true
		return k.giveUp(ctx, c, reason, e, retry(c, a))
	}
	action := k.stepURL(c, PathCallbackNumber, reason, n+1, e)
	return reply(k.askCallerID(c, phone.SpokenLastFour(number), action, false, say(c.Line, retry(c, a)))...), nil
}

// keyedPrompt asks for a number on the keypad; first is the flow's first
// question, which says how to go back to the main menu.
func (k *capture) keyedPrompt(c Call, reason callback.Reason, n int, e entry, first bool, preamble ...twiml.Element) []twiml.Element {
	l := c.Line
	action := k.stepURL(c, PathCallbackKeyed, reason, n, e)
	inner := append(append([]twiml.Element(nil), preamble...), say(l, l.Prompts.CallbackEnter))
	// Star means one thing here: the country code where numbers abroad are
	// called back (said then, and going back is by voice), else the main
	// menu. Star alone always goes back.
	if abroad(l) {
		inner = append(inner, say(l, l.Prompts.CallbackAbroad))
	} else if first {
		inner = append(inner, say(l, l.Prompts.MenuKey))
	}
	// Keys end with pound or a pause; a number can also be said.
	return []twiml.Element{
		gather(l, question{action: action, pound: true, speech: true, seconds: max(l.GatherSeconds, 6), prompts: inner}),
		redirect(action),
	}
}

// Keyed checks a keyed number and reads it back for confirmation.
func (k *capture) Keyed(ctx context.Context, c Call) (Reply, error) {
	l := c.Line
	reason, n, e := reasonOf(c), tries(c.Query), entryOf(c)
	keys := strings.TrimSuffix(strings.TrimSpace(c.Digits), "#")
	if keys == "" && c.Speech != "" {
		switch answer(c) {
		case "*":
			keys = "*"
		case "p":
			if els, ok, err := k.person(ctx, c); ok {
				return els, err
			}
		default:
			keys = routing.SpokenDigits(routing.Words(c.Speech))
		}
	}
	if keys == "*" {
		return k.f.menuPage(c, 0, ""), nil
	}
	number, err := phone.FromKeypad(keys)
	if err == nil {
		err = k.allowed(l, number)
	}
	if err != nil {
		msg := numberProblem(l, err)
		switch {
		case keys == "" && c.Speech == "":
			msg = l.Prompts.NoInput
		case keys == "":
			msg = l.Prompts.NotUnderstood
		default:
			e.tried = true
		}
		if n+1 >= l.MaxTries {
			return k.giveUp(ctx, c, reason, e, msg)
		}
		return reply(k.keyedPrompt(c, reason, n+1, e, false, say(l, msg))...), nil
	}
	e.tried = true
	return reply(k.confirmPrompt(c, reason, 0, e, number)...), nil
}

func (k *capture) confirmPrompt(c Call, reason callback.Reason, n int, e entry, number string, preamble ...twiml.Element) []twiml.Element {
	action := k.stepURL(c, PathCallbackConfirm, reason, n, e, "num", k.sealer.Seal(number))
	inner := append(append([]twiml.Element(nil), preamble...),
		say(c.Line, routing.Fill(c.Line.Prompts.CallbackReadBack, "number", digits(c.Line, phone.Spoken(number)))))
	return k.gather(c, action, false, inner...)
}

// Confirm handles the read-back: 1 records the request, 2 takes the number
// again. The read-back keeps its own count of tries, and "enter it again"
// always gives a fresh entry: a caller who corrects a number is trying
// (only a caller's own choices go round, never silence or wrong keys).
func (k *capture) Confirm(ctx context.Context, c Call) (Reply, error) {
	l := c.Line
	reason, n, e := reasonOf(c), tries(c.Query), entryOf(c)
	number, err := k.sealer.Open(c.Query.Get("num"))
	if err != nil {
		return Reply{}, fmt.Errorf("callback confirm: %w", err)
	}
	a := answer(c)
	if a == "p" {
		if els, ok, err := k.person(ctx, c); ok {
			return els, err
		}
		a = "?"
	}
	switch a {
	case "*":
		return k.f.menuPage(c, 0, ""), nil
	case "1":
		caller, _ := k.f.cache.caller(c.From)
		return k.create(ctx, c, caller, number, reason)
	case "2":
		return reply(k.keyedPrompt(c, reason, 0, e, false)...), nil
	default:
		if n+1 >= l.MaxTries {
			return k.giveUp(ctx, c, reason, e, retry(c, a))
		}
		return reply(k.confirmPrompt(c, reason, n+1, e, number, say(l, retry(c, a)))...), nil
	}
}

// create records the request as soon as the number is confirmed, so a
// caller who hangs up during the rest of the flow is still called back.
func (k *capture) create(ctx context.Context, c Call, caller, number string, reason callback.Reason) (Reply, error) {
	err := k.rec.Capture(context.WithoutCancel(ctx), callback.Capture{
		CallSID: c.Sid, CallerNumber: caller, CallbackNumber: number, Reason: reason, Language: c.Line.LanguageCode, At: c.Now,
	})
	if err != nil {
		k.f.log.Error("callback request could not be saved anywhere", slog.String("call_sid", c.Sid), slog.String("error", err.Error()))
		return k.bail(ctx, c, c.Line.Prompts.CallbackNotSaved)
	}
	r := k.consentPrompt(c, "vm", 0, c.Line.Prompts.CallbackSaved)
	r.did.Request = true
	return r, nil
}

// bail ends a capture that cannot go on (the number was not understood, or
// neither Redis nor the spool took the request): the caller hears why, then
// scheduling when open and not yet rung in this call, or else the crisis
// line and a goodbye. Never the group that just did not answer again, and
// never a hangup without a goodbye.
func (k *capture) bail(ctx context.Context, c Call, why ...string) (Reply, error) {
	l := c.Line
	var pre []twiml.Element
	for _, w := range why {
		if w != "" {
			pre = append(pre, say(l, w))
		}
	}
	if c.Open && c.Progress.Rings == 0 && !c.Progress.RoutedOn {
		c.Progress.RoutedOn = true
		return k.f.ring(ctx, c, l.Fallback, 0, append(pre, say(l, l.Prompts.Connecting))...)
	}
	return reply(k.f.farewell(c, pre...)...), nil
}

// giveUp answers a caller who could not give a number (last is why the
// last try failed): nobody is dropped while still trying. When open, the
// caller is put through to scheduling (bail); when closed, or when
// scheduling already rang, the caller is offered the number they are
// calling from, once, when it can be called back; only then the goodbye.
// "I could not take your number" is said only to a caller who tried one.
func (k *capture) giveUp(ctx context.Context, c Call, reason callback.Reason, e entry, last string) (Reply, error) {
	l := c.Line
	why := []string{last}
	if e.tried {
		why = append(why, l.Prompts.CallbackNoNumber)
	}
	number, callable := k.callable(c)
	ringable := c.Open && c.Progress.Rings == 0 && !c.Progress.RoutedOn
	if ringable || !callable || e.offered {
		return k.bail(ctx, c, why...)
	}
	e.offered = true
	var pre []twiml.Element
	for _, w := range why {
		if w != "" {
			pre = append(pre, say(l, w))
		}
	}
	return reply(k.askCallerID(c, phone.SpokenLastFour(number), k.stepURL(c, PathCallbackNumber, reason, 0, e), false, pre...)...), nil
}

// consentPrompt asks one consent question after an optional sentence. It
// holds nothing of the caller's, so it is cached.
func (k *capture) consentPrompt(c Call, q string, n int, before string) Reply {
	return k.f.cache.page(c, pageID{step: "consent", n: n, a: q, b: before}, func() []twiml.Element {
		text := c.Line.Prompts.ConsentVoicemail
		if q == "name" {
			text = routing.Fill(c.Line.Prompts.ConsentName, "practice", c.Line.Practice)
		}
		action := k.f.callURL(c, PathCallbackConsent, "q", q, "n", strconv.Itoa(n))
		var inner []twiml.Element
		if before != "" {
			inner = append(inner, say(c.Line, before))
		}
		return k.gather(c, action, false, append(inner, say(c.Line, text))...)
	})
}

// Consent takes the two consent answers, asked once each. A caller who does
// not answer is recorded as "no", the private choice.
func (k *capture) Consent(ctx context.Context, c Call) (Reply, error) {
	l := c.Line
	q, n := c.Query.Get("q"), tries(c.Query)
	var consent callback.Consent
	switch a := answer(c); a {
	case "*":
		// The request is saved: going back leaves its consent at "no".
		k.saveConsent(ctx, c, callback.ConsentNo, callback.ConsentNo)
		return k.f.menuPage(c, 0, ""), nil
	case "1":
		consent = callback.ConsentYes
	case "2":
		consent = callback.ConsentNo
	default:
		if n+1 < l.MaxTries {
			return k.consentPrompt(c, q, n+1, retry(c, a)), nil
		}
		consent = callback.ConsentNo
	}
	if q == "vm" && consent == callback.ConsentYes {
		return k.consentPrompt(c, "name", 0, ""), nil
	}
	vm, name := callback.ConsentNo, callback.ConsentNo
	if q == "name" {
		vm, name = callback.ConsentYes, consent
	}
	k.saveConsent(ctx, c, vm, name)
	return k.f.cache.page(c, pageID{step: "message"}, func() []twiml.Element { return k.messagePrompt(c) }), nil
}

func (k *capture) saveConsent(ctx context.Context, c Call, vm, name callback.Consent) {
	if err := k.rec.SetConsent(context.WithoutCancel(ctx), c.Sid, vm, name); err != nil {
		k.f.log.Error("consent could not be saved", slog.String("call_sid", c.Sid), slog.String("error", err.Error()))
	}
}

// messagePrompt invites a voice message. It holds nothing of the caller's
// (its URLs carry only the configuration and the call's progress), so it is
// cached.
func (k *capture) messagePrompt(c Call) []twiml.Element {
	l := c.Line
	cb := l.Callback
	rec := &twiml.VoiceRecord{
		Action: k.f.callURL(c, PathCallbackRecorded), Method: "POST", MaxLength: strconv.Itoa(cb.MessageSeconds()),
		FinishOnKey: "#", PlayBeep: "true", Timeout: "5",
	}
	if cb.Transcribe {
		rec.Transcribe = "true"
		rec.TranscribeCallback = k.f.callURL(c, PathCallbackTranscript)
	}
	return []twiml.Element{
		say(l, l.Prompts.CallbackMessage),
		rec,
		redirect(k.f.callURL(c, PathCallbackDone)),
	}
}

// Recorded attaches the voice message, then confirms.
func (k *capture) Recorded(ctx context.Context, c Call) (Reply, error) {
	sid := c.Form.Get("RecordingSid")
	dur, _ := strconv.Atoi(c.Form.Get("RecordingDuration"))
	if sid != "" && !callback.ValidRecordingSID(sid) {
		k.f.log.Warn("a recording with a malformed RecordingSid was ignored", slog.String("call_sid", c.Sid))
		sid = ""
	}
	if sid != "" && dur > 0 {
		// RecordingUrl is ignored: the SID and the account rebuild it.
		m := callback.Message{RecordingSID: sid, DurationSeconds: dur}
		if err := k.rec.AttachMessage(context.WithoutCancel(ctx), c.Sid, m); err != nil {
			k.f.log.Error("voice message could not be attached", slog.String("call_sid", c.Sid), slog.String("error", err.Error()))
		}
	}
	return k.Done(ctx, c)
}

// Done confirms the request and says when to expect the call.
func (k *capture) Done(ctx context.Context, c Call) (Reply, error) {
	l := c.Line
	return reply(
		say(l, routing.Fill(l.Prompts.CallbackDone, "when", k.when(c))),
		say(l, l.Prompts.Crisis),
		say(l, l.Prompts.Goodbye),
		&twiml.VoiceHangup{},
	), nil
}

// when says when the practice will call back, as its rules promise: "today"
// only when the request's deadline (callback.deadlineHours of office hours
// from now) falls today while the office is open; otherwise after the next
// opening (a caller at 16:55 with a four-hour deadline is promised tomorrow
// morning, not "today").
func (k *capture) when(c Call) string {
	l := c.Line
	p, sched := l.Prompts, l.Schedule
	from := c.Now
	if closes, open := sched.ClosesAt(c.Now); open {
		if due, ok := sched.AddBusiness(c.Now, l.Callback.Deadline); ok && !due.After(closes) {
			return p.WhenToday
		}
		from = closes
	}
	next, ok := sched.NextOpen(from)
	if !ok {
		return p.WhenUnknown
	}
	return routing.Fill(p.WhenOpens, "opening", routing.SpokenOpening(c.Now, next, sched.Location, l.LanguageCode))
}

// Transcript takes Twilio's transcription callback.
func (k *capture) Transcript(ctx context.Context, c Call) error {
	return k.rec.AttachTranscription(context.WithoutCancel(ctx), c.Sid, c.Form.Get("TranscriptionText"), c.Form.Get("TranscriptionStatus"))
}

var errNoCapture = errors.New("callback capture is not configured")

// captureStep runs a step of the capture flow, or fails (an apology and the
// main menu) when no recorder is configured.
func (f *Flow) captureStep(step func(*capture, context.Context, Call) (Reply, error)) Step {
	return func(ctx context.Context, c Call) (Reply, error) {
		if f.capture == nil {
			return Reply{}, errNoCapture
		}
		return step(f.capture, ctx, c)
	}
}

// CallbackEntry answers PathCallback.
func (f *Flow) CallbackEntry() Step { return f.captureStep((*capture).Entry) }

// CallbackNumber answers PathCallbackNumber.
func (f *Flow) CallbackNumber() Step { return f.captureStep((*capture).Number) }

// CallbackKeyed answers PathCallbackKeyed.
func (f *Flow) CallbackKeyed() Step { return f.captureStep((*capture).Keyed) }

// CallbackConfirm answers PathCallbackConfirm.
func (f *Flow) CallbackConfirm() Step { return f.captureStep((*capture).Confirm) }

// CallbackConsent answers PathCallbackConsent.
func (f *Flow) CallbackConsent() Step { return f.captureStep((*capture).Consent) }

// CallbackRecorded answers PathCallbackRecorded.
func (f *Flow) CallbackRecorded() Step { return f.captureStep((*capture).Recorded) }

// CallbackDone answers PathCallbackDone.
func (f *Flow) CallbackDone() Step { return f.captureStep((*capture).Done) }

// numberProblem is the sentence that says why a keyed number was refused.
func numberProblem(l *routing.Line, err error) string {
	p := l.Prompts
	switch {
	case errors.Is(err, phone.ErrTooShort):
		return p.NumberTooShort
	case errors.Is(err, phone.ErrPremium):
		return p.NumberPremium
	case errors.Is(err, phone.ErrNotCallable):
		return p.NumberNotCallable
	case errors.Is(err, phone.ErrEmergencyNum):
		return p.NumberEmergency
	case errors.Is(err, phone.ErrCountry):
		return p.NumberCountry
	case errors.Is(err, phone.ErrOwnNumber):
		return p.NumberOwn
	}
	return p.NumberInvalid
}
