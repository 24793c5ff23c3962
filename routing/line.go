package routing

import (
	"slices"
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
	// Label completes the sentence "<Label>, press <Digit>", e.g. "For
	// scheduling".
	Label string
	// ClosedLabel replaces Label while the practice is closed, for options
	// whose action is not the same then (a ring becomes a callback request):
	// "To leave a request for scheduling". Empty means Label.
	ClosedLabel string
	Action      Action
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
	// LanguageTag is the BCP 47 tag Say and Gather are given ("en-US").
	LanguageTag string
	Schedule    Schedule
	Prompts     Prompts
	Menu        []Option
	Extensions  []Extension
	Groups      map[string]Group
	Info        map[string]Info
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
	// OwnNumbers are the practice's own phones (the main line, ring-group
	// members, SMS recipients): never a callback number.
	OwnNumbers []string

	// LanguageCode is the two-letter code of the language this line speaks
	// ("en"), and LanguageName its name for staff ("English").
	LanguageCode string
	LanguageName string
	// Languages are the other languages callers may choose (see In).
	Languages []Language
	// Answers are the yes, no and back words of LanguageCode.
	Answers Answers
	// Distress are the crisis, plea and therapist phrases of LanguageCode: the
	// built-in ones and the configuration's own.
	Distress Distress
	// Crisis says where a caller in crisis is put through.
	Crisis CrisisSettings
	views  map[string]*Line // by code: the line in each of Languages
	staff  *Line            // for a view: the line it translates
}

// CrisisSettings say where the crisis response puts a caller through.
type CrisisSettings struct {
	// RingGroup is rung at once, whatever the call's ring count, while the
	// practice is open; its schedulers hear that the call is urgent.
	RingGroup string
	// Lifeline is the E.164 number a caller may be connected to when nobody
	// at the practice can answer: the 988 Suicide & Crisis Lifeline's
	// 10-digit number, which <Dial> can reach where 988 may not be.
	Lifeline string
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
	// Countries are the regions (US, CA, ...) whose numbers are called back.
	Countries []string
	// MissedCalls makes a call that reached nobody, left no request and
	// dialled no extension a "missed call" request.
	MissedCalls bool
	// MissedCallSeconds is the shortest call (Twilio's CallDuration) that
	// counts as missed.
	MissedCallSeconds int
	// MissedText is the optional SMS to a missed caller.
	MissedText MissedText
}

// MissedText is the text sent to a missed caller (at most one a day per
// number), when Enabled. Its wording is neutral by default: a shared phone
// must learn nothing about the caller from it.
type MissedText struct {
	Enabled bool
	// Texts are the wording by language code, the practice's number filled in.
	Texts map[string]string
}

// In is the wording for a call in language code, or the line's own
// language's (lang) when the language has none.
func (m MissedText) In(code, lang string) string {
	if t, ok := m.Texts[code]; ok {
		return t
	}
	return m.Texts[lang]
}

// MessageSeconds is the longest voice message a caller may leave: the
// configured limit, and under 120 seconds when it is transcribed, because
// Twilio transcribes only recordings shorter than 120 seconds
// (https://www.twilio.com/docs/voice/twiml/record#transcribe).
func (c CallbackSettings) MessageSeconds() int {
	if c.Transcribe && c.MaxMessageSeconds > 119 {
		return 119
	}
	return c.MaxMessageSeconds
}

// ChoiceKind classifies what the caller said or pressed.
type ChoiceKind int

// The kinds of Choice.
const (
	ChoiceNone      ChoiceKind = iota // no input at all
	ChoiceInvalid                     // input that matches nothing
	ChoiceOption                      // a menu option
	ChoiceExtension                   // an extension from the directory
	ChoiceAmbiguous                   // speech that names two options, neither negated
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
	// Each option (and, with extensions, each directory entry) is scored by
	// its longest phrase heard; a phrase right after a negation ("not group
	// therapy", "I don't want groups") counts against, not for. One clear
	// winner is the choice; two that tie are ambiguous.
	type candidate struct {
		choice Choice
		score  int
	}
	// A configured phrase of n words scores 2n; a built-in person phrase
	// 2n-1, so the configuration wins a tie with it.
	var cands []candidate
	for _, o := range options {
		score := 2 * matchPhrases(words, o.Phrases)
		if l.rings(o.Action) {
			n := max(matchPhrases(words, PersonPhrases), matchPhrases(words, l.distress().Plea))
			if n > 0 && 2*n-1 > score {
				score = 2*n - 1
			}
		}
		if score > 0 {
			cands = append(cands, candidate{Choice{Kind: ChoiceOption, Option: o}, score})
		}
	}
	if extensions {
		for _, e := range l.Extensions {
			if n := matchPhrases(words, append([]string{e.Name}, e.Phrases...)); n > 0 {
				cands = append(cands, candidate{Choice{Kind: ChoiceExtension, Extension: e}, 2 * n})
			}
		}
	}
	// An intent that names scheduling wins over information: "an
	// appointment for group therapy" wants scheduling, not the message.
	if slices.ContainsFunc(cands, func(c candidate) bool { return c.choice.Kind == ChoiceOption && l.rings(c.choice.Option.Action) }) {
		cands = slices.DeleteFunc(cands, func(c candidate) bool {
			return c.choice.Kind == ChoiceOption && c.choice.Option.Action.Kind == ActionInfo
		})
	}
	best, bestScore, tie := Choice{Kind: ChoiceInvalid}, 0, false
	for _, c := range cands {
		switch {
		case c.score > bestScore:
			best, bestScore, tie = c.choice, c.score, false
		case c.score == bestScore && !sameTarget(best, c.choice):
			tie = true
		}
	}
	if tie {
		return Choice{Kind: ChoiceAmbiguous}
	}
	return best
}

// PersonPhrases are what callers say when they want a person; they select
// whichever option rings the fallback group (scheduling), in every menu.
var PersonPhrases = []string{
	"operator", "person", "a person", "real person", "someone", "somebody", "talk to someone",
	"representative", "human", "front desk", "receptionist", "agent", "staff",
	"operadora", "operador", "una persona", "alguien", "hablar con alguien", "recepción", "recepcionista",
}

// rings reports whether an action rings the line's fallback group.
func (l *Line) rings(a Action) bool {
	return a.Kind == ActionRing && a.Target == l.Fallback
}

func sameTarget(a, b Choice) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == ChoiceExtension {
		return a.Extension.Number == b.Extension.Number
	}
	return a.Option.Digit == b.Option.Digit
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

// MenuHints are the main menu's speech hints: its options, the directory
// and what a caller says to choose another language ("español", "Spanish").
func (l *Line) MenuHints() []string {
	hints := l.Hints(l.Menu, true)
	seen := map[string]bool{}
	for _, h := range hints {
		seen[strings.ToLower(h)] = true
	}
	for _, lang := range l.Languages {
		for _, p := range append(append([]string(nil), lang.Phrases...), lang.Name) {
			if p != "" && !seen[strings.ToLower(p)] {
				seen[strings.ToLower(p)] = true
				hints = append(hints, p)
			}
		}
	}
	return hints
}

// MenuSentences is the spoken main menu: the configured text, or one
// sentence per option built from its label (see OptionSentences).
func (l *Line) MenuSentences(open bool) []string {
	if l.Prompts.Menu != "" {
		return []string{l.Prompts.Menu}
	}
	return OptionSentences(l.Menu, open, l.Prompts)
}

// OptionSentences builds "For scheduling, press 0 or say scheduling." for
// each option that has a label, in the order the configuration lists them
// (the first is what most callers want), from the prompts optionKey and
// optionKeyOrSay of the line's language. While closed, an option's
// ClosedLabel is read instead of its Label.
func OptionSentences(options []Option, open bool, p Prompts) []string {
	var out []string
	for _, o := range options {
		label := o.Label
		if !open && o.ClosedLabel != "" {
			label = o.ClosedLabel
		}
		if label == "" {
			continue
		}
		// A closed label is read with its key only: after hours the menu
		// has just said that the office is closed, and the shorter sentence
		// keeps scheduling within the first 45 words.
		if len(o.Phrases) > 0 && (open || o.ClosedLabel == "") {
			out = append(out, Fill(p.OptionKeyOrSay, "label", label, "digit", o.Digit, "phrase", o.Phrases[0]))
		} else {
			out = append(out, Fill(p.OptionKey, "label", label, "digit", o.Digit))
		}
	}
	return out
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
