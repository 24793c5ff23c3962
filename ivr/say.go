package ivr

import (
	"strings"

	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// say speaks text in the line's voice and language. The SSML elements a
// prompt may hold (routing.Speech) become elements inside <Say> for a voice
// that reads SSML, and are dropped (their words kept) for one that does not;
// everything else is text, escaped.
func say(l *routing.Line, text string) *twiml.VoiceSay {
	s := &twiml.VoiceSay{Message: text, Voice: l.Voice, Language: l.Language}
	if !strings.Contains(text, "<") {
		return s
	}
	parts, err := routing.ParseSpeech(text)
	if err != nil {
		return s // configuration refuses these; a built-in text is plain
	}
	if !readsSSML(l) {
		s.Message = routing.PlainText(text)
		return s
	}
	s.Message = ""
	for _, p := range parts {
		s.InnerElements = append(s.InnerElements, ssml{name: p.Tag, attrs: p.Attrs, text: p.Text})
	}
	return s
}

// digits marks a spoken number (digits grouped by spaces and commas, "4 2
// 5, 5 5 5") to be read digit by digit, with SSML's <say-as
// interpret-as="digits"> where the voice reads SSML, so no voice reads "555"
// as "five hundred fifty-five".
func digits(l *routing.Line, spoken string) string {
	if !readsSSML(l) {
		return spoken
	}
	return `<say-as interpret-as="digits">` + spoken + `</say-as>`
}

// readsSSML reports whether the line's voice reads SSML: Amazon Polly's
// and Google's do, Twilio's basic voices do not (error 13513).
func readsSSML(l *routing.Line) bool {
	return strings.HasPrefix(l.Voice, "Polly.") || strings.HasPrefix(l.Voice, "Google.")
}

// redirect continues the call at url.
func redirect(url string) *twiml.VoiceRedirect {
	return &twiml.VoiceRedirect{Url: url, Method: "POST"}
}

// Every speech <Gather> of the flow expects a short command, a yes or no,
// or a number, so it asks for Twilio's generic model for exactly that
// (<Gather> speechModel "numbers_and_commands"; the 2025 speech-model
// update keeps the generic models beside the provider-specific ones:
// https://www.twilio.com/docs/voice/twiml/gather#speechmodel). With a model
// set, speechTimeout="auto" is refused (warning 13335), so the end of speech
// is a pause of two seconds.
const (
	speechModel = "numbers_and_commands"
	speechPause = "2"
)
