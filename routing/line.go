package routing

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// ActionKind names what a menu option does.
type ActionKind string

// The actions a menu option can take.
const (
	ActionRing      ActionKind = "ring"      // ring a ring group (Target: group name)
	ActionExtension ActionKind = "extension" // ring an extension (Target: extension number)
	ActionInfo      ActionKind = "info"      // read an information message (Target: message id)
	ActionCallback  ActionKind = "callback"  // take a callback request
	ActionRepeat    ActionKind = "repeat"    // say the current menu again
	ActionMenu      ActionKind = "menu"      // return to the main menu
)

// Action is what happens when an option is chosen.
type Action struct {
	Kind   ActionKind
	Target string
}

// String renders the action as "ring scheduling" or "repeat".
func (a Action) String() string {
	if a.Target == "" {
		return string(a.Kind)
	}
	return string(a.Kind) + " " + a.Target
}

// Option is one entry of a menu: a key, the phrases that select it by voice,
// the words that describe it in the spoken menu, and its action.
type Option struct {
	Digit   string
	Phrases []string
	// Label completes the sentence "<Label>, press <Digit>", e.g. "To reach scheduling".
	Label  string
	Action Action
}

// Extension is a number a caller may dial at any time during the greeting and
// the main menu; Name and Phrases let callers say it instead.
type Extension struct {
	Number     string
	Name       string
	Phrases    []string
	Group      string // ring group rung for this extension
	AfterHours bool   // whether it rings when the practice is closed
}

// Info is a message read to callers (for example the group-therapy
// information), followed by its own small menu.
type Info struct {
	ID       string
	Title    string
	Say      string
	AudioURL string
	Options  []Option
}

// Line is the whole description of a phone line: what the practice is
// called, when it is open, what callers hear and where their calls go.
type Line struct {
	// Version identifies the configuration (a hash of its file), so that a
	// call can finish on the configuration it started with after a reload.
	Version    string
	Practice   string
	MainNumber string // E.164
	Voice      string
	Language   string
	Schedule   Schedule
	Prompts    Prompts
	Menu       []Option
	Extensions []Extension
	Groups     map[string]Group
	Info       map[string]Info
	// MaxTries is how many invalid or empty answers a caller may give before
	// the call is routed on (to Fallback when open, to a callback when closed).
	MaxTries int
	// Fallback is the ring group that takes calls when the caller cannot
	// use the menu, and the group behind "scheduling".
	Fallback string
	// GatherSeconds is the pause that ends a key sequence.
	GatherSeconds int
	// Callback configures callback capture and the queue.
	Callback CallbackSettings
}

// CallbackSettings configure callback requests.
type CallbackSettings struct {
	// MaxMessageSeconds bounds the caller's voice message.
	MaxMessageSeconds int
	// Transcribe asks Twilio to transcribe messages (only 2 to 120 seconds).
	Transcribe bool
	// ClaimTTL is how long a claim may stay unfinished before the request
	// returns to the queue.
	ClaimTTL time.Duration
	// Retention is how long finished requests are kept.
	Retention time.Duration
	// Deadline is how long a request may wait, counted in office hours.
	Deadline time.Duration
	// DeleteRecordings deletes recordings from Twilio on completion.
	DeleteRecordings bool
	// NotifySMS are numbers that get an SMS (no client details) per new request.
	NotifySMS []string
}

// ChoiceKind classifies what the caller said or pressed.
type ChoiceKind int

// The kinds of Choice.
const (
	ChoiceNone      ChoiceKind = iota // no input at all
	ChoiceInvalid                     // input that matches nothing
	ChoiceOption                      // a menu option
	ChoiceExtension                   // an extension from the directory
)

// Choice is the result of matching caller input against a menu.
type Choice struct {
	Kind      ChoiceKind
	Option    Option
	Extension Extension
}

// Choose matches a key sequence or a speech result against options and, when
// extensions is true, the extension directory. Digits win over speech.
func (l *Line) Choose(options []Option, digits, speech string, extensions bool) Choice {
	digits = strings.TrimSpace(strings.TrimSuffix(digits, "#"))
	if digits != "" {
		return l.chooseDigits(options, digits, extensions)
	}
	words := Words(speech)
	if len(words) == 0 {
		return Choice{Kind: ChoiceNone}
	}
	// A spoken number ("one oh one", "101") is treated like keys.
	if d := SpokenDigits(words); d != "" {
		if c := l.chooseDigits(options, d, extensions); c.Kind != ChoiceInvalid {
			return c
		}
	}
	best, bestLen := Choice{Kind: ChoiceInvalid}, 0
	for _, o := range options {
		if n := matchPhrases(words, o.Phrases); n > bestLen {
			best, bestLen = Choice{Kind: ChoiceOption, Option: o}, n
		}
	}
	if extensions {
		for _, e := range l.Extensions {
			phrases := append([]string{e.Name}, e.Phrases...)
			if n := matchPhrases(words, phrases); n > bestLen {
				best, bestLen = Choice{Kind: ChoiceExtension, Extension: e}, n
			}
		}
	}
	return best
}

func (l *Line) chooseDigits(options []Option, digits string, extensions bool) Choice {
	for _, o := range options {
		if o.Digit == digits {
			return Choice{Kind: ChoiceOption, Option: o}
		}
	}
	if extensions {
		if e, ok := l.Extension(digits); ok {
			return Choice{Kind: ChoiceExtension, Extension: e}
		}
	}
	return Choice{Kind: ChoiceInvalid}
}

// Extension looks an extension up by its number.
func (l *Line) Extension(number string) (Extension, bool) {
	for _, e := range l.Extensions {
		if e.Number == number {
			return e, true
		}
	}
	return Extension{}, false
}

// Hints lists the phrases the speech recogniser should expect for a menu:
// the options' phrases and, when extensions is true, the directory's names.
func (l *Line) Hints(options []Option, extensions bool) []string {
	seen := map[string]bool{}
	var hints []string
	add := func(p string) {
		p = strings.TrimSpace(p)
		if p != "" && !seen[strings.ToLower(p)] {
			seen[strings.ToLower(p)] = true
			hints = append(hints, p)
		}
	}
	for _, o := range options {
		for _, p := range o.Phrases {
			add(p)
		}
	}
	if extensions {
		for _, e := range l.Extensions {
			add(e.Name)
			for _, p := range e.Phrases {
				add(p)
			}
		}
	}
	return hints
}

// MenuPrompt is the spoken main menu: the configured text, or one sentence
// per option built from its label.
func (l *Line) MenuPrompt() string {
	if l.Prompts.Menu != "" {
		return l.Prompts.Menu
	}
	return OptionsPrompt(l.Menu)
}

// OptionsPrompt builds "To reach scheduling, press 0 or say scheduling." for
// each option that has a label, in digit order.
func OptionsPrompt(options []Option) string {
	sorted := append([]Option(nil), options...)
	sort.SliceStable(sorted, func(i, j int) bool { return digitOrder(sorted[i].Digit) < digitOrder(sorted[j].Digit) })
	var b strings.Builder
	for _, o := range sorted {
		if o.Label == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s, press %s", o.Label, o.Digit)
		if len(o.Phrases) > 0 {
			fmt.Fprintf(&b, " or say %s", o.Phrases[0])
		}
		b.WriteString(".")
	}
	return b.String()
}

// digitOrder puts 1-9 first and 0 after them, as phone keypads are read.
func digitOrder(d string) string {
	if d == "0" {
		return "9z"
	}
	return d
}

// WaitingAge is how long a callback request made at created has waited at
// now, counted in office hours only: a request left on Friday evening has
// waited five minutes at 08:05 on Monday.
func (l *Line) WaitingAge(created, now time.Time) time.Duration {
	return l.Schedule.BusinessDuration(created, now)
}

// Overdue reports whether a callback request made at created has waited
// longer than the callback deadline at now, in office hours. It is the one
// rule behind the console's overdue marks and the overdue metric.
func (l *Line) Overdue(created, now time.Time) bool {
	return l.WaitingAge(created, now) > l.Callback.Deadline
}

// OpenAt reports whether the practice is open at t.
func (l *Line) OpenAt(t time.Time) bool {
	return l.Schedule.IsOpen(t)
}
