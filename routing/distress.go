package routing

import "strings"

// Distress are the words that tell how a caller who is struggling asks for
// help, in one language. Crisis phrases ("suicide", "kill myself",
// "emergency") are answered at every step that takes speech with the crisis
// response: the crisis line said slowly, then a person (open) or the 988
// Lifeline and an urgent callback (closed). A plea ("I need help") is no
// crisis phrase but reaches a person the way "someone" does, never "not an
// option". Therapist phrases ("my therapist", "a message for Dr. Lee") ask
// for a callback from the caller's therapist.
//
// A phrase matches whole words and is negation aware ("it's not an
// emergency" is none); a word that ends in "*" matches every word it
// begins ("suicid*" is "suicide", "suicidal", "suicidas").
type Distress struct {
	Crisis    []string
	Plea      []string
	Therapist []string
}

// DistressIn returns the built-in distress phrases of a language (by code):
// its own first, then every other built-in language's, because a caller in
// distress may not use the language the call runs in. Configuration may
// add phrases, never remove these.
func DistressIn(code string) Distress {
	own, _ := BuiltinIn(code)
	d := own.Distress
	for _, b := range Builtins() {
		if b.Code != own.Code {
			d = d.With(b.Distress)
		}
	}
	return d
}

// With returns d with more phrases of each kind added (a configuration's
// own), the built-in ones kept.
func (d Distress) With(more Distress) Distress {
	return Distress{
		Crisis:    append(append([]string(nil), d.Crisis...), more.Crisis...),
		Plea:      append(append([]string(nil), d.Plea...), more.Plea...),
		Therapist: append(append([]string(nil), d.Therapist...), more.Therapist...),
	}
}

// distress is the line's: the configured phrases, or the built-in ones of
// its language for a line built without configuration.
func (l *Line) distress() Distress {
	if len(l.Distress.Crisis) == 0 {
		return DistressIn(l.LanguageCode)
	}
	return l.Distress
}

// InCrisis reports whether speech holds a crisis phrase of the line's
// language, not negated.
func (l *Line) InCrisis(speech string) bool {
	return speech != "" && matchPhrases(Words(speech), l.distress().Crisis) > 0
}

// Pleads reports whether speech is a plea for help ("I need help").
func (l *Line) Pleads(speech string) bool {
	return speech != "" && matchPhrases(Words(speech), l.distress().Plea) > 0
}

// AsksForTherapist reports whether speech asks for the caller's therapist
// ("I want to talk to my therapist", "a message for Dr. Lee").
func (l *Line) AsksForTherapist(speech string) bool {
	return speech != "" && matchPhrases(Words(speech), l.distress().Therapist) > 0
}

// wordMatches compares a heard word with a phrase's word, which may end in
// "*" to match every word it begins.
func wordMatches(heard, want string) bool {
	if stem, ok := strings.CutSuffix(want, "*"); ok && stem != "" {
		return strings.HasPrefix(heard, stem)
	}
	return heard == want
}
