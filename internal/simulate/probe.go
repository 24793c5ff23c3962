package simulate

// This file holds the explorer's probes: after the walk, at every state of
// the caller's leg, it does what each prompt tells the caller to do, and
// says a distress sentence wherever the caller can speak. A probe's answer
// is checked, never walked further (only the first distress sentence of a
// walk is walked, as an ordinary move), so the walk does not grow with them.

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// CrisisReport is what the distress sentences met in one walk.
type CrisisReport struct {
	Prompts int // distinct speech prompts a distress sentence was said at
	Passed  int // of those, answered with the crisis line and a way on
	// Responses counts how the call went on after the crisis line, e.g.
	// "put through (Dial to scheduling)" or "offer (Gather)".
	Responses map[string]int
}

// answer is a probe's answer: a document, or why there is none.
type answer struct {
	doc     *Node
	problem string
}

// prober sends probes for one walk and reports what fails.
type prober struct {
	e       *Explorer
	ctx     context.Context
	base    url.Values
	states  map[string]*state
	cache   map[string]answer
	counted map[string]bool // distress probes counted in the report
	told    map[string]bool // one finding per place and instruction
	read    map[string][]instruction
	rep     *Report
	add     func(trail []string, problem string)
}

// fetch answers a request: from the walk when it made it, from an earlier
// probe, or by posting it.
func (p *prober) fetch(u string, form url.Values) (answer, error) {
	key := stateKey(u, form)
	if s, ok := p.states[key]; ok {
		if s.doc == nil {
			return answer{problem: "an error answer"}, nil
		}
		return answer{doc: s.doc}, nil
	}
	if a, ok := p.cache[key]; ok {
		return a, nil
	}
	p.rep.Steps++
	p.rep.Probes++
	status, body, err := p.e.Transport.Post(p.ctx, u, form)
	if err != nil {
		return answer{}, err
	}
	var a answer
	switch doc, perr := ParseTwiML(body); {
	case status != 200:
		a.problem = fmt.Sprintf("an answer %d (Twilio's application error)", status)
	case perr != nil:
		a.problem = perr.Error()
	case saysAny(doc.Said(), p.e.ErrorTexts):
		a.problem = "an internal error (the apology)"
	default:
		a.doc = doc
	}
	p.cache[key] = a
	return a, nil
}

// refusal returns the first of RefusalTexts that doc says, or "".
func (p *prober) refusal(doc *Node) string {
	said := doc.Said()
	for _, t := range p.e.RefusalTexts {
		if t != "" && strings.Contains(said, t) {
			return t
		}
	}
	return ""
}

// report adds a finding once for each what (the handler that answers and
// the instruction, or the two sentences that disagree): the same failure
// met again on another path says nothing new.
func (p *prober) report(what string, trail []string, problem string) {
	if !p.told[what] {
		p.told[what] = true
		p.add(trail, problem)
	}
}

// parse reads a sentence's instructions once: the same prompts come back
// in thousands of states.
func (p *prober) parse(sentence string) []instruction {
	in, ok := p.read[sentence]
	if !ok {
		in = instructionsIn(sentence)
		p.read[sentence] = in
	}
	return in
}

// check probes one state of the caller's leg.
func (p *prober) check(s *state) error {
	for _, gi := range instructionsOf(s.doc, p.e.RefusalTexts, p.parse) {
		conflicts := keyConflicts(gi.list)
		keys := make([]string, 0, len(conflicts))
		for k := range conflicts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			pair := conflicts[k]
			p.report("two things|"+k+"|"+pair[0]+"|"+pair[1], s.trail, fmt.Sprintf("%s means two things at %s: %q and %q", keyName(k), pathOf(s.url), pair[0], pair[1]))
		}
		for _, in := range gi.list {
			if err := p.follow(s, gi.gather, in); err != nil {
				return err
			}
		}
	}
	if len(p.e.Crisis) == 0 {
		return nil
	}
	for _, g := range s.doc.All("Gather") {
		if !strings.Contains(g.Attrs["input"], "speech") {
			continue
		}
		for _, sentence := range p.e.Crisis {
			if err := p.distress(s, g, sentence); err != nil {
				return err
			}
		}
	}
	return nil
}

// actionOf is where a <Gather> posts: its action, or the document's URL.
func actionOf(g *Node, docURL string) string {
	if a := g.Attrs["action"]; a != "" {
		return a
	}
	return docURL
}

// follow does what one instruction says at g and reports a refusal.
func (p *prober) follow(s *state, g *Node, in instruction) error {
	form := with(p.base, "Digits", in.value)
	switch in.kind {
	case instrSay:
		form = with(p.base, "SpeechResult", in.value)
	case instrExtension:
		form = with(p.base, "Digits", ExtensionKey)
	}
	a, err := p.fetch(actionOf(g, s.url), form)
	if err != nil {
		return err
	}
	problem := a.problem
	if problem == "" {
		if r := p.refusal(a.doc); r != "" {
			problem = fmt.Sprintf("the caller hears %q", r)
		}
	}
	if in.kind == instrExtension && problem == "" {
		// The extension key, then the digits at the prompt it leads to.
		var next *Node
		for _, n := range a.doc.All("Gather") {
			if takes(n, in) {
				next = n
				break
			}
		}
		if next == nil {
			problem = "star leads to no prompt to dial the extension"
		} else if a, err = p.fetch(actionOf(next, s.url), with(p.base, "Digits", in.value)); err != nil {
			return err
		} else if problem = a.problem; problem == "" {
			if r := p.refusal(a.doc); r != "" {
				problem = fmt.Sprintf("after star, then %s, the caller hears %q", in.value, r)
			}
		}
	}
	if problem != "" {
		trail := append(append([]string(nil), s.trail...), in.String())
		p.report("instruction|"+pathOf(actionOf(g, s.url))+"|"+in.String()+"|"+in.sentence, trail, fmt.Sprintf("%s, as %q says at %s, does not work: %s", in, in.sentence, where(s, g), problem))
	}
	return nil
}

// ExtensionKey is the key that starts an extension at a prompt ("press star,
// then dial it"): an instruction "extension N" is followed as star, then N.
const ExtensionKey = "*"

// distress says a distress sentence at g: the answer must say the crisis
// line, refuse nothing, and go on to a person or an offer.
func (p *prober) distress(s *state, g *Node, sentence string) error {
	act := actionOf(g, s.url)
	form := with(p.base, "SpeechResult", sentence)
	a, err := p.fetch(act, form)
	if err != nil {
		return err
	}
	var why []string
	way := ""
	if a.problem != "" {
		why = append(why, a.problem)
	} else {
		if r := p.refusal(a.doc); r != "" {
			why = append(why, fmt.Sprintf("%q", r))
		}
		if len(p.e.CrisisTexts) > 0 && !saysAny(a.doc.Said(), p.e.CrisisTexts) {
			why = append(why, "no crisis line")
		}
		if way = wayOn(a.doc); way == "" {
			why = append(why, "no way on (no <Dial> to a person, no <Gather> offer): the call ends")
		}
	}
	if key := stateKey(act, form); !p.counted[key] {
		p.counted[key] = true
		p.rep.Crisis.Prompts++
		if len(why) == 0 {
			p.rep.Crisis.Passed++
			p.rep.Crisis.Responses[way]++
		}
	}
	if len(why) > 0 {
		trail := append(append([]string(nil), s.trail...), instruction{kind: instrSay, value: sentence}.String())
		p.report("distress|"+pathOf(act)+"|"+sentence, trail, fmt.Sprintf("a caller in distress who says %q at %s hears %s", sentence, where(s, g), strings.Join(why, " and ")))
	}
	return nil
}

// where names a prompt: the request that served it and the handler that
// answers it.
func where(s *state, g *Node) string {
	return pathOf(s.url) + " (answered by " + pathOf(actionOf(g, s.url)) + ")"
}

// wayOn describes how the call goes on after a document: put through to a
// person (a <Dial>) or offered something (a <Gather>); "" when it does not.
func wayOn(doc *Node) string {
	if d := doc.First("Dial"); d != nil {
		to := "a number"
		if u, err := url.Parse(d.Attrs["action"]); err == nil && u.Query().Get("g") != "" {
			to = u.Query().Get("g")
		}
		return "put through (Dial to " + to + ")"
	}
	if doc.First("Gather") != nil {
		return "offer (Gather)"
	}
	return ""
}

// speechGather is the first <Gather> of doc that takes speech, or nil.
func speechGather(doc *Node) *Node {
	for _, g := range doc.All("Gather") {
		if strings.Contains(g.Attrs["input"], "speech") {
			return g
		}
	}
	return nil
}
