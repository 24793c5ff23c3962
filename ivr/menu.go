package ivr

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// Paths of the call flow. Only PathVoice and PathStatus are configured at
// Twilio; every other one is put into TwiML by the flow itself.
const (
	PathVoice        = "/twilio/voice"
	PathStatus       = "/twilio/status"
	PathMenu         = "/twilio/menu"
	PathExtension    = "/twilio/extension"
	PathInfo         = "/twilio/info"
	PathInfoChoice   = "/twilio/info/choice"
	PathRingResult   = "/twilio/ring/result"
	PathScreen       = "/twilio/screen"
	PathScreenAnswer = "/twilio/screen/answer"
)

// ExtensionKey starts dialling an extension from any main-menu prompt. The
// menu answers on the first key (numDigits="1"), so no menu key waits for a
// second one; star cannot be a menu digit.
const ExtensionKey = "*"

// Answer is the first step of every call: the greeting, the crisis line,
// then (when closed) one sentence that says so and when the office opens
// again, then the main menu, whose first option is scheduling, within the
// first 45 words.
//
// The greeting and crisis line sit in a keys-only <Gather>: a caller who
// knows where to go can press a key at once, but speech ("Hello?") cannot cut
// the crisis line off, because with input="dtmf speech" speech barges in on
// the nested <Say> (Twilio's <Gather> docs, bargeIn; twilio-notes.md). With
// no key it falls through to the next verb after one second, which is the
// speech-enabled menu.
func (f *Flow) Answer(ctx context.Context, c Call) (Reply, error) {
	f.events.CallStarted("voice")
	return f.answerIn(c), nil
}

// answerIn is the greeting, crisis line and main menu in the call's
// language: the call's first answer, and again when a caller chooses
// another language.
func (f *Flow) answerIn(c Call) Reply {
	l := c.Line
	notice := closedNotice(c)
	return f.cache.page(c, pageID{step: "answer", a: notice}, func() []twiml.Element {
		// Each other language is offered in itself first, so that a caller
		// who takes it hears the greeting and the crisis line once, in
		// their language, and scheduling within 45 words of the start.
		intro := f.offers(l)
		intro = append(intro, say(l, l.Prompts.Greeting), say(l, l.Prompts.Crisis))
		// Keys only, for a second: a caller who says nothing falls
		// through to the menu.
		keys := gather(l, question{action: f.callURL(c, PathMenu, "n", "0"), keys: 1, seconds: 1, fallThrough: true, prompts: intro})
		return append([]twiml.Element{keys}, f.menuGather(c, 0, false)...)
	})
}

// offers are the other languages offered, each in itself ("Para español,
// oprima 8."): at the start of the call and wherever the main menu is read
// again.
func (f *Flow) offers(l *routing.Line) []twiml.Element {
	var out []twiml.Element
	for _, lang := range l.Languages {
		out = append(out, say(l.In(lang.Code), lang.Offer))
	}
	return out
}

// closedNotice says, while the practice is closed, that it is, why when it
// is a holiday or closure, and when it opens again; "" while it is open.
func closedNotice(c Call) string {
	l := c.Line
	if c.Open {
		return ""
	}
	p := l.Prompts
	notice := p.Closed
	if cl, ok := l.Schedule.ClosureOn(c.Now); ok && cl.Name != "" {
		notice = routing.Fill(p.ClosedFor, "holiday", cl.Name)
	}
	if next, ok := l.Schedule.NextOpen(c.Now); ok {
		notice += " " + routing.Fill(p.Reopens, "opening", routing.SpokenOpening(c.Now, next, l.Schedule.Location, l.LanguageCode))
	}
	return notice
}

// menuPage is the main menu after an optional sentence (an invalid key, no
// input, an apology), cached: it does not depend on the caller.
func (f *Flow) menuPage(c Call, n int, prompt string) Reply {
	c.Progress.Crisis = false
	return f.cache.page(c, pageID{step: "menu", n: n, a: prompt, b: closedNotice(c)}, func() []twiml.Element {
		if prompt == "" {
			return f.mainMenu(c, n)
		}
		return f.mainMenu(c, n, say(c.Line, prompt))
	})
}

// mainMenu gathers a choice from the main menu after the given preamble:
// while closed, first that the office is closed and when it opens again
// (every time the menu is read), then one sentence per option, scheduling
// first as the configuration lists it, read as it is true now (closed
// labels after hours). The first key is the answer (numDigits="1"), so the
// next prompt starts at once. A caller who says nothing is sent to the same
// action with an empty result.
func (f *Flow) mainMenu(c Call, n int, preamble ...twiml.Element) []twiml.Element {
	return f.menuGather(c, n, true, preamble...)
}

// menuGather is mainMenu; offer says the other languages' offers after the
// options (every time but the first, which says them at the start).
func (f *Flow) menuGather(c Call, n int, offer bool, preamble ...twiml.Element) []twiml.Element {
	// Back at the main menu a call starts afresh: words of distress there
	// get the whole crisis response again.
	c.Progress.Crisis = false
	l := c.Line
	action := f.callURL(c, PathMenu, "n", strconv.Itoa(n))
	inner := append([]twiml.Element(nil), preamble...)
	if notice := closedNotice(c); notice != "" {
		inner = append(inner, say(l, notice))
	}
	for _, s := range l.MenuSentences(c.Open) {
		inner = append(inner, say(l, s))
	}
	if len(l.Extensions) > 0 && l.Prompts.Extensions != "" {
		inner = append(inner, say(l, l.Prompts.Extensions))
	}
	if offer {
		inner = append(inner, f.offers(l)...)
	}
	g := gather(l, question{action: action, keys: 1, speech: true, hints: strings.Join(l.MenuHints(), ", "), seconds: l.GatherSeconds, prompts: inner})
	// Should Twilio ever fall through the Gather, the redirect still reaches
	// the menu handler, which treats it as no input: never silence.
	return []twiml.Element{g, redirect(action)}
}

// MenuChoice handles the caller's answer to the main menu.
func (f *Flow) MenuChoice(ctx context.Context, c Call) (Reply, error) {
	l := c.Line
	n := tries(c.Query)
	if lang, ok := l.LanguageChosen(c.Digits, c.Speech); ok {
		f.events.MenuChoice("main", "language "+lang.Code)
		c.Line, c.Progress.Lang = l.In(lang.Code), lang.Code
		return f.answerIn(c), nil
	}
	if strings.TrimSpace(c.Digits) == ExtensionKey {
		f.events.MenuChoice("main", "extension key")
		return reply(f.extensionPrompt(c, n)...), nil
	}
	choice := l.Choose(l.Menu, c.Digits, c.Speech, true)
	f.events.MenuChoice("main", choiceLabel(choice))
	switch choice.Kind {
	case routing.ChoiceOption:
		return f.act(ctx, c, choice.Option.Action, callback.ReasonMenu, func() Reply { return f.menuPage(c, 0, "") })
	case routing.ChoiceExtension:
		return f.extension(ctx, c, choice.Extension)
	}
	if els, ok, err := f.therapist(c); ok {
		return els, err
	}
	msg := f.failure(c, choice)
	if d := spokenExtension(c.Speech); d != "" {
		msg = noExtension(l)
	}
	return f.menuAgain(ctx, c, n, msg)
}

// menuAgain answers a failed try at the main menu (or the extension after
// it): the menu once more after msg, and after MaxTries the caller is
// routed on.
func (f *Flow) menuAgain(ctx context.Context, c Call, n int, msg string) (Reply, error) {
	if n+1 >= c.Line.MaxTries {
		return f.routeOn(ctx, c, callback.ReasonMenuRetries, msg)
	}
	return f.menuPage(c, n+1, msg), nil
}

// failure is the sentence for an answer that chose nothing: speech the
// line did not understand is never "not an option", which only a key that
// does nothing hears.
func (f *Flow) failure(c Call, choice routing.Choice) string {
	switch choice.Kind {
	case routing.ChoiceNone:
		return c.Line.Prompts.NoInput
	case routing.ChoiceAmbiguous:
		return c.Line.Prompts.Ambiguous
	}
	if strings.TrimSpace(c.Digits) == "" {
		return c.Line.Prompts.NotUnderstood
	}
	return c.Line.Prompts.Invalid
}

// therapist answers a caller who asks for their therapist ("my therapist",
// "a message for Dr. Lee") with a callback request whose reason tells staff
// so; false when the caller asked for something else.
func (f *Flow) therapist(c Call) (Reply, bool, error) {
	if strings.TrimSpace(c.Digits) != "" || !c.Line.AsksForTherapist(c.Speech) {
		return Reply{}, false, nil
	}
	f.events.MenuChoice("main", "therapist")
	c.Speech = ""
	r, err := f.callback.Offer(c, callback.ReasonTherapist)
	return r, true, err
}

// spokenExtension returns the digits of "extension five five five", or "".
func spokenExtension(speech string) string {
	w := routing.Words(speech)
	if len(w) < 2 || !routing.IsExtensionWord(w[0]) {
		return ""
	}
	return routing.SpokenDigits(w)
}

// extensionPrompt asks for the extension after the extension key. When all
// extensions have the same length, the last digit ends the entry at once.
func (f *Flow) extensionPrompt(c Call, n int) []twiml.Element {
	l := c.Line
	action := f.callURL(c, PathExtension, "n", strconv.Itoa(n))
	// Keys end with pound, or when they are as long as every extension.
	g := gather(l, question{action: action, keys: extensionWidth(l), pound: true, seconds: 4, prompts: []twiml.Element{say(l, l.Prompts.DialExt)}})
	return []twiml.Element{g, redirect(action)}
}

// extensionWidth is the length every extension shares, or 0.
func extensionWidth(l *routing.Line) int {
	width := 0
	for _, e := range l.Extensions {
		switch {
		case width == 0:
			width = len(e.Number)
		case width != len(e.Number):
			return 0
		}
	}
	return width
}

// ExtensionChoice rings the extension keyed after the extension key, or
// says there is no such extension and reads the main menu again.
func (f *Flow) ExtensionChoice(ctx context.Context, c Call) (Reply, error) {
	l := c.Line
	n := tries(c.Query)
	digits := strings.TrimSuffix(strings.TrimSpace(c.Digits), "#")
	if e, ok := l.Extension(digits); ok {
		return f.extension(ctx, c, e)
	}
	msg := l.Prompts.NoInput
	if digits != "" {
		msg = noExtension(l)
	}
	return f.menuAgain(ctx, c, n, msg)
}

// noExtension says there is no such extension without saying back what
// the caller keyed or said: the prompt's {digits} is filled with nothing
// ("There is no extension {digits}." becomes "There is no extension.").
func noExtension(l *routing.Line) string {
	msg := strings.Join(strings.Fields(routing.Fill(l.Prompts.NoExtension, "digits", "")), " ")
	for _, p := range []string{".", ",", "!", "?"} {
		msg = strings.ReplaceAll(msg, " "+p, p)
	}
	return msg
}

// act carries out a menu action. again renders the current menu for a
// repeat; reason tells a callback where the caller came from.
func (f *Flow) act(ctx context.Context, c Call, a routing.Action, reason callback.Reason, again func() Reply) (Reply, error) {
	l := c.Line
	switch a.Kind {
	case routing.ActionRing:
		if !c.Open {
			return f.callback.Offer(c, callback.ReasonClosed)
		}
		return f.ring(ctx, c, a.Target, 0, say(l, l.Prompts.Connecting))
	case routing.ActionExtension:
		ext, ok := l.Extension(a.Target)
		if !ok {
			return Reply{}, fmt.Errorf("menu action: unknown extension %q", a.Target)
		}
		return f.extension(ctx, c, ext)
	case routing.ActionInfo:
		return f.info(c, a.Target, 0, "")
	case routing.ActionCallback:
		return f.callback.Offer(c, reason)
	case routing.ActionRepeat:
		return again(), nil
	case routing.ActionMenu:
		return f.menuPage(c, 0, ""), nil
	}
	return Reply{}, fmt.Errorf("menu action: unknown kind %q", a.Kind)
}

// extension rings an extension, or offers a callback when it does not ring
// after hours.
func (f *Flow) extension(ctx context.Context, c Call, e routing.Extension) (Reply, error) {
	l := c.Line
	if !c.Open && !e.AfterHours {
		c.Speech, c.Digits = "", ""
		return f.callback.Offer(c, callback.ReasonClosed, say(l, l.Prompts.AfterHours))
	}
	r, err := f.ring(ctx, c, e.Group, 0, say(l, routing.Fill(l.Prompts.ConnectTo, "name", e.Name)))
	r.did.Extension = true
	return r, err
}

// routeOn is where a caller goes after too many failed tries: scheduling
// (the fallback group) when open, a callback offer when closed. It happens
// once per call: a caller who still cannot go on hears the crisis line and a
// goodbye.
func (f *Flow) routeOn(ctx context.Context, c Call, reason callback.Reason, why string) (Reply, error) {
	l := c.Line
	c.Digits, c.Speech = "", ""
	var pre []twiml.Element
	if why != "" {
		pre = append(pre, say(l, why))
	}
	if c.Progress.RoutedOn {
		return reply(f.farewell(c, pre...)...), nil
	}
	c.Progress.RoutedOn = true
	if c.Open && c.Progress.Rings == 0 {
		return f.ring(ctx, c, l.Fallback, 0, append(pre, say(l, l.Prompts.Connecting))...)
	}
	return f.callback.Offer(c, reason, pre...)
}

// farewell ends a call properly: while closed, when the office opens again;
// the crisis line again, a goodbye, and only then the hangup.
func (f *Flow) farewell(c Call, preamble ...twiml.Element) []twiml.Element {
	l := c.Line
	if notice := closedNotice(c); notice != "" {
		preamble = append(preamble, say(l, notice))
	}
	return append(preamble, say(l, l.Prompts.Crisis), say(l, l.Prompts.Goodbye), &twiml.VoiceHangup{})
}

// MenuPage re-reads the main menu without the greeting (a safe place to send
// a caller after an error).
func (f *Flow) MenuPage(ctx context.Context, c Call) (Reply, error) {
	return f.menuPage(c, 0, ""), nil
}

// noCallback stands in until callback capture is configured: it says that
// nobody can take the call and ends it properly.
type noCallback struct{ f *Flow }

func (n noCallback) Offer(c Call, _ callback.Reason, preamble ...twiml.Element) (Reply, error) {
	pre := append(append([]twiml.Element(nil), preamble...), say(c.Line, c.Line.Prompts.Unavailable))
	return reply(n.f.farewell(c, pre...)...), nil
}

// choiceLabel names a choice for metrics: the action, never the input.
func choiceLabel(c routing.Choice) string {
	switch c.Kind {
	case routing.ChoiceOption:
		return c.Option.Action.String()
	case routing.ChoiceExtension:
		return "extension " + c.Extension.Number
	case routing.ChoiceNone:
		return "none"
	case routing.ChoiceAmbiguous:
		return "ambiguous"
	}
	return "invalid"
}
