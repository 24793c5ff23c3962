package simulate_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

// fakeLine serves fixed TwiML documents by path, as a tiny Switchboard.
type fakeLine map[string]string

func (f fakeLine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	doc, ok := f[r.URL.Path]
	if !ok {
		http.Error(w, "no such step", http.StatusInternalServerError)
		return
	}
	_ = r.ParseForm()
	doc = strings.ReplaceAll(doc, "{Digits}", r.PostForm.Get("Digits"))
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(`<?xml version="1.0"?><Response>` + doc + `</Response>`))
}

const base = "http://line.test"

var good = fakeLine{
	"/voice":  `<Gather action="` + base + `/menu" actionOnEmptyResult="true" input="dtmf speech"><Say>Hello. Press 0.</Say></Gather><Redirect>` + base + `/menu</Redirect>`,
	"/menu":   `<Say>You pressed {Digits}.</Say><Dial action="` + base + `/result" timeout="20"><Number url="` + base + `/screen">+14255550101</Number></Dial>`,
	"/screen": `<Gather numDigits="1" action="` + base + `/accept"><Say>Press 1 to accept.</Say></Gather><Say>Declined.</Say><Hangup/>`,
	"/accept": ``,
	"/result": `<Say>Goodbye.</Say><Hangup/>`,
}

func TestCallFollowsTheFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		inputs  []string
		outcome string
		hears   []string
	}{
		{"stops while ringing", []string{"press 0"}, "ringing +14255550101", []string{"You pressed 0.", "dials +14255550101"}},
		{"answered with the whisper", []string{"press 0", "dial answered"}, "Switchboard ended the call", []string{"scheduler hears: Press 1 to accept.", "connected to +14255550101", "Goodbye."}},
		{"no answer", []string{"say hello", "dial no-answer"}, "Switchboard ended the call", []string{"caller: say hello", "dial result: no-answer"}},
		{"waits at the first prompt", nil, "waiting for the caller at /voice", []string{"Hello. Press 0."}},
		{"hangs up", []string{"hangup"}, "the caller hung up at /voice", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var inputs []simulate.Input
			for _, s := range tt.inputs {
				in, err := simulate.ParseInput(s)
				if err != nil {
					t.Fatal(err)
				}
				inputs = append(inputs, in)
			}
			var out bytes.Buffer
			c := &simulate.Call{Transport: simulate.Handler{H: good}, VoiceURL: base + "/voice", From: "+12065550100", To: "+14258692644",
				CallSid: "CAtest", Source: &simulate.Script{Inputs: inputs}, Out: &out}
			res, err := c.Run(t.Context())
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out.String())
			}
			if res.Outcome != tt.outcome {
				t.Errorf("outcome = %q, want %q", res.Outcome, tt.outcome)
			}
			for _, h := range tt.hears {
				if !strings.Contains(out.String(), h) {
					t.Errorf("transcript lacks %q:\n%s", h, out.String())
				}
			}
		})
	}
}

func TestCallReportsDeadEndsAndErrors(t *testing.T) {
	t.Parallel()
	silent := fakeLine{"/voice": `<Say>Hello.</Say>`}
	c := &simulate.Call{Transport: simulate.Handler{H: silent}, VoiceURL: base + "/voice", Source: &simulate.Script{}}
	if _, err := c.Run(t.Context()); !errors.Is(err, simulate.ErrDeadEnd) {
		t.Errorf("silence after a Say: %v", err)
	}
	broken := fakeLine{"/voice": `<Redirect>` + base + `/missing</Redirect>`}
	c = &simulate.Call{Transport: simulate.Handler{H: broken}, VoiceURL: base + "/voice", Source: &simulate.Script{}}
	if _, err := c.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "answered 500") {
		t.Errorf("a 500: %v", err)
	}
	loop := fakeLine{"/voice": `<Redirect>` + base + `/voice</Redirect>`}
	c = &simulate.Call{Transport: simulate.Handler{H: loop}, VoiceURL: base + "/voice", Source: &simulate.Script{}, MaxSteps: 10}
	if _, err := c.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("a redirect loop: %v", err)
	}
}

func TestExplorerFindsEveryKindOfProblem(t *testing.T) {
	t.Parallel()
	line := fakeLine{
		"/voice":   `<Gather action="` + base + `/menu" actionOnEmptyResult="true"><Say>Menu.</Say></Gather>`,
		"/menu":    `<Say>Choice {Digits}.</Say><Redirect>` + base + `/branch{Digits}</Redirect>`,
		"/branch":  `<Redirect>` + base + `/voice</Redirect>`,
		"/branch1": `<Say>Silence follows.</Say>`,
		"/branch2": `<Hangup/>`,
		"/branch3": `<Redirect>` + base + `/spin</Redirect>`,
		"/spin":    `<Redirect>` + base + `/spin2</Redirect>`,
		"/spin2":   `<Redirect>` + base + `/spin</Redirect>`,
		"/branch4": `<Dial><Number>+14255550101</Number></Dial>`,
		"/branch5": `<Say>Sorry, something went wrong.</Say><Redirect>` + base + `/voice</Redirect>`,
	}
	x := &simulate.Explorer{Transport: simulate.Handler{H: line}, VoiceURL: base + "/voice", From: "+12065550100",
		Keys: []string{"1", "2", "3", "4", "5", "6"}, ErrorText: "something went wrong"}
	_, found, err := x.Explore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, f := range found {
		all = append(all, f.Problem+" ["+f.Trail+"]")
	}
	report := strings.Join(all, "\n")
	for _, want := range []string{
		"silence after <Say> at /branch1",
		"bare hangup with nothing said before it at /branch2",
		"answers 500",
		"a <Dial> without an action: the call ends when nobody answers at /branch4",
		"a loop that needs no input from the caller through /spin",
		"an internal error (the apology) after /branch5",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the explorer missed %q; found:\n%s", want, report)
		}
	}
	if !strings.Contains(report, "press 1") {
		t.Errorf("findings do not say how to get there:\n%s", report)
	}
}

func TestExplorerPassesAGoodLine(t *testing.T) {
	t.Parallel()
	x := &simulate.Explorer{Transport: simulate.Handler{H: good}, VoiceURL: base + "/voice", From: "+12065550100", Keys: []string{"0", "1"}}
	steps, found, err := x.Explore(t.Context())
	if err != nil || len(found) != 0 || steps < 5 {
		t.Errorf("Explore = %d steps, %v, %v", steps, found, err)
	}
}
