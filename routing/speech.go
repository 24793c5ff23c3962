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

// matchPhrases returns the length in words of the longest phrase that occurs
// in words as a contiguous run, or 0 when none does.
func matchPhrases(words []string, phrases []string) int {
	best := 0
	for _, p := range phrases {
		pw := Words(p)
		if len(pw) == 0 || len(pw) <= best {
			continue
		}
		if containsRun(words, pw) {
			best = len(pw)
		}
	}
	return best
}

func containsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		match := true
		for j := range run {
			if words[i+j] != run[j] {
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
}

// SpokenDigits returns the digits a caller said when the words are a number,
// optionally after "extension" ("extension one oh one" -> "101"); otherwise "".
func SpokenDigits(words []string) string {
	if len(words) > 0 && (words[0] == "extension" || words[0] == "ext") {
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
