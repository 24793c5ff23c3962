package simulate

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/switchboard-clinic/switchboard/routing"
)

// Explorer walks every path of a line: at each prompt it tries every key in
// Keys and no input, at each ring every outcome, at each message prompt a
// message and none. It reports each answer that would leave a caller in
// silence, with a bare hangup or in an internal error, and it follows the
// callers who do not help themselves, from every state it reached: one who
// never answers, and one who only presses WrongKey. Each must be told
// goodbye (after one of FarewellTexts, the crisis line) and hung up on; a cycle
// among the moves such a caller makes is a loop. Then, at every state of the
// caller's, it follows each instruction the prompt speaks and says each of
// Crisis where the caller can speak (see probe.go).
//
// A state is the whole request: path, every query parameter (the call's
// counters included; only the configuration version and the value of a
// sealed number are left out) and the input fields. So a flow that counts
// its tries has no cycle, and one that forgets them has.
type Explorer struct {
	Transport Transport
	VoiceURL  string
	From, To  string
	Keys      []string // key sequences to try at every prompt
	// WrongKey is a key no prompt accepts; "" leaves out the wrong-key caller.
	WrongKey string
	// ErrorTexts are what the line says after an internal error (its
	// apology, in each of its languages).
	ErrorTexts []string
	// FarewellTexts: one must be said before the caller is hung up on by
	// the ending of a caller who does not answer (the crisis line, in each
	// language); none skips the check.
	FarewellTexts []string
	MaxSteps      int // bound on webhooks (default 20000)
	// WordsPerMinute is the speaking rate of the walk's language (default
	// English's).
	WordsPerMinute float64

	// Crisis are distress sentences said, as probes, at every prompt of
	// the caller's that takes speech; none leaves the check out. The
	// answer must say one of CrisisTexts (the crisis line), none of
	// RefusalTexts, and go on: put through (a <Dial>) or an offer (a
	// <Gather>). The first such probe of a walk is walked on like any
	// move; the others are checked only.
	Crisis      []string
	CrisisTexts []string
	// RefusalTexts are what the line says to an answer it does not take
	// ("not an option", "didn't catch that", "no extension"): at every
	// prompt of the caller's, each instruction it speaks ("press 7", "say
	// billing", "extension 0") is followed as a probe, and fails when the
	// answer says one of them. A key two sentences of one prompt give two
	// meanings is reported too.
	RefusalTexts []string
}

// Finding is one problem on one path.
type Finding struct {
	Trail   string // the inputs that lead there, e.g. "press 2 > press 1"
	Problem string
}

// Report is what Explore found.
type Report struct {
	Steps    int // webhooks made
	Findings []Finding
	// Silent is the call of a caller who never presses or says anything,
	// from the first webhook; Wrong of one who only presses WrongKey.
	Silent, Wrong Ending
	// OptionWords maps each key the first document names ("press 0") to the
	// spoken words up to the end of the sentence that names it.
	OptionWords map[string]int
	// Probes are the webhooks (counted in Steps too) that followed an
	// instruction or said a distress sentence without walking on.
	Probes int
	Crisis CrisisReport
}

// Ending is how a policy caller's call ends.
type Ending struct {
	Seconds  float64        // spoken (at the walk's rate), waited and rung
	Webhooks int            // requests on the way
	Rings    map[string]int // ring-group dials by group (the "g" parameter)
	Trail    []string       // the moves
	Goodbye  bool           // ended with the farewell and a hangup
	Problem  string         // why it did not end well, when it did not
}

// englishRate is the speaking rate used for timings when none is given:
// English's, which routing.Builtin holds with every other rule of the
// language.
func englishRate() float64 {
	b, _ := routing.BuiltinIn("en")
	return b.WordsPerMinute
}

// Policies: the moves that are no choice of the caller's.
const (
	moveNoInput    = "(no input)"
	moveRedirect   = "(redirect)"
	moveNoAnswer   = "nobody answers"
	moveDeclined   = "answered, not accepted"
	moveAnswered   = "answered and connected"
	moveNoMessage  = "(no message)"
	moveMessage    = "leaves a message"
	moveWhisperPre = "whisper to "
)

type edge struct {
	move string
	to   string // state key
}

type state struct {
	url    string
	form   url.Values
	trail  []string
	leg    bool // the scheduler's leg (whisper), not the caller's
	doc    *Node
	edges  []edge
	ending string // "" while the call goes on; why it cannot, otherwise
}

// Explore walks the tree and reports what it found.
func (e *Explorer) Explore(ctx context.Context) (*Report, error) {
	if e.MaxSteps <= 0 {
		e.MaxSteps = 20000
	}
	base := url.Values{"CallSid": {CallSID("explorer")}, "From": {e.From}, "To": {e.To}, "CallStatus": {"in-progress"}}
	rep := &Report{Crisis: CrisisReport{Responses: map[string]int{}}}
	found := map[string]bool{}
	add := func(trail []string, problem string) {
		if found[problem] {
			return // one report per problem is enough
		}
		found[problem] = true
		rep.Findings = append(rep.Findings, Finding{Trail: strings.Join(trail, " > "), Problem: problem})
	}
	states := map[string]*state{}
	startKey := stateKey(e.VoiceURL, base)
	queue := []*state{{url: e.VoiceURL, form: base}}
	states[startKey] = queue[0]
	var order []string // state keys, shortest trails first
	crisisWalked := false
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, stateKey(s.url, s.form))
		rep.Steps++
		if rep.Steps > e.MaxSteps {
			return rep, fmt.Errorf("more than %d states: stopped exploring", e.MaxSteps)
		}
		status, body, err := e.Transport.Post(ctx, s.url, s.form)
		if err != nil {
			return rep, err
		}
		if status != 200 {
			add(s.trail, fmt.Sprintf("%s answers %d: Twilio would play its application error", pathOf(s.url), status))
			s.ending = "error"
			continue
		}
		doc, err := ParseTwiML(body)
		if err != nil {
			add(s.trail, fmt.Sprintf("%s: %v", pathOf(s.url), err))
			s.ending = "error"
			continue
		}
		s.doc = doc
		if rep.OptionWords == nil {
			rep.OptionWords = optionWords(doc)
		}
		if saysAny(doc.Said(), e.ErrorTexts) {
			add(s.trail, "an internal error (the apology) after "+pathOf(s.url))
		}
		next, problem := e.successors(doc, s, base)
		if problem != "" {
			add(s.trail, problem+" at "+pathOf(s.url))
			s.ending = "dead end"
		}
		if g := speechGather(doc); g != nil && len(e.Crisis) > 0 && !crisisWalked && !s.leg {
			// The first distress sentence is walked on, so that the way
			// on after the crisis line is checked like every other path.
			crisisWalked = true
			move := instruction{kind: instrSay, value: e.Crisis[0]}.String()
			next = append(next, &state{url: actionOf(g, s.url), form: with(base, "SpeechResult", e.Crisis[0]),
				trail: append(append([]string(nil), s.trail...), move)})
		}
		for _, n := range next {
			key := stateKey(n.url, n.form)
			s.edges = append(s.edges, edge{move: n.trail[len(n.trail)-1], to: key})
			if _, seen := states[key]; !seen {
				states[key] = n
				queue = append(queue, n)
			}
		}
	}
	p := &prober{e: e, ctx: ctx, base: base, states: states, cache: map[string]answer{}, counted: map[string]bool{}, told: map[string]bool{}, read: map[string][]instruction{}, rep: rep, add: add}
	for _, key := range order {
		if s := states[key]; !s.leg && s.doc != nil {
			if err := p.check(s); err != nil {
				return rep, err
			}
		}
	}
	wrong := ""
	if e.WrongKey != "" {
		wrong = "press " + e.WrongKey
	}
	if cyc := cycle(states, wrong); cyc != nil {
		add(states[cyc[0]].trail, fmt.Sprintf("a loop: a caller who says nothing or presses wrong keys goes round %s for ever", describeCycle(states, cyc)))
	}
	for _, policy := range []string{moveNoInput, wrong} {
		if policy == "" {
			continue
		}
		who := "a caller who says nothing"
		if policy != moveNoInput {
			who = "a caller who only presses " + e.WrongKey
		}
		for _, key := range sortedKeys(states) {
			s := states[key]
			if s.leg || s.doc == nil {
				continue
			}
			end := e.follow(states, key, policy)
			if !end.Goodbye && end.Problem != "" {
				add(s.trail, fmt.Sprintf("%s from %s %s", who, pathOf(s.url), end.Problem))
			}
		}
		end := e.follow(states, startKey, policy)
		if policy == moveNoInput {
			rep.Silent = end
		} else {
			rep.Wrong = end
		}
	}
	sort.Slice(rep.Findings, func(i, j int) bool { return rep.Findings[i].Problem < rep.Findings[j].Problem })
	return rep, nil
}

// automatic reports the moves that happen to a caller without a choice of
// theirs: a redirect, a ring nobody answers or a scheduler declines, a
// message prompt left in silence.
func automatic(move string) bool {
	switch move {
	case moveRedirect, moveNoAnswer, moveDeclined, moveNoMessage:
		return true
	}
	return false
}

// next returns the state a policy caller goes to from s (policy is
// moveNoInput or "press K"), or "" where the call ends.
func (s *state) next(policy string) string {
	for _, ed := range s.edges {
		if ed.move == policy {
			return ed.to
		}
	}
	for _, ed := range s.edges {
		if ed.move == moveRedirect || ed.move == moveNoAnswer || ed.move == moveNoMessage {
			return ed.to
		}
	}
	return ""
}

// follow walks the policy caller's call from key until it ends.
func (e *Explorer) follow(states map[string]*state, key, policy string) Ending {
	end := Ending{Rings: map[string]int{}}
	seen := map[string]bool{}
	for steps := 0; ; steps++ {
		s := states[key]
		if s == nil || s.doc == nil {
			end.Problem = "reaches an error answer"
			return end
		}
		if seen[key] {
			end.Problem = "goes round a loop and is never let go"
			return end
		}
		seen[key] = true
		end.Webhooks++
		nextKey := s.next(policy)
		end.Seconds += docSeconds(s.doc, policy, e.rate())
		if nextKey == "" {
			switch {
			case s.ending != "":
				end.Problem = "reaches a dead end"
			case s.doc.Last() != nil && s.doc.Last().Name == "Hangup":
				end.Goodbye = len(e.FarewellTexts) == 0 || saysAny(s.doc.Said(), e.FarewellTexts)
				if !end.Goodbye {
					end.Problem = "is hung up on without the crisis line before the goodbye"
				}
			default:
				end.Problem = "is left waiting with nothing more to hear"
			}
			return end
		}
		for _, ed := range s.edges {
			if ed.to == nextKey {
				end.Trail = append(end.Trail, ed.move)
				if ed.move == moveNoAnswer || ed.move == moveDeclined {
					if d := s.doc.First("Dial"); d != nil {
						if u, err := url.Parse(d.Attrs["action"]); err == nil && u.Query().Get("s") == "0" {
							end.Rings[u.Query().Get("g")]++
						}
					}
				}
				break
			}
		}
		key = nextKey
	}
}

// docSeconds is how long a document takes for a policy caller: every word
// said, each wait for input (a silent caller waits out every timeout), each
// ring.
func docSeconds(doc *Node, policy string, wpm float64) float64 {
	secs := 0.0
	attr := func(v *Node, name string, def int) float64 {
		if n, err := strconv.Atoi(v.Attrs[name]); err == nil {
			return float64(n)
		}
		return float64(def)
	}
	for _, v := range doc.Children {
		switch v.Name {
		case "Say":
			secs += wordSeconds(v.Text, wpm)
		case "Pause":
			secs += attr(v, "length", 1)
		case "Gather":
			for _, c := range v.All("Say") {
				secs += wordSeconds(c.Text, wpm)
			}
			if policy != moveNoInput {
				return secs // the key is pressed once the prompt is heard
			}
			secs += attr(v, "timeout", 5)
			if v.Attrs["actionOnEmptyResult"] == "true" {
				return secs
			}
		case "Dial":
			return secs + attr(v, "timeout", 30)
		case "Record":
			return secs + attr(v, "timeout", 5)
		}
	}
	return secs
}

// Words counts spoken words the way they are said: "9 1 1" is three.
func Words(text string) int {
	return len(strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' }))
}

func wordSeconds(text string, wpm float64) float64 {
	return float64(Words(text)) * 60 / wpm
}

// rate is the walk's speaking rate.
func (e *Explorer) rate() float64 {
	if e.WordsPerMinute > 0 {
		return e.WordsPerMinute
	}
	return englishRate()
}

var pressKey = regexp.MustCompile(`(?i)\b(?:press|oprima) ([0-9*#])\b`)

// optionWords counts, for each key a document names, the words said up to
// the end of the first sentence that names it.
func optionWords(doc *Node) map[string]int {
	out := map[string]int{}
	words := 0
	for _, s := range doc.All("Say") {
		for _, sentence := range splitSentences(s.Text) {
			words += Words(sentence)
			for _, m := range pressKey.FindAllStringSubmatch(sentence, -1) {
				if _, ok := out[m[1]]; !ok {
					out[m[1]] = words
				}
			}
		}
	}
	return out
}

func splitSentences(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		if r == '.' || r == '?' || r == '!' {
			out = append(out, text[start:i+1])
			start = i + 1
		}
	}
	if strings.TrimSpace(text[start:]) != "" {
		out = append(out, text[start:])
	}
	return out
}

// cycle returns the states of a cycle among the moves of a caller who does
// not help themselves (no input, the wrong key, and what happens without a
// choice), from any state reached, or nil.
func cycle(states map[string]*state, wrong string) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found []string
	var visit func(k string) bool
	visit = func(k string) bool {
		color[k] = grey
		stack = append(stack, k)
		s := states[k]
		if s != nil {
			for _, ed := range s.edges {
				if !automatic(ed.move) && ed.move != moveNoInput && (wrong == "" || ed.move != wrong) {
					continue
				}
				switch color[ed.to] {
				case grey:
					for i, sk := range stack {
						if sk == ed.to {
							found = append([]string(nil), stack[i:]...)
						}
					}
					return true
				case white:
					if visit(ed.to) {
						return true
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[k] = black
		return false
	}
	// Every reachable state may start a cycle: a caller can stop helping
	// themselves anywhere.
	for _, k := range sortedKeys(states) {
		if color[k] == white && visit(k) {
			return found
		}
	}
	return nil
}

func describeCycle(states map[string]*state, cyc []string) string {
	var parts []string
	for _, k := range cyc {
		parts = append(parts, pathOf(states[k].url))
	}
	return strings.Join(parts, " > ")
}

func sortedKeys(states map[string]*state) []string {
	keys := make([]string, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func pathOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Path
}

// stateKey identifies a request: its path and whole query (without the
// configuration version, and with a sealed number's value, which changes
// on every request, left out) and the input fields.
func stateKey(u string, form url.Values) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	if q.Has("num") {
		q.Set("num", "sealed")
	}
	q.Del("cv")
	var b strings.Builder
	b.WriteString(p.Path + "?" + q.Encode())
	for _, k := range []string{"CallSid", "From", "Digits", "SpeechResult", "DialCallStatus", "DialBridged", "RecordingDuration"} {
		b.WriteString("|" + form.Get(k))
	}
	return b.String()
}

func with(base url.Values, kv ...string) url.Values {
	f := url.Values{}
	for k, v := range base {
		f[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// successors lists the requests a document can lead to, or explains why the
// call would end badly after it.
func (e *Explorer) successors(doc *Node, s *state, base url.Values) ([]*state, string) {
	var out []*state
	step := func(u string, form url.Values, move string) {
		trail := append(append([]string(nil), s.trail...), move)
		leg := s.leg || strings.HasPrefix(move, moveWhisperPre)
		out = append(out, &state{url: u, form: form, trail: trail, leg: leg})
	}
	for i, verb := range doc.Children {
		last := i == len(doc.Children)-1
		switch verb.Name {
		case "Say", "Play", "Pause":
		case "Hangup":
			if (i == 0 || doc.Children[i-1].Name != "Say") && !s.leg {
				return out, "a bare hangup with nothing said before it"
			}
			return out, ""
		case "Redirect":
			step(verb.Text, base, moveRedirect)
			return out, ""
		case "Gather":
			keys := e.Keys
			if e.WrongKey != "" {
				keys = append(append([]string(nil), keys...), e.WrongKey)
			}
			for _, k := range keys {
				step(verb.Attrs["action"], with(base, "Digits", k), "press "+k)
			}
			if verb.Attrs["actionOnEmptyResult"] == "true" {
				step(verb.Attrs["action"], base, moveNoInput)
				return out, ""
			}
			if last && !s.leg {
				return out, "a <Gather> that ends the call when nothing is pressed"
			}
			// No input falls through to the next verb.
		case "Dial":
			if verb.Attrs["action"] == "" {
				if last {
					return out, "a <Dial> without an action: the call ends when nobody answers"
				}
				continue // the next verb runs after the dial
			}
			for _, n := range verb.Children {
				if u := n.Attrs["url"]; u != "" {
					step(u, with(base, "CallSid", CallSID("explorer leg"), "ParentCallSid", base.Get("CallSid")), moveWhisperPre+n.Text)
					break
				}
			}
			act := verb.Attrs["action"]
			step(act, with(base, "DialCallStatus", "no-answer"), moveNoAnswer)
			step(act, with(base, "DialCallStatus", "completed", "DialBridged", "false", "DialCallDuration", "9"), moveDeclined)
			step(act, with(base, "DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "60"), moveAnswered)
			return out, ""
		case "Record":
			act := verb.Attrs["action"]
			step(act, with(base, "RecordingSid", "RE0123456789abcdef0123456789abcdef", "RecordingUrl", "https://api.twilio.com/x", "RecordingDuration", "10"), moveMessage)
			step(act, with(base, "RecordingDuration", "0"), moveNoMessage)
			return out, ""
		}
		if last && !s.leg {
			return out, fmt.Sprintf("the call ends in silence after <%s>", verb.Name)
		}
	}
	if len(doc.Children) == 0 && !s.leg {
		return out, "an empty response: the call ends in silence"
	}
	return out, "" // on the scheduler's leg, ending or bridging is the point
}

// saysAny reports whether said holds one of texts.
func saysAny(said string, texts []string) bool {
	for _, t := range texts {
		if t != "" && strings.Contains(said, t) {
			return true
		}
	}
	return false
}
