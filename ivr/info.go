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

// info reads an information message and gathers the caller's next step.
// The document is cached: it depends on the configuration, id, n and the
// prompt only.
func (f *Flow) info(c Call, id string, n int, prompt string) (Reply, error) {
	l := c.Line
	msg, ok := l.Info[id]
	if !ok {
		return Reply{}, fmt.Errorf("info: unknown message %q", id)
	}
	return f.cache.page(c, pageID{step: "info", n: n, a: id, b: prompt}, func() []twiml.Element {
		var preamble []twiml.Element
		if prompt != "" {
			preamble = append(preamble, say(l, prompt))
		}
		return f.infoPage(c, msg, id, n, preamble)
	}), nil
}

func (f *Flow) infoPage(c Call, msg routing.Info, id string, n int, preamble []twiml.Element) []twiml.Element {
	l := c.Line
	action := f.callURL(c, PathInfoChoice, "id", id, "n", strconv.Itoa(n))
	inner := append([]twiml.Element(nil), preamble...)
	if n == 0 {
		if msg.AudioURL != "" {
			inner = append(inner, &twiml.VoicePlay{Url: msg.AudioURL})
		} else {
			inner = append(inner, say(l, msg.Say))
		}
	}
	for _, s := range routing.OptionSentences(msg.Options, c.Open, l.Prompts) {
		inner = append(inner, say(l, s))
	}
	g := gather(l, question{action: action, keys: 1, speech: true, hints: strings.Join(l.Hints(msg.Options, false), ", "), seconds: l.GatherSeconds, prompts: inner})
	return []twiml.Element{g, redirect(action)}
}

// Info answers a request for an information message (used by the simulator
// and links; menus reach it through their actions).
func (f *Flow) Info(ctx context.Context, c Call) (Reply, error) {
	return f.info(c, c.Query.Get("id"), 0, "")
}

// InfoChoice handles the caller's answer after an information message.
func (f *Flow) InfoChoice(ctx context.Context, c Call) (Reply, error) {
	l := c.Line
	id := c.Query.Get("id")
	msg, ok := l.Info[id]
	if !ok {
		return Reply{}, fmt.Errorf("info choice: unknown message %q", id)
	}
	n := tries(c.Query)
	choice := l.Choose(msg.Options, c.Digits, c.Speech, false)
	f.events.MenuChoice("info "+id, choiceLabel(choice))
	if choice.Kind == routing.ChoiceOption {
		return f.act(ctx, c, choice.Option.Action, callback.ReasonInfo, func() Reply {
			els, _ := f.info(c, id, 0, "")
			return els
		})
	}
	if els, ok, err := f.therapist(c); ok {
		return els, err
	}
	prompt := f.failure(c, choice)
	if n+1 >= l.MaxTries {
		return f.routeOn(ctx, c, callback.ReasonInfoRetries, prompt)
	}
	return f.info(c, id, n+1, prompt)
}
