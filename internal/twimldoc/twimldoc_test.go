package twimldoc_test

import (
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/twimldoc"
	"github.com/twilio/twilio-go/twiml"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		els  []twiml.Element
		want string
	}{
		{"empty", nil, `<Response></Response>`},
		{"attributes sorted, empty ones left out", []twiml.Element{
			&twiml.VoiceGather{Input: "dtmf", NumDigits: "1", Action: "/a?x=1&y=2", Timeout: ""},
		}, `<Response><Gather action="/a?x=1&amp;y=2" input="dtmf" numDigits="1"/></Response>`},
		{"text escaped, nested", []twiml.Element{
			&twiml.VoiceSay{Message: `<b> & "q" 'a'`, Voice: "Polly.Joanna"},
			&twiml.VoiceDial{CallerId: "+14255550100", InnerElements: []twiml.Element{&twiml.VoiceNumber{PhoneNumber: "+14255550101"}}},
		}, `<Response><Say voice="Polly.Joanna">&lt;b&gt; &amp; "q" 'a'</Say><Dial callerId="+14255550100"><Number>+14255550101</Number></Dial></Response>`},
		{"characters XML cannot hold", []twiml.Element{&twiml.VoiceSay{Message: "a\x00b\xffc"}},
			"<Response><Say>a\uFFFDb\uFFFDc</Say></Response>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.TrimPrefix(string(twimldoc.Render(tt.els)), `<?xml version="1.0" encoding="UTF-8"?>`)
			if got != tt.want {
				t.Errorf("Render =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestTemplateFillsItsSlot(t *testing.T) {
	doc := twimldoc.Render([]twiml.Element{&twiml.VoiceDial{CallerId: twimldoc.Slot, Action: "/r"}})
	tmpl := twimldoc.NewTemplate(doc)
	for _, tt := range []struct{ value, want string }{
		{"+14255550100", `<Dial action="/r" callerId="+14255550100"/>`},
		{`a"&<`, `<Dial action="/r" callerId="a&quot;&amp;&lt;"/>`},
	} {
		if got := string(tmpl.Fill(tt.value)); !strings.Contains(got, tt.want) || strings.Contains(got, twimldoc.Slot) {
			t.Errorf("Fill(%q) = %s, want it to hold %s", tt.value, got, tt.want)
		}
	}
	// Filling one request's value leaves the template whole for the next.
	if first, second := string(tmpl.Fill("+1")), string(tmpl.Fill("+2")); !strings.Contains(first, `"+1"`) || !strings.Contains(second, `"+2"`) {
		t.Errorf("fills share memory: %s / %s", first, second)
	}
	plain := twimldoc.Render([]twiml.Element{&twiml.VoiceHangup{}})
	if got := twimldoc.NewTemplate(plain).Fill("+1"); string(got) != string(plain) {
		t.Errorf("a document without a slot changed: %s", got)
	}
}
