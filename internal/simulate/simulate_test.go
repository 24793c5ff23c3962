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
		Keys: []string{"1", "2", "3", "4", "5", "6"}, ErrorTexts: []string{"something went wrong"}}
	rep, err := x.Explore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, f := range rep.Findings {
		all = append(all, f.Problem+" ["+f.Trail+"]")
	}
	report := strings.Join(all, "\n")
	for _, want := range []string{
		"silence after <Say> at /branch1",
		"bare hangup with nothing said before it at /branch2",
		"answers 500",
		"a <Dial> without an action: the call ends when nobody answers at /branch4",
		"a loop: a caller who says nothing or presses wrong keys goes round /spin",
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
	x := &simulate.Explorer{Transport: simulate.Handler{H: good}, VoiceURL: base + "/voice", From: "+12065550100",
		Keys: []string{"0", "1"}, WrongKey: "7", FarewellTexts: []string{"Goodbye"}}
	rep, err := x.Explore(t.Context())
	if err != nil || len(rep.Findings) != 0 || rep.Steps < 5 {
		t.Fatalf("Explore = %d steps, %v, %v", rep.Steps, rep.Findings, err)
	}
	// Silent: "Hello. Press 0." (3 words, 1.2 s) + 5 s of waiting, "You
	// pressed ." (2 words, 0.8 s) + 20 s of ringing, "Goodbye." (0.4 s).
	if s := rep.Silent; !s.Goodbye || s.Rings[""] != 0 || s.Seconds < 27.3 || s.Seconds > 27.5 || s.Webhooks != 3 {
		t.Errorf("silent caller: %+v", s)
	}
	if got := rep.OptionWords["0"]; got != 3 {
		t.Errorf("words to option 0 = %d, want 3", got)
	}
}

// TestExplorerFindsLoopsThatOnlySilenceMakes feeds the explorer the loops a
// silent caller met before calls counted their tries: a callback offer that
// returns to the menu, and a ring group rung again and again through a Dial.
// Each must be reported, and the silent caller's call must not end well.
func TestExplorerFindsLoopsThatOnlySilenceMakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line fakeLine
	}{
		{"menu and callback offer", fakeLine{
			"/voice": `<Gather action="` + base + `/offer" actionOnEmptyResult="true"><Say>Menu. Press 0.</Say></Gather><Redirect>` + base + `/offer</Redirect>`,
			"/offer": `<Gather action="` + base + `/voice" actionOnEmptyResult="true" numDigits="1"><Say>Press 1 for a call back.</Say></Gather><Redirect>` + base + `/voice</Redirect>`,
		}},
		{"ringing the same group for ever", fakeLine{
			"/voice":  `<Gather action="` + base + `/ring" actionOnEmptyResult="true"><Say>Menu.</Say></Gather><Redirect>` + base + `/ring</Redirect>`,
			"/ring":   `<Dial action="` + base + `/result?g=scheduling&amp;s=0" timeout="25"><Number url="` + base + `/screen">+14255550101</Number></Dial>`,
			"/screen": `<Say>Press 1.</Say><Hangup/>`,
			"/result": `<Say>Nobody answered.</Say><Redirect>` + base + `/voice</Redirect>`,
		}},
		{"wrong keys", fakeLine{
			"/voice": `<Gather action="` + base + `/menu" actionOnEmptyResult="true"><Say>Menu.</Say></Gather><Say>Goodbye.</Say><Hangup/>`,
			"/menu":  `<Say>Sorry, {Digits} is not an option.</Say><Redirect>` + base + `/voice</Redirect>`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := &simulate.Explorer{Transport: simulate.Handler{H: tt.line}, VoiceURL: base + "/voice", From: "+12065550100",
				Keys: []string{"0"}, WrongKey: "7", FarewellTexts: []string{"Goodbye"}}
			rep, err := x.Explore(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var loop bool
			for _, f := range rep.Findings {
				loop = loop || strings.Contains(f.Problem, "a loop")
			}
			if !loop {
				t.Errorf("no loop reported; findings: %v", rep.Findings)
			}
			if rep.Silent.Goodbye && rep.Wrong.Goodbye {
				t.Errorf("both policy callers end well: %+v %+v", rep.Silent, rep.Wrong)
			}
		})
	}
}

// TestExplorerFindsAHangupWithoutTheCrisisLine checks the farewell rule.
func TestExplorerFindsAHangupWithoutTheCrisisLine(t *testing.T) {
	t.Parallel()
	line := fakeLine{
		"/voice": `<Gather action="` + base + `/bye" actionOnEmptyResult="true"><Say>Menu.</Say></Gather><Redirect>` + base + `/bye</Redirect>`,
		"/bye":   `<Say>Goodbye.</Say><Hangup/>`,
	}
	x := &simulate.Explorer{Transport: simulate.Handler{H: line}, VoiceURL: base + "/voice", From: "+12065550100",
		Keys: []string{"0"}, FarewellTexts: []string{"call or text 9 8 8"}}
	rep, err := x.Explore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Silent.Goodbye || len(rep.Findings) == 0 || !strings.Contains(rep.Findings[0].Problem, "without the crisis line") {
		t.Errorf("silent %+v, findings %v", rep.Silent, rep.Findings)
	}
}
