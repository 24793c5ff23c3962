package ivr

import (
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// say speaks text in the line's voice and language.
func say(l *routing.Line, text string) *twiml.VoiceSay {
	return &twiml.VoiceSay{Message: text, Voice: l.Voice, Language: l.Language}
}

// redirect continues the call at url.
func redirect(url string) *twiml.VoiceRedirect {
	return &twiml.VoiceRedirect{Url: url, Method: "POST"}
}
