package routing

import (
	"fmt"
	"regexp"
	"strings"
)

// Speech is one piece of a prompt: plain text (Tag ""), or one of the SSML
// elements a prompt may hold, which TwiML renders as an element inside
// <Say>, never as spoken text:
//
//	<break time="500ms"/>                              a pause (ms or s, at most 10 s)
//	<say-as interpret-as="telephone">...</say-as>      numbers read as a phone number
//	<emphasis>...</emphasis>                           stressed words
//	<prosody rate="slow">...</prosody>                 a slower or faster rate
//
// Everything else in a prompt is text: "<b>" is read as written.
type Speech struct {
	Tag   string
	Attrs map[string]string // the one attribute a tag takes, when given
	Text  string
}

var (
	ssmlTag = regexp.MustCompile(`<break\s+time="([^"]*)"\s*/>|<(say-as|emphasis|prosody)((?:\s+[a-z-]+="[^"]*")*)\s*>([^<]*)</(say-as|emphasis|prosody)>`)
	ssmlAtt = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
	// breakTime is a pause Twilio's voices take: 0-10000ms or 0-10s.
	breakTime = regexp.MustCompile(`^(\d{1,5}ms|\d{1,2}s)$`)
	rates     = regexp.MustCompile(`^(x-slow|slow|medium|fast|x-fast|\d{2,3}%)$`)
)

// attrsAllowed names the attribute each tag takes and its check.
var attrsAllowed = map[string]struct {
	name  string
	valid func(string) bool
}{
	"say-as":   {"interpret-as", func(v string) bool { return v == "telephone" || v == "digits" || v == "characters" }},
	"emphasis": {"level", func(v string) bool { return v == "strong" || v == "moderate" || v == "reduced" }},
	"prosody":  {"rate", rates.MatchString},
}

// ParseSpeech splits a prompt into text and the SSML elements it holds,
// and reports a malformed one (a break without a valid time, an attribute
// a tag does not take, a tag left open).
func ParseSpeech(text string) ([]Speech, error) {
	var out []Speech
	last := 0
	for _, m := range ssmlTag.FindAllStringSubmatchIndex(text, -1) {
		if m[0] > last {
			out = append(out, Speech{Text: text[last:m[0]]})
		}
		last = m[1]
		if m[2] >= 0 { // <break time="..."/>
			t := text[m[2]:m[3]]
			if !breakTime.MatchString(t) || (strings.HasSuffix(t, "ms") && len(t) > 7) {
				return nil, fmt.Errorf(`<break time=%q/>: give a pause such as "500ms" or "1s"`, t)
			}
			out = append(out, Speech{Tag: "break", Attrs: map[string]string{"time": t}})
			continue
		}
		tag, closing := text[m[4]:m[5]], text[m[10]:m[11]]
		if tag != closing {
			return nil, fmt.Errorf("<%s> is closed by </%s>", tag, closing)
		}
		s := Speech{Tag: tag, Text: text[m[8]:m[9]], Attrs: map[string]string{}}
		allowed := attrsAllowed[tag]
		for _, a := range ssmlAtt.FindAllStringSubmatch(text[m[6]:m[7]], -1) {
			if a[1] != allowed.name || !allowed.valid(a[2]) {
				return nil, fmt.Errorf("<%s %s=%q>: %s takes only a valid %s", tag, a[1], a[2], tag, allowed.name)
			}
			s.Attrs[a[1]] = a[2]
		}
		if tag != "emphasis" && len(s.Attrs) == 0 {
			return nil, fmt.Errorf("<%s> needs its %s", tag, allowed.name)
		}
		out = append(out, s)
	}
	if last < len(text) {
		out = append(out, Speech{Text: text[last:]})
	}
	for _, s := range out {
		if s.Tag == "" && openTag.MatchString(s.Text) {
			return nil, fmt.Errorf("%q: an SSML element left open or malformed", strings.TrimSpace(s.Text))
		}
	}
	return out, nil
}

// openTag finds what looks like one of the SSML elements but did not parse.
var openTag = regexp.MustCompile(`</?(break|say-as|emphasis|prosody)\b`)

// PlainText is what a prompt says without its SSML elements: the text to
// count words in, and to say with a voice that reads no SSML.
func PlainText(text string) string {
	parts, err := ParseSpeech(text)
	if err != nil {
		return text
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
