package routing

import "time"

// Builtin is what Switchboard knows of a language without configuration, all
// in one place: its name for staff, the built-in text of each prompt, the
// words a caller may answer with, the phrases of distress, the names of the
// US holidays, how an opening time is said, and how fast it is spoken.
// english.go and spanish.go hold the two languages Switchboard knows.
type Builtin struct {
	Code string // "es"
	Name string // for staff: "Spanish"
	// Prompts are the built-in sentences by prompt name (PromptSpecs);
	// {practice} in one is the practice's name. A line in the language takes
	// them where its file says nothing.
	Prompts  map[string]string
	Answers  Answers
	Distress Distress // the language's own phrases (DistressIn adds the others')
	// Holidays name the holidays.us closures in the language, by key; nil
	// where the configuration's own names are in this language (English).
	Holidays map[string]string
	// WordsPerMinute is how fast a Polly voice speaks the language, for
	// config check's spoken-time limits (measured with espeak-ng).
	WordsPerMinute float64
	// DistressSample is a sentence of distress config check says where a
	// caller can speak: the flow must answer it with the crisis line.
	DistressSample string
	// opening says a time the practice opens, days days after today.
	opening func(t time.Time, days int) string
}

// Builtins are the languages Switchboard knows, English first.
func Builtins() []Builtin { return []Builtin{english(), spanish()} }

// BuiltinIn returns the built-in language with code, and false (with
// English, whose rules apply where a rule is needed) when there is none.
func BuiltinIn(code string) (Builtin, bool) {
	for _, b := range Builtins() {
		if b.Code == code {
			return b, true
		}
	}
	return english(), false
}
