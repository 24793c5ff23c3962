package routing

import (
	"strings"
	"unicode"
)

// Words lowercases s and splits it into words of letters and digits,
// dropping punctuation, so "Scheduling, please." becomes [scheduling please].
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// phraseWords is Words for a configured phrase, keeping a word's final "*"
// (a stem: see Distress).
func phraseWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '*'
	})
}

// Heard reports whether speech holds one of phrases as whole words and not
// negated ("not right" does not say "right").
func Heard(speech string, phrases []string) bool {
	return matchPhrases(Words(speech), phrases) > 0
}

// matchPhrases returns the length in words of the longest phrase that occurs
// in words as a contiguous run and is not negated, or 0 when none does. A
// run is negated when a negation stands right before it, or before a verb
// such as "want" or an article ("not groups", "I don't want group therapy",
// "not the groups"); "No, I want scheduling" is not negated.
func matchPhrases(words []string, phrases []string) int {
	best := 0
	for _, p := range phrases {
		pw := phraseWords(p)
		if len(pw) == 0 || len(pw) <= best {
			continue
		}
		if at := findRun(words, pw); at >= 0 && !negated(words, at) {
			best = len(pw)
		}
	}
	return best
}

var (
	// English and Spanish ("no quiero los grupos").
	negations = map[string]bool{"not": true, "no": true, "don't": true, "dont": true, "never": true, "without": true, "nothing": true,
		"nunca": true, "sin": true, "nada": true, "tampoco": true, "ni": true}
	negVerbs = map[string]bool{"want": true, "need": true, "like": true, "mean": true, "care": true,
		"quiero": true, "necesito": true, "busco": true, "speak": true, "hablo": true,
		"is": true, "es": true, "am": true, "estoy": true}
	negFillers = map[string]bool{"a": true, "an": true, "the": true, "to": true, "any": true, "about": true, "for": true,
		"el": true, "la": true, "los": true, "las": true, "un": true, "una": true, "de": true, "por": true, "para": true}
)

// negated reports whether the run starting at words[at] is negated.
func negated(words []string, at int) bool {
	i := at - 1
	if i >= 0 && negFillers[words[i]] {
		i--
	}
	if i >= 0 && negVerbs[words[i]] {
		i--
	}
	if i >= 0 && negFillers[words[i]] { // "don't want to ..." read backwards
		i--
	}
	return i >= 0 && negations[words[i]]
}

// findRun returns where run starts in words, preferring an occurrence that
// is not negated, or -1.
func findRun(words, run []string) int {
	first := -1
	for i := 0; i+len(run) <= len(words); i++ {
		if containsRun(words[i:i+len(run)], run) {
			if !negated(words, i) {
				return i
			}
			if first < 0 {
				first = i
			}
		}
	}
	return first
}

func containsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		match := true
		for j := range run {
			if !wordMatches(words[i+j], run[j]) {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

var digitWords = map[string]string{
	"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
	"five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
	"cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4",
	"cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9",
}

// extensionWords introduce a spoken extension number.
var extensionWords = map[string]bool{"extension": true, "ext": true, "extensión": true}

// IsExtensionWord reports whether w introduces an extension number
// ("extension", "extensión").
func IsExtensionWord(w string) bool { return extensionWords[w] }

// SpokenDigits returns the digits a caller said when the words are a number,
// optionally after "extension" ("extension one oh one" -> "101"); otherwise "".
func SpokenDigits(words []string) string {
	if len(words) > 0 && extensionWords[words[0]] {
		words = words[1:]
	}
	var b strings.Builder
	for _, w := range words {
		if d, ok := digitWords[w]; ok {
			b.WriteString(d)
			continue
		}
		if strings.IndexFunc(w, func(r rune) bool { return r < '0' || r > '9' }) == -1 {
			b.WriteString(w)
			continue
		}
		return ""
	}
	return b.String()
}
