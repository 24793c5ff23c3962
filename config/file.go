package config

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
	"github.com/switchboard-clinic/switchboard/routing"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the built-in configuration for the first clinic.
func DefaultYAML() []byte {
	return append([]byte(nil), defaultYAML...)
}

// File is the YAML document that describes a line, as written by an
// administrator. Load turns it into a validated routing.Line.
type File struct {
	Practice   string `yaml:"practice"`
	MainNumber string `yaml:"mainNumber"`
	Timezone   string `yaml:"timezone"`
	Voice      string `yaml:"voice"`
	// AcceptNonHIPAAVoices lets a voice outside Twilio's HIPAA-eligible
	// text-to-speech (its basic and Amazon Polly voices) be used: the
	// practice accepts that prompts are sent to that provider.
	AcceptNonHIPAAVoices bool                `yaml:"acceptNonHipaaVoices"`
	Language             string              `yaml:"language"`
	Hours                map[string][]string `yaml:"hours"`
	Holidays             Holidays            `yaml:"holidays"`
	Prompts              map[string]string   `yaml:"prompts"` // by name (routing.PromptSpecs); empty ones take the built-in text
	Retries              Retries             `yaml:"retries"`
	Fallback             string              `yaml:"fallback"`
	Menu                 []Option            `yaml:"menu"`
	Extensions           []Extension         `yaml:"extensions"`
	RingGroups           map[string]Group    `yaml:"ringGroups"`
	Info                 map[string]Info     `yaml:"info"`
	Callback             Callback            `yaml:"callback"`
	// Crisis says where a caller in distress is put through, and adds
	// phrases to the built-in ones that recognise distress.
	Crisis Crisis `yaml:"crisis"`
	// Languages are the other languages callers may choose, by two-letter
	// code ("es"): each gives the whole call in that language.
	Languages map[string]Language `yaml:"languages"`
}

// Crisis configures the crisis response: what a caller who says words of
// distress ("suicide", "emergency") hears and where they are put through.
// The built-in phrases and the crisis line cannot be removed.
type Crisis struct {
	// RingGroup is rung at once while open (default: the fallback group).
	RingGroup string `yaml:"ringGroup"`
	// Lifeline is the number a caller may be connected to when nobody at the
	// practice can answer (default +18002738255, which routes to the 988
	// Suicide & Crisis Lifeline).
	Lifeline      string `yaml:"lifeline"`
	DistressWords `yaml:",inline"`
}

// DistressWords add phrases to the built-in ones of a language.
type DistressWords struct {
	Say       []string `yaml:"say"`       // more crisis phrases
	Plea      []string `yaml:"plea"`      // more pleas ("I need help"): a person, never "not an option"
	Therapist []string `yaml:"therapist"` // more ways to ask for one's therapist
}

// Callback configures callback requests.
type Callback struct {
	MaxMessageSeconds int  `yaml:"maxMessageSeconds"` // default 120
	Transcribe        bool `yaml:"transcribe"`
	ClaimMinutes      int  `yaml:"claimMinutes"`  // default 30
	RetentionDays     int  `yaml:"retentionDays"` // default 30
	// DeadlineHours is how long a request may wait, in office hours (default 4).
	DeadlineHours float64 `yaml:"deadlineHours"`
	// DeleteRecordings deletes a message's recording from Twilio when its
	// request is completed.
	DeleteRecordings bool `yaml:"deleteRecordings"`
	// NotifySMS lists numbers told by SMS (no client details) of each new request.
	NotifySMS []string `yaml:"notifySms"`
	// Countries are the ISO 3166 regions whose numbers the practice calls
	// back (default US and CA); calls elsewhere cost it money.
	Countries []string `yaml:"countries"`
	// MissedCalls turns a call that reached nobody and left no request
	// into a "missed call" request (default on; false turns it off).
	MissedCalls *bool `yaml:"missedCalls"`
	// MissedCallSeconds is the shortest call that counts as missed
	// (default 10): a shorter one was most likely a wrong number.
	MissedCallSeconds int `yaml:"missedCallSeconds"`
	// MissedCallText is the optional SMS to a missed caller (off by default).
	MissedCallText MissedCallText `yaml:"missedCallText"`
}

// MissedCallText configures the SMS a missed caller gets: at most one a day
// per number, never to a withheld, foreign, premium-rate or own number, nor
// to one that replied STOP. Text may hold {number}, the practice's main
// number written for reading; each other language's wording is
// languages.<code>.missedCallText (built in for es).
type MissedCallText struct {
	Enabled bool   `yaml:"enabled"`
	Text    string `yaml:"text"` // default DefaultMissedCallText
}

// Holidays lists the days the practice is closed.
type Holidays struct {
	// US names US public holidays by key (see USHolidayNames); observed dates apply.
	US    []string  `yaml:"us"`
	Dates []Closure `yaml:"dates"`
}

// Closure is one of the practice's own closed days.
type Closure struct {
	Date string `yaml:"date"` // YYYY-MM-DD
	Name string `yaml:"name"`
}

// Retries bounds how long a caller can stay in a menu.
type Retries struct {
	MaxTries      int `yaml:"maxTries"`
	GatherSeconds int `yaml:"gatherSeconds"`
}

// Option is a menu entry.
type Option struct {
	Digit string   `yaml:"digit"`
	Say   []string `yaml:"say"`
	Label string   `yaml:"label"`
	// ClosedLabel is said instead of Label while the practice is closed; a
	// ring option without one says "To leave a request for a call back".
	ClosedLabel string `yaml:"closedLabel"`
	Action      string `yaml:"action"`
	Target      string `yaml:"target"`
}

// Extension is a directory entry. It rings either a ring group (Group) or one
// destination (Dial).
type Extension struct {
	Number     string   `yaml:"number"`
	Name       string   `yaml:"name"`
	Say        []string `yaml:"say"`
	Group      string   `yaml:"group"`
	Dial       string   `yaml:"dial"`
	RingSecs   int      `yaml:"ringSeconds"`
	AfterHours bool     `yaml:"afterHours"`
}

// Group is a ring group.
type Group struct {
	Strategy       string   `yaml:"strategy"`
	Members        []string `yaml:"members"`
	RingSeconds    int      `yaml:"ringSeconds"`
	MaxRingSeconds int      `yaml:"maxRingSeconds"`
	Screen         *bool    `yaml:"screen"`
	CallerID       string   `yaml:"callerId"`
	// Title names the group in the whisper ("Scheduling call from the main
	// line"); default: the group's name, capitalised.
	Title string `yaml:"title"`
	// DutyHours are members' weekly hours on duty, by member as listed in
	// members (like hours:); outside them a member is away unless they
	// switch themselves on. Members not listed are on duty until they
	// switch themselves away.
	DutyHours map[string]map[string][]string `yaml:"dutyHours"`
	// Speaks lists, by language code, the members who speak it to callers
	// ("es": the Spanish speakers): calls in that language ring them first.
	Speaks map[string][]string `yaml:"speaks"`
}

// Info is an information message read to callers.
type Info struct {
	Title    string   `yaml:"title"`
	Say      string   `yaml:"say"`
	AudioURL string   `yaml:"audioUrl"`
	Options  []Option `yaml:"options"`
}

// Problem is one thing wrong with a configuration file, tied to the field.
type Problem struct {
	Path    string // e.g. menu[1].digit
	Line    int    // 0 when unknown
	Message string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Path, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Path, p.Message)
}

// Error is returned by Load when the file is not a usable configuration. It
// lists every problem found, not just the first.
type Error struct {
	Source   string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s)", e.Source, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// maxFileSize is far above any real line's configuration (the default is
// about 5 KiB) and keeps a damaged or wrong file from costing much.
const maxFileSize = 1 << 20

// LoadFile reads and validates the configuration at path, or the built-in
// default when path is empty.
func LoadFile(path string) (*routing.Line, error) {
	if path == "" {
		return Load("built-in default", DefaultYAML())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Load(path, data)
}

// Load parses and validates a configuration document. source names it in
// messages. Every problem is reported in one *Error.
func Load(source string, data []byte) (*routing.Line, error) {
	if len(data) > maxFileSize {
		return nil, &Error{Source: source, Problems: []Problem{{Path: "(file)", Message: fmt.Sprintf("the file is %d bytes; a line's configuration is at most %d", len(data), maxFileSize)}}}
	}
	var f File
	if err := decode(data, &f); err != nil {
		return nil, &Error{Source: source, Problems: []Problem{{Path: "(file)", Message: err.Error()}}}
	}
	line, problems := f.build()
	if len(problems) > 0 {
		addLines(data, problems)
		return nil, &Error{Source: source, Problems: problems}
	}
	sum := sha256.Sum256(data)
	line.SetVersion(hex.EncodeToString(sum[:4]))
	return line, nil
}

// decode parses the YAML strictly. The YAML library panics on some malformed
// documents (found by fuzzing); that becomes an error like any other, so a
// bad file never takes the service down.
func decode(data []byte, f *File) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML is malformed (the parser gave up: %v)", r)
		}
	}()
	if err := yaml.UnmarshalWithOptions(data, f, yaml.DisallowUnknownField()); err != nil {
		return errors.New(yaml.FormatError(err, false, false))
	}
	return nil
}

// addLines finds the line of each problem's field in the document.
func addLines(data []byte, problems []Problem) {
	defer func() { _ = recover() }() // line numbers are a courtesy; see decode
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return
	}
	for i := range problems {
		p := problems[i].Path
		// Walk up from the field to its parent until something is found.
		for p != "" {
			path, err := yaml.PathString("$." + p)
			if err == nil {
				if node, err := path.FilterFile(file); err == nil && node != nil && node.GetToken() != nil {
					problems[i].Line = node.GetToken().Position.Line
					break
				}
			}
			cut := strings.LastIndexAny(p, ".[")
			if cut <= 0 {
				break
			}
			p = p[:cut]
		}
	}
}

// AsError reports whether err holds a configuration *Error.
func AsError(err error) (*Error, bool) {
	var ce *Error
	ok := errors.As(err, &ce)
	return ce, ok
}
