package simulate

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Explorer walks every path of a line: at each prompt it tries every key in
// Keys and no input, at each ring every outcome, at each message prompt a
// message and none, and reports each answer that would leave a caller in
// silence, with a bare hangup, in an internal error, or in a loop that needs
// no input from the caller.
type Explorer struct {
	Transport Transport
	VoiceURL  string
	From, To  string
	Keys      []string // key sequences to try at every prompt
	// ErrorText is what the line says after an internal error (its apology).
	ErrorText string
	MaxSteps  int // bound on webhooks (default 20000)
}

// Finding is one problem on one path.
type Finding struct {
	Trail   string // the inputs that lead there, e.g. "press 2 > press 1"
	Problem string
}

type visit struct {
	url   string
	form  url.Values
	trail []string
	chain []string // states reached since the caller last gave input
	leg   bool     // the scheduler's leg (whisper), not the caller's
}

// Explore walks the tree and returns how many webhooks it made and what it found.
func (e *Explorer) Explore(ctx context.Context) (int, []Finding, error) {
	if e.MaxSteps <= 0 {
		e.MaxSteps = 20000
	}
	base := url.Values{"CallSid": {"CAexplorer000000000000000000000000"}, "From": {e.From}, "To": {e.To}, "CallStatus": {"in-progress"}}
	seen := map[string]bool{}
	queue := []visit{{url: e.VoiceURL, form: base}}
	var findings []Finding
	found := map[string]bool{}
	add := func(trail []string, problem string) {
		if found[problem] {
			return // one report per problem is enough
		}
		found[problem] = true
		findings = append(findings, Finding{Trail: strings.Join(trail, " > "), Problem: problem})
	}
	steps := 0
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		key := stateKey(v.url, v.form)
		for _, k := range v.chain {
			if k == key {
				add(v.trail, "a loop that needs no input from the caller through "+pathOf(v.url))
			}
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		v.chain = append(v.chain, key)
		steps++
		if steps > e.MaxSteps {
			return steps, findings, fmt.Errorf("more than %d states: stopped exploring", e.MaxSteps)
		}
		status, body, err := e.Transport.Post(ctx, v.url, v.form)
		if err != nil {
			return steps, findings, err
		}
		if status != 200 {
			add(v.trail, fmt.Sprintf("%s answers %d: Twilio would play its application error", pathOf(v.url), status))
			continue
		}
		doc, err := ParseTwiML(body)
		if err != nil {
			add(v.trail, fmt.Sprintf("%s: %v", pathOf(v.url), err))
			continue
		}
		if e.ErrorText != "" && strings.Contains(doc.Said(), e.ErrorText) {
			add(v.trail, "an internal error (the apology) after "+pathOf(v.url))
		}
		next, problem := e.successors(doc, v, base)
		if problem != "" {
			add(v.trail, problem+" at "+pathOf(v.url))
		}
		queue = append(queue, next...)
	}
	sort.Slice(findings, func(i, j int) bool { return findings[i].Problem < findings[j].Problem })
	return steps, findings, nil
}

func pathOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Path
}

// stateKey identifies a request: its path and query (without the sealed
// number and the configuration version, which change from call to call) and
// the input fields.
func stateKey(u string, form url.Values) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	q.Del("num")
	q.Del("cv")
	var b strings.Builder
	b.WriteString(p.Path + "?" + q.Encode())
	for _, k := range []string{"From", "Digits", "SpeechResult", "DialCallStatus", "RecordingDuration"} {
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
func (e *Explorer) successors(doc *Node, v visit, base url.Values) ([]visit, string) {
	var out []visit
	step := func(u string, form url.Values, input string) {
		trail := append(append([]string(nil), v.trail...), input)
		var chain []string
		if input == "(redirect)" || input == "(no input)" {
			chain = append([]string(nil), v.chain...)
		}
		leg := v.leg || strings.HasPrefix(input, "whisper to ")
		out = append(out, visit{url: u, form: form, trail: trail, chain: chain, leg: leg})
	}
	for i, verb := range doc.Children {
		switch verb.Name {
		case "Say", "Play", "Pause":
		case "Hangup":
			if (i == 0 || doc.Children[i-1].Name != "Say") && !v.leg {
				return out, "a bare hangup with nothing said before it"
			}
			return out, ""
		case "Redirect":
			step(verb.Text, base, "(redirect)")
			return out, ""
		case "Gather":
			for _, k := range e.Keys {
				step(verb.Attrs["action"], with(base, "Digits", k), "press "+k)
			}
			if verb.Attrs["actionOnEmptyResult"] == "true" {
				step(verb.Attrs["action"], base, "(no input)")
				return out, ""
			}
		case "Dial":
			if verb.Attrs["action"] == "" {
				if i == len(doc.Children)-1 {
					return out, "a <Dial> without an action: the call ends when nobody answers"
				}
				continue // the next verb runs after the dial
			}
			for _, n := range verb.Children {
				if u := n.Attrs["url"]; u != "" {
					step(u, with(base, "CallSid", "CAleg", "ParentCallSid", base.Get("CallSid")), "whisper to "+n.Text)
					break
				}
			}
			step(verb.Attrs["action"], with(base, "DialCallStatus", "no-answer"), "nobody answers")
			step(verb.Attrs["action"], with(base, "DialCallStatus", "completed", "DialCallDuration", "60"), "answered")
			return out, ""
		case "Record":
			step(verb.Attrs["action"], with(base, "RecordingSid", "REexplorer", "RecordingUrl", "https://api.twilio.com/x", "RecordingDuration", "10"), "leaves a message")
		default:
		}
		if i == len(doc.Children)-1 && !v.leg {
			return out, fmt.Sprintf("the call ends in silence after <%s>", verb.Name)
		}
	}
	if len(doc.Children) == 0 && !v.leg {
		return out, "an empty response: the call ends in silence"
	}
	return out, "" // on the scheduler's leg, ending or bridging is the point
}
