// Package simulate acts like Twilio, for the call simulator, the
// configuration checker, the benchmarks and the tests: it signs webhooks as
// Twilio signs them (sign.go), parses TwiML into a tree (twiml.go), and walks
// calls through Switchboard exactly as Twilio would:
// it posts (and signs) each webhook, follows Gather, Redirect, Dial (with the
// scheduler's whisper), Record and their action URLs, and reports what the
// caller hears and where the call goes. The call simulator command and the
// configuration checker use it, against a running service or in process.
package simulate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
)

// Transport posts a webhook to Switchboard: fullURL is the URL Twilio would
// call (the one it signs).
type Transport interface {
	Post(ctx context.Context, fullURL string, form url.Values) (status int, body []byte, err error)
}

// HTTP posts to a running Switchboard at Target (scheme and host), signing
// each request for the URL in the TwiML when Token is set.
type HTTP struct {
	Client *http.Client
	Target *url.URL
	Token  string
	// SimulatedTime (RFC 3339), when set, asks a service in local mode to
	// answer as if it were that time; a service that checks signatures
	// ignores it, and Post then fails rather than mislead.
	SimulatedTime string
}

// Post implements Transport.
func (h HTTP) Post(ctx context.Context, fullURL string, form url.Values) (int, []byte, error) {
	u, err := url.Parse(fullURL)
	if err != nil {
		return 0, nil, fmt.Errorf("bad URL in TwiML %q: %w", fullURL, err)
	}
	sent := *u
	sent.Scheme, sent.Host = h.Target.Scheme, h.Target.Host
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sent.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if h.Token != "" {
		req.Header.Set("X-Twilio-Signature", Sign(h.Token, fullURL, form))
	}
	if h.SimulatedTime != "" {
		req.Header.Set(simulatedTimeHeader, h.SimulatedTime)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("POST %s: %w", sent.Path, err)
	}
	defer resp.Body.Close()
	if h.SimulatedTime != "" && resp.StatusCode == http.StatusOK && resp.Header.Get(simulatedTimeHeader) != "honoured" {
		return 0, nil, errors.New("the service ignored --at (it checks signatures, so its clock is its own): use --local to simulate in process")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// simulatedTimeHeader is ivr.SimulatedTimeHeader (not imported: the
// simulator talks to Switchboard only through HTTP).
const simulatedTimeHeader = "X-Switchboard-Simulated-Time"

// Handler posts to an in-process Switchboard (its http.Handler).
type Handler struct {
	H     http.Handler
	Token string
}

// Post implements Transport.
func (h Handler) Post(ctx context.Context, fullURL string, form url.Values) (int, []byte, error) {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, fullURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if h.Token != "" {
		req.Header.Set("X-Twilio-Signature", Sign(h.Token, fullURL, form))
	}
	rec := httptest.NewRecorder()
	h.H.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes(), nil
}

// Input is one thing that happens on the call when Switchboard waits.
type Input struct {
	Kind  string // press, say, silence, dial, record, hangup
	Value string // digits, words, a DialCallStatus, seconds
}

func (in Input) String() string {
	if in.Value == "" {
		return in.Kind
	}
	return in.Kind + " " + in.Value
}

// ParseInput reads "press 0", "say scheduling please", "silence", "dial
// no-answer", "record 12" or "hangup". Bare digits mean press; other bare
// words mean say.
func ParseInput(s string) (Input, error) {
	s = strings.TrimSpace(s)
	kind, rest, _ := strings.Cut(s, " ")
	rest = strings.TrimSpace(rest)
	switch kind {
	case "press":
		if rest == "" || strings.Trim(rest, "0123456789*#") != "" {
			return Input{}, fmt.Errorf("press takes keys (0-9, *, #), got %q", rest)
		}
		return Input{Kind: "press", Value: rest}, nil
	case "say":
		if rest == "" {
			return Input{}, errors.New("say takes words")
		}
		return Input{Kind: "say", Value: rest}, nil
	case "silence", "hangup":
		return Input{Kind: kind}, nil
	case "dial":
		switch rest {
		case "answered", "completed", "declined", "voicemail", "no-answer", "busy", "failed", "canceled":
			return Input{Kind: "dial", Value: rest}, nil
		}
		return Input{}, fmt.Errorf("dial takes answered, declined, voicemail, no-answer, busy, failed or canceled, got %q", rest)
	case "record":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return Input{}, fmt.Errorf("record takes seconds, got %q", rest)
		}
		return Input{Kind: "record", Value: rest}, nil
	case "":
		return Input{Kind: "silence"}, nil
	}
	if strings.Trim(s, "0123456789*#") == "" {
		return Input{Kind: "press", Value: s}, nil
	}
	return Input{Kind: "say", Value: s}, nil
}

// Prompt tells a Source what the call waits for.
type Prompt struct {
	Kind string // gather, dial, record
	What string // a short description
}

// Source gives the next input; false ends the walk there.
type Source interface {
	Next(p Prompt) (Input, bool)
}

// Script plays a fixed list of inputs.
type Script struct {
	Inputs []Input
	i      int
}

// Next implements Source.
func (s *Script) Next(Prompt) (Input, bool) {
	if s.i >= len(s.Inputs) {
		return Input{}, false
	}
	s.i++
	return s.Inputs[s.i-1], true
}

// Call is one simulated call.
type Call struct {
	Transport Transport
	VoiceURL  string // the number's "a call comes in" URL
	From, To  string
	CallSid   string
	Source    Source
	Out       io.Writer // what the caller hears, step by step; may be nil
	MaxSteps  int       // bound on webhooks (default 100)
	// StatusURL, when set, is the number's "call status changes" URL: when
	// the call ends (Switchboard hangs up, or the caller does), it gets
	// CallStatus=completed with the call's length, as from Twilio.
	StatusURL string
	spoken    int // words said to the caller so far, for the call's length
}

// Result is where a call went.
type Result struct {
	Outcome  string   // a sentence
	Ended    bool     // Switchboard ended the call (after saying goodbye)
	Dialed   []string // the parties of the last Dial
	Steps    int
	DeadEnd  string // non-empty when the call would end in silence
	LastPath string
}

func (c *Call) printf(format string, args ...any) {
	if c.Out != nil {
		fmt.Fprintf(c.Out, format, args...)
	}
}

func (c *Call) form(extra ...string) url.Values {
	f := url.Values{"CallSid": {c.CallSid}, "AccountSid": {"ACsimulator000000000000000000000000"}, "From": {c.From}, "To": {c.To},
		"CallStatus": {"in-progress"}, "Direction": {"inbound"}, "ApiVersion": {"2010-04-01"}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// ErrDeadEnd is returned when a call would end in silence or a bare hangup.
var ErrDeadEnd = errors.New("the call reaches a dead end")

func (c *Call) post(ctx context.Context, res *Result, u string, form url.Values) (*Node, error) {
	res.Steps++
	if res.Steps > c.MaxSteps {
		return nil, fmt.Errorf("more than %d webhooks: a loop without a bound?", c.MaxSteps)
	}
	p, _ := url.Parse(u)
	res.LastPath = p.Path
	c.printf("-> POST %s\n", p.RequestURI())
	status, body, err := c.Transport.Post(ctx, u, form)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("POST %s answered %d: %s (Twilio would play its application error)", p.Path, status, bytes.TrimSpace(body))
	}
	doc, err := ParseTwiML(body)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", p.Path, err)
	}
	return doc, nil
}

// Run walks the call until it ends, the source has no more input, or it
// fails. A dead end is reported in Result.DeadEnd with ErrDeadEnd.
func (c *Call) Run(ctx context.Context) (Result, error) {
	if c.MaxSteps <= 0 {
		c.MaxSteps = 100
	}
	var res Result
	doc, err := c.post(ctx, &res, c.VoiceURL, c.form())
	for err == nil && doc != nil {
		doc, err = c.exec(ctx, &res, doc)
	}
	if err != nil {
		return res, err
	}
	if c.StatusURL != "" && (res.Ended || strings.HasPrefix(res.Outcome, "the caller hung up")) {
		if err := c.completed(ctx); err != nil {
			return res, err
		}
	}
	if res.DeadEnd != "" {
		return res, fmt.Errorf("%w: %s", ErrDeadEnd, res.DeadEnd)
	}
	return res, nil
}

// completed posts the status callback of a call that ended. Twilio sends
// CallStatus=completed with CallDuration, the call's length in seconds
// (https://www.twilio.com/docs/usage/webhooks/voice-webhooks#call-status-callbacks);
// here the length is the words said at English's rate, at least a second.
func (c *Call) completed(ctx context.Context) error {
	seconds := max(1, int(float64(c.spoken)*60/englishRate()))
	form := c.form("CallStatus", "completed", "CallDuration", strconv.Itoa(seconds))
	c.printf("-> POST %s (the call ended: %d s)\n", c.StatusURL, seconds)
	status, body, err := c.Transport.Post(ctx, c.StatusURL, form)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return fmt.Errorf("POST %s answered %d: %s", c.StatusURL, status, bytes.TrimSpace(body))
	}
	return nil
}

// exec runs one document's verbs and returns the next document, or nil when
// the walk ends here.
func (c *Call) exec(ctx context.Context, res *Result, doc *Node) (*Node, error) {
	for i, v := range doc.Children {
		last := i == len(doc.Children)-1
		switch v.Name {
		case "Say":
			c.printf("   says: %s\n", v.Text)
			c.spoken += len(strings.Fields(v.Text))
		case "Play":
			c.printf("   plays: %s\n", v.Text)
		case "Pause":
		case "Hangup":
			c.printf("   hangs up\n")
			res.Ended = true
			res.Outcome = "Switchboard ended the call"
			if i == 0 || doc.Children[i-1].Name != "Say" {
				res.DeadEnd = "a bare hangup with nothing said before it"
			}
			return nil, nil
		case "Redirect":
			return c.post(ctx, res, v.Text, c.form())
		case "Gather":
			// A keys-only gather that falls through to more verbs (the
			// greeting and crisis line before the menu) is listened to
			// whole: the simulated caller answers at the menu.
			if v.Attrs["actionOnEmptyResult"] != "true" && !last && !strings.Contains(v.Attrs["input"], "speech") {
				for _, s := range v.All("Say") {
					c.printf("   says: %s\n", s.Text)
					c.spoken += len(strings.Fields(s.Text))
				}
				continue
			}
			next, handled, err := c.gather(ctx, res, v)
			if handled || err != nil {
				return next, err
			}
		case "Dial":
			next, handled, err := c.dial(ctx, res, v)
			if handled || err != nil {
				return next, err
			}
		case "Record":
			next, handled, err := c.record(ctx, res, v)
			if handled || err != nil {
				return next, err
			}
		default:
			c.printf("   (%s, not simulated)\n", v.Name)
		}
		if last {
			res.DeadEnd = fmt.Sprintf("the call ends in silence after <%s> at %s", v.Name, res.LastPath)
			res.Outcome = "silence"
			return nil, nil
		}
	}
	if len(doc.Children) == 0 {
		res.DeadEnd = "an empty response at " + res.LastPath
		res.Outcome = "silence"
	}
	return nil, nil
}

func (c *Call) gather(ctx context.Context, res *Result, g *Node) (*Node, bool, error) {
	for _, s := range g.Children {
		switch s.Name {
		case "Say":
			c.printf("   says: %s\n", s.Text)
			c.spoken += len(strings.Fields(s.Text))
		case "Play":
			c.printf("   plays: %s\n", s.Text)
		}
	}
	what := "keys"
	if strings.Contains(g.Attrs["input"], "speech") {
		what = "keys or speech"
	}
	c.printf("   waits for %s\n", what)
	in, ok := c.Source.Next(Prompt{Kind: "gather", What: what})
	if !ok {
		res.Outcome = "waiting for the caller at " + res.LastPath
		return nil, true, nil
	}
	c.printf("   caller: %s\n", in)
	action := g.Attrs["action"]
	switch in.Kind {
	case "press":
		doc, err := c.post(ctx, res, action, c.form("Digits", strings.TrimSuffix(in.Value, "#")))
		return doc, true, err
	case "say":
		doc, err := c.post(ctx, res, action, c.form("SpeechResult", in.Value, "Confidence", "0.9"))
		return doc, true, err
	case "hangup":
		res.Outcome = "the caller hung up at " + res.LastPath
		return nil, true, nil
	}
	if g.Attrs["actionOnEmptyResult"] == "true" {
		doc, err := c.post(ctx, res, action, c.form())
		return doc, true, err
	}
	return nil, false, nil // no input: Twilio goes on with the next verb
}

func (c *Call) dial(ctx context.Context, res *Result, d *Node) (*Node, bool, error) {
	res.Dialed = nil
	screened := ""
	for _, n := range d.Children {
		res.Dialed = append(res.Dialed, n.Text)
		if n.Attrs["url"] != "" && screened == "" {
			screened = n.Attrs["url"]
		}
	}
	c.printf("   dials %s for %s s, caller ID %s\n", strings.Join(res.Dialed, ", "), d.Attrs["timeout"], d.Attrs["callerId"])
	in, ok := c.Source.Next(Prompt{Kind: "dial", What: "answered, declined, voicemail, no-answer, busy, failed"})
	if !ok {
		res.Outcome = "ringing " + strings.Join(res.Dialed, ", ")
		return nil, true, nil
	}
	if in.Kind == "hangup" {
		res.Outcome = "the caller hung up while it rang"
		return nil, true, nil
	}
	// What Twilio's Dial action reports: DialBridged says whether the legs
	// were connected; a screened leg declined in the whisper, or taken by
	// a voicemail, is completed with a duration but not bridged.
	status, duration, isBridged := in.Value, "0", "false"
	if in.Kind != "dial" {
		status = "no-answer"
	}
	switch status {
	case "answered", "completed":
		status, duration, isBridged = "completed", "60", "true"
		if screened != "" {
			if err := c.whisper(ctx, res, screened, res.Dialed[0], "1"); err != nil {
				return nil, true, err
			}
		}
		c.printf("   connected to %s\n", res.Dialed[0])
	case "declined", "voicemail":
		if screened != "" {
			key := "2"
			if status == "voicemail" {
				key = "" // a voicemail greeting presses nothing
			}
			if err := c.whisper(ctx, res, screened, res.Dialed[0], key); err != nil {
				return nil, true, err
			}
		}
		status, duration = "completed", "9"
	}
	c.printf("   dial result: %s (bridged: %s)\n", status, isBridged)
	if d.Attrs["action"] == "" {
		return nil, false, nil
	}
	doc, err := c.post(ctx, res, d.Attrs["action"], c.form("DialCallStatus", status, "DialBridged", isBridged, "DialCallDuration", duration, "DialCallSid", CallSID(c.CallSid+" leg")))
	return doc, true, err
}

// whisper plays the screening to the scheduler who answers, who presses 1.
// whisper plays the screening to the scheduler, who presses key ("1"
// accepts; anything else, or nothing, declines).
func (c *Call) whisper(ctx context.Context, res *Result, u, to, key string) error {
	leg := url.Values{"CallSid": {CallSID(c.CallSid + " leg")}, "ParentCallSid": {c.CallSid}, "From": {c.To}, "To": {to}, "CallStatus": {"in-progress"}}
	doc, err := c.post(ctx, res, u, leg)
	if err != nil {
		return err
	}
	g := doc.First("Gather")
	if g == nil {
		return fmt.Errorf("the whisper at %s has no <Gather>: the scheduler could not accept", u)
	}
	c.printf("   scheduler hears: %s\n", doc.Said())
	if key == "" {
		c.printf("   nobody presses anything\n")
	} else {
		c.printf("   scheduler presses %s\n", key)
	}
	leg.Set("Digits", key)
	answer, err := c.post(ctx, res, g.Attrs["action"], leg)
	if err != nil {
		return err
	}
	switch {
	case key == "1" && len(answer.Children) != 0:
		return fmt.Errorf("accepting the whisper did not bridge the call: %s", answer.Said())
	case key != "1" && (answer.Last() == nil || answer.Last().Name != "Hangup"):
		return fmt.Errorf("declining the whisper did not drop the scheduler's leg")
	}
	return nil
}

// recording is the form of a Record action: Twilio's RecordingSid and
// RecordingUrl for this call's message, and extra.
func (c *Call) recording(extra ...string) url.Values {
	sid := RecordingSID(c.CallSid)
	return c.form(append([]string{"RecordingSid", sid, "RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/ACsim/Recordings/" + sid}, extra...)...)
}

func (c *Call) record(ctx context.Context, res *Result, r *Node) (*Node, bool, error) {
	c.printf("   records a message of up to %s s (finish with #)\n", r.Attrs["maxLength"])
	in, ok := c.Source.Next(Prompt{Kind: "record", What: "record SECONDS, silence or hangup"})
	if !ok || in.Kind == "hangup" {
		res.Outcome = "the caller hung up during the message"
		if ok {
			// Twilio still posts the recording made so far.
			doc, err := c.post(ctx, res, r.Attrs["action"], c.recording("RecordingDuration", "3", "CallStatus", "completed"))
			_ = doc
			return nil, true, err
		}
		return nil, true, nil
	}
	if in.Kind == "record" || in.Kind == "say" {
		secs := in.Value
		if in.Kind == "say" {
			secs = strconv.Itoa(max(2, len(strings.Fields(in.Value))/2))
		}
		doc, err := c.post(ctx, res, r.Attrs["action"], c.recording("RecordingDuration", secs, "Digits", "#"))
		return doc, true, err
	}
	return nil, false, nil // silence: Twilio goes on with the next verb
}
