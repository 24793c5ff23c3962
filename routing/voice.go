package routing

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// A VoiceInfo is one text-to-speech voice Twilio documents for <Say>.
type VoiceInfo struct {
	Name     string // as TwiML names it: "Polly.Joanna-Neural"
	Language string // the language it speaks: "en-US"
	// HIPAAEligible: Twilio lists its basic voices and Amazon Polly's as
	// HIPAA eligible, not Google's (twilio-notes.md, "HIPAA").
	HIPAAEligible bool
	// SSML: whether the voice reads SSML elements (<break>, <prosody>,
	// ...); Twilio's basic voices do not (error 13513).
	SSML bool
}

// pollyVoices are the Amazon Polly voices of the languages a US practice
// uses, by name, with the engines each has (Amazon Polly's "Available
// voices" table; Twilio names them Polly.<Name>, Polly.<Name>-Neural and
// Polly.<Name>-Generative in its text-to-speech voice list).
var pollyVoices = []struct {
	name, lang                   string
	standard, neural, generative bool
}{
	{"Danielle", "en-US", false, true, true}, {"Gregory", "en-US", false, true, false},
	{"Ivy", "en-US", true, true, false}, {"Joanna", "en-US", true, true, true},
	{"Kendra", "en-US", true, true, false}, {"Kimberly", "en-US", true, true, false},
	{"Salli", "en-US", true, true, true}, {"Joey", "en-US", true, true, false},
	{"Justin", "en-US", true, true, false}, {"Kevin", "en-US", false, true, false},
	{"Matthew", "en-US", true, true, true}, {"Ruth", "en-US", false, true, true},
	{"Stephen", "en-US", false, true, true}, {"Patrick", "en-US", false, true, false},
	{"Amy", "en-GB", true, true, true}, {"Emma", "en-GB", true, true, false},
	{"Brian", "en-GB", true, true, true}, {"Arthur", "en-GB", false, true, false},
	{"Lupe", "es-US", true, true, true}, {"Penelope", "es-US", true, false, false},
	{"Miguel", "es-US", true, false, false}, {"Pedro", "es-US", false, true, true},
	{"Mia", "es-MX", true, true, true}, {"Andres", "es-MX", false, true, true},
	{"Conchita", "es-ES", true, false, false}, {"Lucia", "es-ES", true, true, true},
	{"Enrique", "es-ES", true, false, false}, {"Sergio", "es-ES", false, true, true},
}

// basicVoices are Twilio's own voices; they speak the language <Say> is
// given and read no SSML.
var basicVoices = []string{"man", "woman", "alice"}

// googleVoice is the form of Twilio's Google voices:
// Google.<language>-<kind>-<letter>.
var googleVoice = regexp.MustCompile(`^Google\.([a-z]{2,3}-[A-Z]{2})-(Standard|Wavenet|Neural2|News|Studio|Journey|Polyglot|Chirp-HD|Chirp3-HD)-[A-Za-z0-9]+$`)

// LookupVoice returns what Twilio documents of a voice name, or an error
// that says what is wrong (with the nearest known name for a typo).
func LookupVoice(name string) (VoiceInfo, error) {
	if slices.Contains(basicVoices, name) {
		return VoiceInfo{Name: name, HIPAAEligible: true}, nil
	}
	if m := googleVoice.FindStringSubmatch(name); m != nil {
		return VoiceInfo{Name: name, Language: m[1], SSML: true}, nil
	}
	if rest, ok := strings.CutPrefix(name, "Polly."); ok {
		base, engine, _ := strings.Cut(rest, "-")
		for _, v := range pollyVoices {
			if v.name != base {
				continue
			}
			if (engine == "" && v.standard) || (engine == "Neural" && v.neural) || (engine == "Generative" && v.generative) {
				return VoiceInfo{Name: name, Language: v.lang, HIPAAEligible: true, SSML: true}, nil
			}
			return VoiceInfo{}, fmt.Errorf("%q: Polly's %s has no %s engine", name, base, strings.ToLower(cmp.Or(engine, "standard")))
		}
	}
	return VoiceInfo{}, fmt.Errorf("%q is not a voice Twilio documents%s", name, nearestVoice(name))
}

// nearestVoice suggests the known voice name closest to a typo.
func nearestVoice(name string) string {
	best, dist := "", 4
	for _, v := range pollyVoices {
		for _, n := range []string{"Polly." + v.name, "Polly." + v.name + "-Neural"} {
			if d := editDistance(strings.ToLower(name), strings.ToLower(n)); d < dist {
				best, dist = n, d
			}
		}
	}
	if best == "" {
		return " (use Polly.<Name>, Polly.<Name>-Neural, Google.<language>-<kind>-<letter> or man, woman, alice)"
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
