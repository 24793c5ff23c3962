package ivr

import (
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
	PathInfo         = "/twilio/info"
	PathInfoChoice   = "/twilio/info/choice"
	PathRingResult   = "/twilio/ring/result"
	PathScreen       = "/twilio/screen"
	PathScreenAnswer = "/twilio/screen/answer"
)

// Answer is the first step of every call: the greeting, the crisis line, the
// closed notice when closed, and the main menu, all interruptible by a key
// press so that callers can dial an extension at once.
func (f *Flow) Answer(c Call) ([]twiml.Element, error) {
	l := c.Line
	f.events.CallStarted("voice")
	return f.memo(fmt.Sprintf("answer|%s|%v", l.Version, c.Open), func() []twiml.Element {
		intro := []twiml.Element{say(l, l.Prompts.Greeting), say(l, l.Prompts.Crisis)}
		if !c.Open {
			intro = append(intro, say(l, l.Prompts.Closed))
		}
		return f.mainMenu(c, 0, intro...)
	}), nil
}

// menuPage is the main menu after an optional sentence (an invalid key, no
// input, an apology), cached: it does not depend on the caller.
func (f *Flow) menuPage(c Call, n int, prompt string) []twiml.Element {
	return f.memo(fmt.Sprintf("menu|%s|%d|%s", c.Line.Version, n, prompt), func() []twiml.Element {
		if prompt == "" {
			return f.mainMenu(c, n)
		}
		return f.mainMenu(c, n, say(c.Line, prompt))
	})
}

// mainMenu gathers a choice from the main menu after the given preamble. A
// caller who says nothing is sent to the same action with an empty result.
func (f *Flow) mainMenu(c Call, n int, preamble ...twiml.Element) []twiml.Element {
	l := c.Line
	action := f.callURL(c, PathMenu, "n", strconv.Itoa(n))
	inner := append(append([]twiml.Element(nil), preamble...), say(l, l.MenuPrompt()))
	if len(l.Extensions) > 0 && l.Prompts.Extensions != "" {
		inner = append(inner, say(l, l.Prompts.Extensions))
	}
	g := &twiml.VoiceGather{
		Input:               "dtmf speech",
		Action:              action,
		Method:              "POST",
		Timeout:             strconv.Itoa(l.GatherSeconds),
		FinishOnKey:         "#",
		SpeechTimeout:       "auto",
		Language:            l.Language,
		Hints:               strings.Join(l.Hints(l.Menu, true), ", "),
		ActionOnEmptyResult: "true",
		InnerElements:       inner,
	}
	if len(l.Extensions) == 0 {
		g.NumDigits = "1" // no extensions: the first key is the whole answer
	}
	// Should Twilio ever fall through the Gather, the redirect still reaches
	// the menu handler, which treats it as no input: never silence.
	return []twiml.Element{g, redirect(action)}
}

// MenuChoice handles the caller's answer to the main menu.
func (f *Flow) MenuChoice(c Call) ([]twiml.Element, error) {
	l := c.Line
	n := tries(c.Query)
	choice := l.Choose(l.Menu, c.Digits, c.Speech, true)
	f.events.MenuChoice("main", choiceLabel(choice))
	switch choice.Kind {
	case routing.ChoiceOption:
		return f.act(c, choice.Option.Action, callback.ReasonMenu, func() []twiml.Element { return f.menuPage(c, 0, "") })
	case routing.ChoiceExtension:
		return f.extension(c, choice.Extension)
	}
	if n+1 >= l.MaxTries {
		return f.routeOn(c, callback.ReasonMenuRetries)
	}
	msg := l.Prompts.Invalid
	if choice.Kind == routing.ChoiceNone {
		msg = l.Prompts.NoInput
	}
	return f.menuPage(c, n+1, msg), nil
}

// act carries out a menu action. again renders the current menu for a
// repeat; reason tells a callback where the caller came from.
func (f *Flow) act(c Call, a routing.Action, reason callback.Reason, again func() []twiml.Element) ([]twiml.Element, error) {
	l := c.Line
	switch a.Kind {
	case routing.ActionRing:
		if !c.Open {
			return f.callback.Offer(c, callback.ReasonClosed)
		}
		return f.ring(c, a.Target, 0, say(l, l.Prompts.Connecting))
	case routing.ActionExtension:
		ext, ok := l.Extension(a.Target)
		if !ok {
			return nil, fmt.Errorf("menu action: unknown extension %q", a.Target)
		}
		return f.extension(c, ext)
	case routing.ActionInfo:
		return f.info(c, a.Target, 0, "")
	case routing.ActionCallback:
		return f.callback.Offer(c, reason)
	case routing.ActionRepeat:
		return again(), nil
	case routing.ActionMenu:
		return f.menuPage(c, 0, ""), nil
	}
	return nil, fmt.Errorf("menu action: unknown kind %q", a.Kind)
}

// extension rings an extension, or offers a callback when it does not ring
// after hours.
func (f *Flow) extension(c Call, e routing.Extension) ([]twiml.Element, error) {
	l := c.Line
	if !c.Open && !e.AfterHours {
		c.Speech, c.Digits = "", ""
		els, err := f.callback.Offer(c, callback.ReasonClosed)
		return append([]twiml.Element{say(l, l.Prompts.AfterHours)}, els...), err
	}
	return f.ring(c, e.Group, 0, say(l, routing.Fill(l.Prompts.ConnectTo, "name", e.Name)))
}

// routeOn is where a caller goes after too many failed tries: the fallback
// ring group when open, a callback offer when closed.
func (f *Flow) routeOn(c Call, reason callback.Reason) ([]twiml.Element, error) {
	l := c.Line
	if c.Open {
		return f.ring(c, l.Fallback, 0, say(l, l.Prompts.Connecting))
	}
	return f.callback.Offer(c, reason)
}

// MenuPage re-reads the main menu without the greeting (a safe place to send
// a caller after an error).
func (f *Flow) MenuPage(c Call) ([]twiml.Element, error) {
	return f.menuPage(c, 0, ""), nil
}

// noCallback stands in until callback capture is configured: it says that
// nobody can take the call and returns to the main menu.
type noCallback struct{ f *Flow }

func (n noCallback) Offer(c Call, reason callback.Reason) ([]twiml.Element, error) {
	return n.f.menuPage(c, 0, c.Line.Prompts.Unavailable), nil
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
	}
	return "invalid"
}
