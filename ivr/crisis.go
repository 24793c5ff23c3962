package ivr

import (
	"context"
	"strconv"
	"strings"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// Paths of the crisis response.
const (
	PathCrisis   = "/twilio/crisis"          // the Lifeline offer's answer
	PathLifeline = "/twilio/crisis/lifeline" // the Lifeline <Dial>'s result
)

// maybeCrisis answers words of distress at any step that takes speech, in
// place of the step: a caller in crisis is never told "not an option". The
// first time, with the crisis response (the crisis flag then travels in the
// URLs); said again later in the call, the crisis line and the Lifeline at
// once.
func (f *Flow) maybeCrisis(step Step) Step {
	return func(ctx context.Context, c Call) (Reply, error) {
		switch {
		case strings.TrimSpace(c.Digits) != "" || !c.Line.InCrisis(c.Speech):
			return step(ctx, c)
		case c.Progress.Crisis:
			// Said again after the crisis response: the Lifeline now.
			return reply(append([]twiml.Element{slowly(c.Line, c.Line.Prompts.Crisis)}, f.lifeline(c)...)...), nil
		}
		return f.crisis(ctx, c)
	}
}

// crisis is the crisis response: the crisis line, said slowly and once,
// then a person at once while the practice is open (the crisis ring group,
// whatever the call has rung before, its schedulers told the call is
// urgent), or else the offer of the 988 Lifeline and an urgent callback.
func (f *Flow) crisis(ctx context.Context, c Call) (Reply, error) {
	f.events.MenuChoice("crisis", "crisis response")
	c.Digits, c.Speech = "", ""
	c.Progress.Crisis = true
	l := c.Line
	line := slowly(l, l.Prompts.Crisis)
	if c.Open {
		return f.ring(ctx, c, l.Crisis.RingGroup, 0, line, say(l, l.Prompts.CrisisConnect))
	}
	return reply(f.lifelineOffer(c, 0, line)...), nil
}

// lifelineOffer asks whether to connect the caller to the Lifeline now, or
// to take an urgent callback request.
func (f *Flow) lifelineOffer(c Call, n int, preamble ...twiml.Element) []twiml.Element {
	l := c.Line
	action := f.callURL(c, PathCrisis, "n", strconv.Itoa(n))
	inner := append(append([]twiml.Element(nil), preamble...), say(l, l.Prompts.LifelineOffer))
	return []twiml.Element{
		gather(l, question{action: action, keys: 1, speech: true, hints: answers(l).Hints, seconds: l.GatherSeconds, prompts: inner}),
		redirect(action),
	}
}

// CrisisChoice answers the Lifeline offer: 1 (or yes) connects the caller to
// the Lifeline, 2 takes an urgent callback request. A caller who does not
// answer hears the offer once more and is then connected to the Lifeline,
// where a person can help: a caller in crisis is never hung up on after the
// crisis line.
func (f *Flow) CrisisChoice(ctx context.Context, c Call) (Reply, error) {
	l := c.Line
	c.Progress.Crisis = true
	n := tries(c.Query)
	switch a := answer(c); a {
	case "1":
		return reply(f.lifeline(c)...), nil
	case "2":
		return f.callback.Offer(c, callback.ReasonCrisis)
	case "*":
		return f.menuPage(c, 0, ""), nil
	default:
		if n+1 >= l.MaxTries {
			return reply(f.lifeline(c)...), nil
		}
		return reply(f.lifelineOffer(c, n+1, say(l, retry(c, a)))...), nil
	}
}

// lifeline dials the Lifeline. The caller's own number is shown when Twilio
// gave a real one, so that the Lifeline routes the call to a nearby centre
// by its area code; the main line otherwise.
func (f *Flow) lifeline(c Call) []twiml.Element {
	l := c.Line
	callerID, ok := f.cache.caller(c.From)
	if !ok {
		callerID = l.MainNumber
	}
	return []twiml.Element{
		say(l, l.Prompts.LifelineConnecting),
		&twiml.VoiceDial{
			Action: f.callURL(c, PathLifeline), Method: "POST", Timeout: "30", CallerId: callerID,
			InnerElements: []twiml.Element{&twiml.VoiceNumber{PhoneNumber: l.Crisis.Lifeline}},
		},
	}
}

// LifelineResult follows the Lifeline call: after a conversation the call
// ends with the crisis line and a goodbye; when it did not connect the caller
// is told so and offered an urgent callback request.
func (f *Flow) LifelineResult(ctx context.Context, c Call) (Reply, error) {
	c.Progress.Crisis = true
	if bridged(c.Form) {
		return reply(f.farewell(c)...), nil
	}
	return f.callback.Offer(c, callback.ReasonCrisis, say(c.Line, c.Line.Prompts.LifelineFailed))
}

// slowly says text at a slow rate where the voice reads SSML (Amazon Polly
// and Google voices; Twilio's basic voices do not, error 13513), as plain
// text otherwise.
func slowly(l *routing.Line, text string) *twiml.VoiceSay {
	s := say(l, text)
	if readsSSML(l) {
		s.Message = ""
		s.InnerElements = []twiml.Element{ssml{name: "prosody", attrs: map[string]string{"rate": "slow"}, text: text}}
	}
	return s
}

// ssml is an SSML element inside <Say> (twilio-go names them with a capital
// letter; TwiML's are lowercase, as in Twilio's own libraries:
// https://www.twilio.com/docs/voice/twiml/say/text-speech#ssml), or, with
// no name, a run of plain text between them.
type ssml struct {
	name  string
	attrs map[string]string
	text  string
}

func (s ssml) GetName() string                                 { return s.name }
func (s ssml) GetText() string                                 { return s.text }
func (s ssml) GetAttr() (map[string]string, map[string]string) { return s.attrs, nil }
func (s ssml) GetInnerElements() []twiml.Element               { return nil }
