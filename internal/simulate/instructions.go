package simulate

// This file reads what a document tells the caller to do, so the explorer
// can do exactly that and hear whether it works. It knows the sentences of
// the built-in line, in English and Spanish, and no more:
//
//	press K, oprima K          K a digit, star/asterisco (*), pound/numeral (#)
//	say X, diga X              X up to the end of the clause (, . ; ? ! " or " " o ")
//	extension N, extensión N   N digits, spaced or not ("0", "1 0 0")
//
// "press star, then dial it" is an instruction to press star.

import (
	"regexp"
	"strings"
)

// Instruction kinds.
const (
	instrPress     = "press"
	instrSay       = "say"
	instrExtension = "extension"
)

// instruction is one thing a prompt tells the caller to do.
type instruction struct {
	kind     string // instrPress, instrSay or instrExtension
	value    string // the key, the phrase, or the extension's digits
	sentence string // the sentence that says it
}

func (in instruction) String() string {
	switch in.kind {
	case instrSay:
		return `say "` + in.value + `"`
	case instrExtension:
		return "extension " + in.value
	}
	return "press " + keyName(in.value)
}

// keyName names a key as a prompt says it.
func keyName(k string) string {
	switch k {
	case "*":
		return "star"
	case "#":
		return "pound"
	}
	return k
}

var (
	pressWords = regexp.MustCompile(`(?i)\b(?:press|oprima)\s+([0-9]|star|asterisco|pound|numeral)\b`)
	sayWords   = regexp.MustCompile(`(?i)\b(?:say|diga)\s+`)
	extWords   = regexp.MustCompile(`(?i)\bextensi(?:on|ón)\s+([0-9](?:\s[0-9])*)\b`)
	clauseEnd  = regexp.MustCompile(`(?i)[,.;?!]|\s+(?:or|o)\s`)
)

// instructionsIn lists the instructions of one sentence, in order of kind.
func instructionsIn(sentence string) []instruction {
	sentence = strings.TrimSpace(sentence)
	var out []instruction
	for _, m := range pressWords.FindAllStringSubmatch(sentence, -1) {
		key := strings.ToLower(m[1])
		switch key {
		case "star", "asterisco":
			key = "*"
		case "pound", "numeral":
			key = "#"
		}
		out = append(out, instruction{kind: instrPress, value: key, sentence: sentence})
	}
	for _, loc := range sayWords.FindAllStringIndex(sentence, -1) {
		rest := sentence[loc[1]:]
		if end := clauseEnd.FindStringIndex(rest); end != nil {
			rest = rest[:end[0]]
		}
		if phrase := strings.Trim(rest, " \"“”«»"); phrase != "" {
			out = append(out, instruction{kind: instrSay, value: phrase, sentence: sentence})
		}
	}
	for _, m := range extWords.FindAllStringSubmatch(sentence, -1) {
		out = append(out, instruction{kind: instrExtension, value: strings.ReplaceAll(m[1], " ", ""), sentence: sentence})
	}
	return out
}

// takes reports whether a <Gather> can take an instruction: keys need
// input "dtmf" (the default), speech needs "speech".
func takes(g *Node, in instruction) bool {
	input := g.Attrs["input"]
	if input == "" {
		input = "dtmf"
	}
	if in.kind == instrSay {
		return strings.Contains(input, "speech")
	}
	return strings.Contains(input, "dtmf")
}

// gatherInstructions are the instructions a caller hears before one
// <Gather> can take them.
type gatherInstructions struct {
	gather *Node
	list   []instruction
}

// instructionsOf assigns every instruction of a document to the <Gather>
// that takes it: the one it is said in, when that can take it, or else the
// first later one that can (a key said in a keys-only greeting is taken
// there; "say español" said there is taken by the speech menu after it).
// A <Say> at the top level goes to the next <Gather> that can take it, as
// long as only <Say>, <Play> and <Pause> come between; a sentence that no
// <Gather> can take is not checked, nor one that holds one of refusals
// ("There is no extension 5." instructs nothing).
// parse reads one sentence (instructionsIn, or a cache of it).
func instructionsOf(doc *Node, refusals []string, parse func(string) []instruction) []gatherInstructions {
	var out []gatherInstructions
	index := map[*Node]int{}
	target := func(from int, in instruction) *Node {
		for _, v := range doc.Children[from:] {
			switch v.Name {
			case "Say", "Play", "Pause":
			case "Gather":
				if takes(v, in) {
					return v
				}
			default:
				return nil
			}
		}
		return nil
	}
	assign := func(from int, text string) {
		for _, sentence := range splitSentences(text) {
			if saysAny(sentence, refusals) {
				continue
			}
			for _, in := range parse(sentence) {
				g := target(from, in)
				if g == nil {
					continue
				}
				i, ok := index[g]
				if !ok {
					i = len(out)
					index[g] = i
					out = append(out, gatherInstructions{gather: g})
				}
				out[i].list = append(out[i].list, in)
			}
		}
	}
	for i, v := range doc.Children {
		switch v.Name {
		case "Say":
			assign(i+1, v.Text)
		case "Gather":
			for _, s := range v.All("Say") {
				assign(i, s.Text)
			}
		}
	}
	return out
}

// keyConflicts returns, for each key that two different sentences of one
// <Gather> tell the caller to press, those two sentences.
func keyConflicts(list []instruction) map[string][2]string {
	first := map[string]string{}
	out := map[string][2]string{}
	for _, in := range list {
		if in.kind != instrPress {
			continue
		}
		s, seen := first[in.value]
		switch {
		case !seen:
			first[in.value] = in.sentence
		case s != in.sentence:
			if _, told := out[in.value]; !told {
				out[in.value] = [2]string{s, in.sentence}
			}
		}
	}
	return out
}
