package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

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

func (k *capture) gather(c Call, action string, inner ...twiml.Element) []twiml.Element {
	return []twiml.Element{
		&twiml.VoiceGather{
			Input: "dtmf", NumDigits: "1", Timeout: strconv.Itoa(max(c.Line.GatherSeconds, 5)),
			Action: action, Method: "POST", ActionOnEmptyResult: "true", InnerElements: inner,
		},
		redirect(action),
	}
}

// Offer starts the flow: use the number the caller is calling from, or key
// one in when it is withheld or cannot be called.
func (k *capture) Offer(c Call, reason callback.Reason) ([]twiml.Element, error) {
	l := c.Line
	intro := say(l, l.Prompts.CallbackOffer)
	n, ok := k.f.numbers.callback(c.From)
	if !ok {
		return k.keyedPrompt(c, reason, 0, intro), nil
	}
	action := k.f.callURL(c, PathCallbackNumber, "r", string(reason), "n", "0")
	return k.askCallerID(c, n, action, intro), nil
}

func (k *capture) askCallerID(c Call, number, action string, preamble ...twiml.Element) []twiml.Element {
	l := c.Line
	inner := append(append([]twiml.Element(nil), preamble...),
		say(l, routing.Fill(l.Prompts.CallbackCallerID, "last4", phone.SpokenLastFour(number))))
	return k.gather(c, action, inner...)
}

// Entry answers a redirect into the flow (PathCallback?r=reason).
func (k *capture) Entry(c Call) ([]twiml.Element, error) {
	return k.Offer(c, reasonOf(c))
}

func reasonOf(c Call) callback.Reason {
	return callback.ParseReason(c.Query.Get("r"))
}

// Number handles "press 1 for this number, 2 for another".
func (k *capture) Number(c Call) ([]twiml.Element, error) {
	reason, n := reasonOf(c), tries(c.Query)
	number, ok := k.f.numbers.callback(c.From)
	switch {
	case !ok || c.Digits == "2":
		return k.keyedPrompt(c, reason, 0), nil
	case c.Digits == "1":
		return k.create(c, number, number, reason)
	}
	if n+1 >= c.Line.MaxTries {
		return k.giveUp(c)
	}
	action := k.f.callURL(c, PathCallbackNumber, "r", string(reason), "n", strconv.Itoa(n+1))
	return k.askCallerID(c, number, action, say(c.Line, c.Line.Prompts.Invalid)), nil
}

func (k *capture) keyedPrompt(c Call, reason callback.Reason, n int, preamble ...twiml.Element) []twiml.Element {
	l := c.Line
	action := k.f.callURL(c, PathCallbackKeyed, "r", string(reason), "n", strconv.Itoa(n))
	inner := append(append([]twiml.Element(nil), preamble...),
		say(l, l.Prompts.CallbackEnter))
	return []twiml.Element{
		&twiml.VoiceGather{
			Input: "dtmf", FinishOnKey: "#", Timeout: "8", Action: action, Method: "POST",
			ActionOnEmptyResult: "true", InnerElements: inner,
		},
		redirect(action),
	}
}

// Keyed checks a keyed number and reads it back for confirmation.
func (k *capture) Keyed(c Call) ([]twiml.Element, error) {
	l := c.Line
	reason, n := reasonOf(c), tries(c.Query)
	number, err := phone.FromKeypad(c.Digits)
	if err != nil {
		if n+1 >= l.MaxTries {
			return k.giveUp(c)
		}
		msg := numberProblem(l, err)
		if c.Digits == "" {
			msg = l.Prompts.NoInput
		}
		return k.keyedPrompt(c, reason, n+1, say(l, msg)), nil
	}
	return k.confirmPrompt(c, reason, n, number), nil
}

func (k *capture) confirmPrompt(c Call, reason callback.Reason, n int, number string, preamble ...twiml.Element) []twiml.Element {
	action := k.f.callURL(c, PathCallbackConfirm, "r", string(reason), "n", strconv.Itoa(n), "num", k.sealer.Seal(number))
	inner := append(append([]twiml.Element(nil), preamble...),
		say(c.Line, routing.Fill(c.Line.Prompts.CallbackReadBack, "number", phone.Spoken(number))))
	return k.gather(c, action, inner...)
}

// Confirm handles the read-back: 1 records the request, 2 starts over.
func (k *capture) Confirm(c Call) ([]twiml.Element, error) {
	l := c.Line
	reason, n := reasonOf(c), tries(c.Query)
	number, err := k.sealer.Open(c.Query.Get("num"))
	if err != nil {
		return nil, fmt.Errorf("callback confirm: %w", err)
	}
	switch c.Digits {
	case "1":
		caller, _ := k.f.numbers.caller(c.From)
		return k.create(c, caller, number, reason)
	case "2":
		if n+1 >= l.MaxTries {
			return k.giveUp(c)
		}
		return k.keyedPrompt(c, reason, n+1), nil
	}
	if n+1 >= l.MaxTries {
		return k.giveUp(c)
	}
	return k.confirmPrompt(c, reason, n+1, number, say(l, l.Prompts.Invalid)), nil
}

// create records the request as soon as the number is confirmed, so a
// caller who hangs up during the rest of the flow is still called back.
func (k *capture) create(c Call, caller, number string, reason callback.Reason) ([]twiml.Element, error) {
	err := k.rec.Capture(context.WithoutCancel(c.Ctx), callback.Capture{
		CallSID: c.Sid, CallerNumber: caller, CallbackNumber: number, Reason: reason, At: c.Now,
	})
	if err != nil {
		k.f.log.Error("callback request could not be saved anywhere", slog.String("call_sid", c.Sid), slog.String("error", err.Error()))
		return k.bail(c, c.Line.Prompts.CallbackNotSaved)
	}
	return k.consentPrompt(c, "vm", 0, c.Line.Prompts.CallbackSaved), nil
}

// bail ends a capture that cannot go on (the number was not understood, or
// neither Redis nor the spool took the request): the caller hears why, then
// a person when open, or the crisis line and the main menu when closed.
// Never a hangup.
func (k *capture) bail(c Call, why string) ([]twiml.Element, error) {
	l := c.Line
	sorry := say(l, why)
	if c.Open {
		return k.f.ring(c, l.Fallback, 0, sorry, say(l, l.Prompts.Connecting))
	}
	return k.f.mainMenu(c, 0, sorry, say(l, l.Prompts.Crisis)), nil
}

func (k *capture) giveUp(c Call) ([]twiml.Element, error) {
	return k.bail(c, c.Line.Prompts.CallbackNoNumber)
}

// consentPrompt asks one consent question after an optional sentence. It
// holds nothing of the caller's, so it is cached.
func (k *capture) consentPrompt(c Call, q string, n int, before string) []twiml.Element {
	return k.f.memo(fmt.Sprintf("consent|%s|%s|%d|%s", c.Line.Version, q, n, before), func() []twiml.Element {
		text := c.Line.Prompts.ConsentVoicemail
		if q == "name" {
			text = routing.Fill(c.Line.Prompts.ConsentName, "practice", c.Line.Practice)
		}
		action := k.f.callURL(c, PathCallbackConsent, "q", q, "n", strconv.Itoa(n))
		var inner []twiml.Element
		if before != "" {
			inner = append(inner, say(c.Line, before))
		}
		return k.gather(c, action, append(inner, say(c.Line, text))...)
	})
}

// Consent takes the two consent answers, asked once each. A caller who does
// not answer is recorded as "no", the private choice.
func (k *capture) Consent(c Call) ([]twiml.Element, error) {
	l := c.Line
	q, n := c.Query.Get("q"), tries(c.Query)
	var answer callback.Consent
	switch c.Digits {
	case "1":
		answer = callback.ConsentYes
	case "2":
		answer = callback.ConsentNo
	default:
		if n+1 < l.MaxTries {
			return k.consentPrompt(c, q, n+1, l.Prompts.Invalid), nil
		}
		answer = callback.ConsentNo
	}
	if q == "vm" && answer == callback.ConsentYes {
		return k.consentPrompt(c, "name", 0, ""), nil
	}
	vm, name := callback.ConsentNo, callback.ConsentNo
	if q == "name" {
		vm, name = callback.ConsentYes, answer
	}
	if err := k.rec.SetConsent(context.WithoutCancel(c.Ctx), c.Sid, vm, name); err != nil {
		k.f.log.Error("consent could not be saved", slog.String("call_sid", c.Sid), slog.String("error", err.Error()))
	}
	return k.messagePrompt(c), nil
}

func (k *capture) messagePrompt(c Call) []twiml.Element {
	l := c.Line
	cb := l.Callback
	rec := &twiml.VoiceRecord{
		Action: k.f.callURL(c, PathCallbackRecorded), Method: "POST", MaxLength: strconv.Itoa(cb.MaxMessageSeconds),
		FinishOnKey: "#", PlayBeep: "true", Timeout: "5",
	}
	if cb.Transcribe && cb.MaxMessageSeconds <= 120 {
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
func (k *capture) Recorded(c Call) ([]twiml.Element, error) {
	sid := c.Form.Get("RecordingSid")
	dur, _ := strconv.Atoi(c.Form.Get("RecordingDuration"))
	if sid != "" && dur > 0 {
		m := callback.Message{RecordingSID: sid, RecordingURL: c.Form.Get("RecordingUrl"), DurationSeconds: dur}
		if err := k.rec.AttachMessage(context.WithoutCancel(c.Ctx), c.Sid, m); err != nil {
			k.f.log.Error("voice message could not be attached", slog.String("call_sid", c.Sid), slog.String("error", err.Error()))
		}
	}
	return k.Done(c)
}

// Done confirms the request and says when to expect the call.
func (k *capture) Done(c Call) ([]twiml.Element, error) {
	l := c.Line
	return []twiml.Element{
		say(l, routing.Fill(l.Prompts.CallbackDone, "when", k.when(c))),
		say(l, l.Prompts.Crisis),
		say(l, l.Prompts.Goodbye),
		&twiml.VoiceHangup{},
	}, nil
}

// when says when the practice will call back.
func (k *capture) when(c Call) string {
	p := c.Line.Prompts
	if c.Open {
		return p.WhenToday
	}
	next, ok := c.Line.Schedule.NextOpen(c.Now)
	if !ok {
		return p.WhenUnknown
	}
	return routing.Fill(p.WhenOpens, "opening", opening(c.Now, next, c.Line.Schedule.Location))
}

// opening says when the practice opens next, as seen at now: "at 8:00 AM
// today", "tomorrow at 8:00 AM" or "on Monday, November 30 at 8:00 AM".
func opening(now, next time.Time, loc *time.Location) string {
	ln, lnext := now.In(loc), next.In(loc)
	clock := lnext.Format("3:04 PM")
	switch {
	case sameDay(ln, lnext):
		return "at " + clock + " today"
	case sameDay(ln.AddDate(0, 0, 1), lnext):
		return "tomorrow at " + clock
	}
	return "on " + lnext.Format("Monday, January 2") + " at " + clock
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// Transcript takes Twilio's transcription callback.
func (k *capture) Transcript(c Call) error {
	return k.rec.AttachTranscription(context.WithoutCancel(c.Ctx), c.Sid, c.Form.Get("TranscriptionText"), c.Form.Get("TranscriptionStatus"))
}

var errNoCapture = errors.New("callback capture is not configured")

// captureStep runs a step of the capture flow, or fails (an apology and the
// main menu) when no recorder is configured.
func (f *Flow) captureStep(step func(*capture, Call) ([]twiml.Element, error)) Step {
	return func(c Call) ([]twiml.Element, error) {
		if f.capture == nil {
			return nil, errNoCapture
		}
		return step(f.capture, c)
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
	}
	return p.NumberInvalid
}
