package routing

import "strings"

// Language is a language a caller can choose for the whole call, besides
// the line's own: after the greeting each one is offered in its own words
// ("Para español, oprima 8 o diga español."), and from the choice on every
// step of the call is answered from that language's view of the line.
type Language struct {
	Code    string   // "es": what calls carry in their URLs and requests record
	Name    string   // "Spanish", in the staff's language
	Key     string   // the key that chooses it; never a main-menu key
	Phrases []string // what a caller may say to choose it ("español")
	Offer   string   // the offer, in the language itself
	// CallerNote is said to a scheduler before the whisper, in the staff's
	// language ("Spanish-speaking caller.").
	CallerNote string
}

// Answers are the words that answer a yes/no question or ask to go back, in
// one language: the callback steps understand them by voice.
type Answers struct {
	Yes, No, Back []string
	// Hints are what the speech recogniser is told to expect.
	Hints string
}

// AnswersIn returns the built-in answers of a language (by code); English
// for any code it does not know.
func AnswersIn(code string) Answers {
	b, _ := BuiltinIn(code)
	return b.Answers
}

// In returns the line as a caller who chose the language code hears it, or
// the line itself for its own code, "" or a code it does not offer.
func (l *Line) In(code string) *Line {
	if v, ok := l.views[code]; ok {
		return v
	}
	if l.staff != nil && code == l.staff.LanguageCode {
		return l.staff
	}
	return l
}

// Staff is the line in its own language, which schedulers and staff speak:
// the line itself, or for a language view the line it translates.
func (l *Line) Staff() *Line {
	if l.staff != nil {
		return l.staff
	}
	return l
}

// AddLanguage makes view the line as heard in lang. view is a copy of l
// with its sentences, voice and recogniser in that language; the
// configuration builds it.
func (l *Line) AddLanguage(lang Language, view *Line) {
	if l.views == nil {
		l.views = map[string]*Line{}
	}
	view.LanguageCode = lang.Code
	view.staff = l
	view.views = nil
	view.Languages = nil
	view.Answers = AnswersIn(lang.Code)
	l.views[lang.Code] = view
	l.Languages = append(l.Languages, lang)
}

// LanguageOf describes the language a view speaks (for the line's own, a
// Language with its code and no key).
func (l *Line) LanguageOf(code string) (Language, bool) {
	for _, lang := range l.Staff().Languages {
		if lang.Code == code {
			return lang, true
		}
	}
	return Language{Code: l.Staff().LanguageCode}, code == l.Staff().LanguageCode
}

// LanguageChosen reports whether a main-menu answer (a key, or speech)
// chooses one of the line's other languages.
func (l *Line) LanguageChosen(digits, speech string) (Language, bool) {
	d := strings.TrimSpace(digits)
	for _, lang := range l.Languages {
		if d != "" && d == lang.Key {
			return lang, true
		}
		if d == "" && speech != "" && matchPhrases(Words(speech), lang.Phrases) > 0 {
			return lang, true
		}
	}
	return Language{}, false
}

// IsLanguageCode reports whether s has the form of a language code the
// line uses: two lowercase letters ("es").
func IsLanguageCode(s string) bool {
	return len(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}

// LanguageCode is the two-letter code of a language tag ("en-US" -> "en").
func LanguageCode(tag string) string {
	code, _, _ := strings.Cut(strings.ToLower(tag), "-")
	return code
}

// Views lists the line in every language callers can hear it in: its own
// first, then each of Languages.
func (l *Line) Views() []*Line {
	own := l.Staff()
	out := []*Line{own}
	for _, lang := range own.Languages {
		out = append(out, own.In(lang.Code))
	}
	return out
}

// PromptIn lists one prompt as each of Views says it.
func (l *Line) PromptIn(get func(Prompts) string) []string {
	var out []string
	for _, v := range l.Views() {
		out = append(out, get(v.Prompts))
	}
	return out
}

// SetVersion sets the configuration version of the line and of every
// language view of it, so that a call in any language finishes on the
// configuration it started with.
func (l *Line) SetVersion(v string) {
	l.Version = v
	for _, view := range l.views {
		view.Version = v
	}
}
