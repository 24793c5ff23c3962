package simulate_test

import (
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

func TestParseAndDeadEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		doc     string
		wantErr bool
		dead    string // substring of DeadEnd(), "" for a document that continues
	}{
		{"redirect", `<Response><Say>hi</Say><Redirect>https://x/y</Redirect></Response>`, false, ""},
		{"dial with action", `<Response><Dial action="https://x/r"><Number>+1</Number></Dial></Response>`, false, ""},
		{"dial without action", `<Response><Dial><Number>+1</Number></Dial></Response>`, false, "without an action"},
		{"goodbye then hangup", `<Response><Say>bye</Say><Hangup/></Response>`, false, ""},
		{"bare hangup", `<Response><Hangup/></Response>`, false, "bare"},
		{"gather that posts on empty", `<Response><Gather actionOnEmptyResult="true"><Say>x</Say></Gather></Response>`, false, ""},
		{"gather that falls through", `<Response><Gather><Say>x</Say></Gather></Response>`, false, "no input ends the call"},
		{"empty", `<Response/>`, false, "silence"},
		{"say only", `<Response><Say>x</Say></Response>`, false, "ends after <Say>"},
		{"wrong root", `<Reply/>`, true, ""},
		{"not XML", `<Response><Say>`, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := simulate.ParseTwiML([]byte(tt.doc))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			got := n.DeadEnd()
			if (tt.dead == "") != (got == "") || !strings.Contains(got, tt.dead) {
				t.Errorf("DeadEnd() = %q, want %q", got, tt.dead)
			}
		})
	}
}

func TestFindAndSaid(t *testing.T) {
	t.Parallel()
	n, err := simulate.ParseTwiML([]byte(`<?xml version="1.0"?><Response><Gather action="a"><Say>one</Say><Say>two &amp; three</Say></Gather><Say>four</Say></Response>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Said(); got != "one two & three four" {
		t.Errorf("Said() = %q", got)
	}
	if g := n.First("Gather"); g == nil || g.Attrs["action"] != "a" || len(g.All("Say")) != 2 {
		t.Errorf("First(Gather) = %+v", g)
	}
	if n.First("Dial") != nil {
		t.Error("First(Dial) found something")
	}
}
