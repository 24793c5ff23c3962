package ivr

import (
	"strconv"
	"strings"

	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// say speaks text in the line's voice and language. The SSML elements a
// prompt may hold (routing.Speech) become elements inside <Say> for a voice
// that reads SSML, and are dropped (their words kept) for one that does not;
// everything else is text, escaped.
func say(l *routing.Line, text string) *twiml.VoiceSay {
	s := &twiml.VoiceSay{Message: text, Voice: l.Voice, Language: l.LanguageTag}
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

// question is what one <Gather> asks for; gather builds it.
type question struct {
	action string // where the answer (or its absence) goes
	keys   int    // how many keys make the answer (0: any number)
	pound  bool   // pound ends the keys
	// speech lets the caller say the answer, in the line's language, with
	// these hints for the recogniser ("" for none).
	speech bool
	hints  string
	// seconds Twilio waits for the first key or word after the prompts.
	seconds int
	// fallThrough leaves out actionOnEmptyResult: with no answer, Twilio
	// goes on to the next verb instead of the action.
	fallThrough bool
	prompts     []twiml.Element // said (or played) while Twilio listens
}

// gather is the flow's one way of asking: a <Gather> that sends every answer,
// and by default no answer too, to the action.
func gather(l *routing.Line, q question) *twiml.VoiceGather {
	g := &twiml.VoiceGather{Input: "dtmf", Action: q.action, Method: "POST", Timeout: strconv.Itoa(q.seconds), InnerElements: q.prompts}
	if q.keys > 0 {
		g.NumDigits = strconv.Itoa(q.keys)
	}
	if q.pound {
		g.FinishOnKey = "#"
	}
	if q.speech {
		g.Input, g.SpeechTimeout, g.SpeechModel, g.Language, g.Hints = "dtmf speech", speechPause, speechModel, l.LanguageTag, q.hints
	}
	if !q.fallThrough {
		g.ActionOnEmptyResult = "true"
	}
	return g
}
