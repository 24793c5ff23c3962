package simulate_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

// routed serves line, where "/menu" answers by what was pressed or said:
// the document at "/menu/" plus the key or the speech, or "/bye".
func routed(line fakeLine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/menu" {
			_ = r.ParseForm()
			in := r.PostForm.Get("Digits")
			if in == "" {
				in = r.PostForm.Get("SpeechResult")
			}
			r.URL.Path = "/bye"
			if _, ok := line["/menu/"+in]; ok && in != "" {
				r.URL.Path = "/menu/" + in
			}
		}
		line.ServeHTTP(w, r)
	})
}

const (
	crisisText = "In a crisis, call or text 9 8 8."
	distress   = "I'm having thoughts of suicide"
	notAnOpt   = "Sorry, that is not an option."
)

// menuOf is a speech and keys menu that posts to /menu, said in says.
func menuOf(says ...string) string {
	inner := ""
	for _, s := range says {
		inner += "<Say>" + s + "</Say>"
	}
	return `<Gather input="dtmf speech" numDigits="1" action="` + base + `/menu" actionOnEmptyResult="true">` + inner + `</Gather><Redirect>` + base + `/menu</Redirect>`
}

// lineWith is a line whose /menu answers each input from answers (keyed
// by Digits, or by SpeechResult), and anything else, nothing included, with
// a goodbye (see routed).
func lineWith(voice string, answers map[string]string) fakeLine {
	line := fakeLine{"/voice": voice, "/bye": `<Say>` + crisisText + ` Goodbye.</Say><Hangup/>`}
	for k, v := range answers {
		line["/menu/"+k] = v
	}
	return line
}

func TestExplorerFollowsInstructionsAndDistress(t *testing.T) {
	t.Parallel()
	bye := `<Say>` + crisisText + ` Goodbye.</Say><Hangup/>`
	putThrough := `<Say>` + crisisText + ` Connecting you now.</Say><Dial action="` + base + `/bye?g=scheduling&amp;s=0" timeout="20"><Number>+14255550101</Number></Dial>`
	tests := []struct {
		name   string
		line   fakeLine
		want   []string // in the findings; none for a good line
		crisis string   // the crisis response line reports
	}{
		{
			name: "good line",
			line: lineWith(menuOf("For scheduling, press 0 or say scheduling.", "If you know an extension, press star, then dial it."), map[string]string{
				"0": putThrough, "scheduling": putThrough, distress: putThrough,
				"*": `<Gather action="` + base + `/ext" numDigits="3"><Say>Dial the extension.</Say></Gather><Redirect>` + base + `/bye</Redirect>`,
			}),
			crisis: "put through (Dial to scheduling)",
		},
		{
			name: "a Lifeline offer",
			line: lineWith(menuOf("For scheduling, press 0."), map[string]string{
				"0": bye, distress: `<Gather action="` + base + `/bye" actionOnEmptyResult="true"><Say>` + crisisText + ` Press 1 to be connected to the Lifeline.</Say></Gather>`,
			}),
			crisis: "offer (Gather)",
		},
		{
			name: "press 7 refused",
			line: lineWith(menuOf("For scheduling, press 0.", "For billing, press 7."), map[string]string{
				"0": bye, "7": `<Say>` + notAnOpt + `</Say><Redirect>` + base + `/bye</Redirect>`, distress: putThrough,
			}),
			want: []string{`press 7, as "For billing, press 7." says at /voice (answered by /menu), does not work: the caller hears "Sorry, that is not an option."`},
		},
		{
			name: "say billing refused",
			line: lineWith(menuOf("For billing, press 0 or say billing."), map[string]string{
				"0": bye, "billing": `<Say>Sorry, I didn't catch that.</Say><Redirect>` + base + `/bye</Redirect>`, distress: putThrough,
			}),
			want: []string{`say "billing", as "For billing, press 0 or say billing." says at /voice`, `"Sorry, I didn't catch that."`},
		},
		{
			name: "extension 0 does not exist",
			line: lineWith(menuOf("To reach scheduling, dial extension 0 on our main line."), map[string]string{
				"*":      `<Gather action="` + base + `/ext" numDigits="3"><Say>Dial the extension.</Say></Gather><Redirect>` + base + `/bye</Redirect>`,
				distress: putThrough,
			}),
			want: []string{`extension 0, as "To reach scheduling, dial extension 0 on our main line." says at /voice (answered by /menu), does not work: after star, then 0, the caller hears "There is no extension"`},
		},
		{
			name: "star means two things",
			line: lineWith(menuOf("For a number abroad, press star, then the country code.", "To go back to the main menu, press star."), map[string]string{
				"*": bye, distress: putThrough,
			}),
			want: []string{`star means two things at /voice: "For a number abroad, press star, then the country code." and "To go back to the main menu, press star."`},
		},
		{
			name: "distress is not an option",
			line: lineWith(menuOf("For scheduling, press 0."), map[string]string{
				"0": bye, distress: `<Say>` + notAnOpt + `</Say>` + menuOf("For scheduling, press 0."),
			}),
			want:   []string{`a caller in distress who says "I'm having thoughts of suicide" at /voice (answered by /menu) hears "Sorry, that is not an option." and no crisis line`},
			crisis: "none",
		},
		{
			name: "the crisis line, then a hangup",
			line: lineWith(menuOf("For scheduling, press 0."), map[string]string{
				"0": bye, distress: bye,
			}),
			want:   []string{`hears no way on (no <Dial> to a person, no <Gather> offer): the call ends`},
			crisis: "none",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.line["/ext"] = `<Say>There is no extension {Digits}.</Say><Redirect>` + base + `/bye</Redirect>`
			x := &simulate.Explorer{Transport: simulate.Handler{H: routed(tt.line)}, VoiceURL: base + "/voice", From: "+12065550100",
				Keys: []string{"0"}, FarewellTexts: []string{crisisText},
				Crisis: []string{distress}, CrisisTexts: []string{crisisText},
				RefusalTexts: []string{notAnOpt, "Sorry, I didn't catch that.", "There is no extension"}}
			rep, err := x.Explore(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for _, f := range rep.Findings {
				all = append(all, f.Problem+" [after: "+f.Trail+"]")
			}
			report := strings.Join(all, "\n")
			if len(tt.want) == 0 && len(all) > 0 {
				t.Errorf("a good line has findings:\n%s", report)
			}
			for _, w := range tt.want {
				if !strings.Contains(report, w) {
					t.Errorf("findings lack %q; got:\n%s", w, report)
				}
			}
			if rep.Crisis.Prompts == 0 {
				t.Errorf("no speech prompt was tried with a distress sentence")
			}
			if tt.crisis == "none" && (rep.Crisis.Passed != 0 || len(rep.Crisis.Responses) != 0) {
				t.Errorf("crisis report %+v, want no response", rep.Crisis)
			}
			if tt.crisis != "" && tt.crisis != "none" && rep.Crisis.Responses[tt.crisis] == 0 {
				t.Errorf("crisis report %+v, want %q", rep.Crisis, tt.crisis)
			}
		})
	}
}
