package routing

import (
	"fmt"
	"strings"
)

// Prompts are every sentence a caller (or a scheduler, in the whisper) hears
// that is not read from a menu's labels or an information message. Each one
// is described once in the prompt table (PromptSpecs): its configuration
// name, who hears it, the placeholders it takes and its built-in text in
// each language Switchboard knows.
type Prompts struct {
	Greeting  string // names the practice
	Crisis    string // emergency and crisis numbers, said on every call
	Closed    string // said after the crisis line when the practice is closed
	ClosedFor string // instead, on a holiday or closure: {holiday}
	Reopens   string // after either: {opening} ("Monday at 8 AM")
	Menu      string // when empty, built from the options' labels
	// How an option's label is read: {label}, {digit} and, with a phrase
	// to say, {phrase} ("For scheduling, press 0 or say scheduling.").
	OptionKey      string
	OptionKeyOrSay string
	Extensions     string // how to dial an extension
	Invalid        string // a key that is no option
	NotUnderstood  string // speech that chose nothing: never "not an option"
	NoInput        string // nothing was pressed or said
	Ambiguous      string // speech that named two options
	DialExt        string // after the extension key: dial it now
	NoExtension    string // {digits}, read one by one
	MenuKey        string // how to go back to the main menu (a callback step)
	Connecting     string // before a ring group rings
	ConnectTo      string // before an extension rings: {name}
	Unavailable    string // nobody can take the call
	AfterHours     string // an extension that does not ring after hours
	Apology        string // an internal error: said before a safe next step
	Goodbye        string

	// The crisis response, after words of distress: the crisis line said
	// slowly, then one of these.
	CrisisConnect      string // open: a person is rung at once
	LifelineOffer      string // closed or unanswered: the Lifeline now, or an urgent callback
	LifelineConnecting string // before the Lifeline is dialled
	LifelineFailed     string // the Lifeline call did not connect

	// The scheduler's side of a screened call.
	Whisper         string // said to the scheduler who answers: {group}
	WhisperWaited   string // before it, when the caller was rung before in this call
	WhisperDeclined string // said to a scheduler who did not accept
	WhisperUrgent   string // before it, when the caller said words of distress

	// The callback request.
	CallbackOffer    string // the flow's first sentence
	CallbackCallerID string // use the caller ID? {last4}
	CallbackEnter    string // key in a number
	// CallbackAbroad says how to key a number outside +1; said only when
	// callback.countries allows one.
	CallbackAbroad   string
	CallbackReadBack string // confirm a keyed number: {number}
	CallbackSaved    string // the request is recorded
	CallbackNotSaved string // neither Redis nor the spool took it
	CallbackNoNumber string // the caller gave up on the number
	ConsentVoicemail string // may we leave a voicemail
	ConsentName      string // may it name the practice: {practice}
	CallbackMessage  string // before the tone
	CallbackDone     string // the confirmation: {when}
	// When the practice will call back, completing CallbackDone.
	WhenToday   string // open now, not about to close
	WhenOpens   string // closed or closing soon: {opening}
	WhenUnknown string // no opening in sight

	// Why a keyed number is refused (each said after "Sorry,"-free wording).
	NumberTooShort    string
	NumberInvalid     string
	NumberPremium     string
	NumberNotCallable string
	NumberEmergency   string
	NumberCountry     string // outside callback.countries
	NumberOwn         string // one of the practice's own numbers
}

// Hearer is who hears a prompt.
type Hearer int

const (
	// Callers hear the prompt in the language of their call.
	Callers Hearer = iota
	// Schedulers hear it (the whisper) in the line's own language, whatever
	// the caller's.
	Schedulers
)

// PromptSpec is one prompt: everything about it but its text in a language,
// which the language's Builtin holds.
type PromptSpec struct {
	Name         string   // the configuration key under prompts:, e.g. "callbackReadBack"
	Hears        Hearer   // who hears it
	Placeholders []string // what it may hold in braces, e.g. {number}
	// Optional prompts may be empty: the menu (read from the labels when
	// empty). Every other prompt a caller hears must exist in each language.
	Optional bool
	text     func(*Prompts) *string
}

// In returns the prompt's text in p, to read or set.
func (s PromptSpec) In(p *Prompts) *string { return s.text(p) }

// PromptSpecs is the prompt table, in the order the configuration reference
// lists the prompts. The crisis line has no built-in text in any language:
// a file must say it, naming 911 and 988.
func PromptSpecs() []PromptSpec {
	c := func(name string, text func(*Prompts) *string, placeholders ...string) PromptSpec {
		return PromptSpec{Name: name, Hears: Callers, Placeholders: placeholders, text: text}
	}
	s := func(name string, text func(*Prompts) *string, placeholders ...string) PromptSpec {
		return PromptSpec{Name: name, Hears: Schedulers, Placeholders: placeholders, text: text}
	}
	menu := c("menu", func(p *Prompts) *string { return &p.Menu })
	menu.Optional = true
	return []PromptSpec{
		c("greeting", func(p *Prompts) *string { return &p.Greeting }),
		c("crisis", func(p *Prompts) *string { return &p.Crisis }),
		c("closed", func(p *Prompts) *string { return &p.Closed }),
		c("closedFor", func(p *Prompts) *string { return &p.ClosedFor }, "holiday"),
		c("reopens", func(p *Prompts) *string { return &p.Reopens }, "opening"),
		menu,
		c("optionKey", func(p *Prompts) *string { return &p.OptionKey }, "label", "digit"),
		c("optionKeyOrSay", func(p *Prompts) *string { return &p.OptionKeyOrSay }, "label", "digit", "phrase"),
		c("extensions", func(p *Prompts) *string { return &p.Extensions }),
		c("invalid", func(p *Prompts) *string { return &p.Invalid }),
		c("noInput", func(p *Prompts) *string { return &p.NoInput }),
		c("notUnderstood", func(p *Prompts) *string { return &p.NotUnderstood }),
		c("ambiguous", func(p *Prompts) *string { return &p.Ambiguous }),
		c("dialExtension", func(p *Prompts) *string { return &p.DialExt }),
		c("noExtension", func(p *Prompts) *string { return &p.NoExtension }, "digits"),
		c("menuKey", func(p *Prompts) *string { return &p.MenuKey }),
		c("connecting", func(p *Prompts) *string { return &p.Connecting }),
		c("connectTo", func(p *Prompts) *string { return &p.ConnectTo }, "name"),
		c("unavailable", func(p *Prompts) *string { return &p.Unavailable }),
		c("afterHours", func(p *Prompts) *string { return &p.AfterHours }),
		c("apology", func(p *Prompts) *string { return &p.Apology }),
		c("goodbye", func(p *Prompts) *string { return &p.Goodbye }),
		c("crisisConnect", func(p *Prompts) *string { return &p.CrisisConnect }),
		c("lifelineOffer", func(p *Prompts) *string { return &p.LifelineOffer }),
		c("lifelineConnecting", func(p *Prompts) *string { return &p.LifelineConnecting }),
		c("lifelineFailed", func(p *Prompts) *string { return &p.LifelineFailed }),
		s("whisper", func(p *Prompts) *string { return &p.Whisper }, "group"),
		s("whisperWaited", func(p *Prompts) *string { return &p.WhisperWaited }),
		s("whisperDeclined", func(p *Prompts) *string { return &p.WhisperDeclined }),
		s("whisperUrgent", func(p *Prompts) *string { return &p.WhisperUrgent }),
		c("callbackOffer", func(p *Prompts) *string { return &p.CallbackOffer }),
		c("callbackCallerId", func(p *Prompts) *string { return &p.CallbackCallerID }, "last4"),
		c("callbackEnter", func(p *Prompts) *string { return &p.CallbackEnter }),
		c("callbackAbroad", func(p *Prompts) *string { return &p.CallbackAbroad }),
		c("callbackReadBack", func(p *Prompts) *string { return &p.CallbackReadBack }, "number"),
		c("callbackSaved", func(p *Prompts) *string { return &p.CallbackSaved }),
		c("callbackNotSaved", func(p *Prompts) *string { return &p.CallbackNotSaved }),
		c("callbackNoNumber", func(p *Prompts) *string { return &p.CallbackNoNumber }),
		c("consentVoicemail", func(p *Prompts) *string { return &p.ConsentVoicemail }),
		c("consentName", func(p *Prompts) *string { return &p.ConsentName }, "practice"),
		c("callbackMessage", func(p *Prompts) *string { return &p.CallbackMessage }),
		c("callbackDone", func(p *Prompts) *string { return &p.CallbackDone }, "when"),
		c("whenToday", func(p *Prompts) *string { return &p.WhenToday }),
		c("whenOpens", func(p *Prompts) *string { return &p.WhenOpens }, "opening"),
		c("whenUnknown", func(p *Prompts) *string { return &p.WhenUnknown }),
		c("numberTooShort", func(p *Prompts) *string { return &p.NumberTooShort }),
		c("numberInvalid", func(p *Prompts) *string { return &p.NumberInvalid }),
		c("numberPremium", func(p *Prompts) *string { return &p.NumberPremium }),
		c("numberNotCallable", func(p *Prompts) *string { return &p.NumberNotCallable }),
		c("numberEmergency", func(p *Prompts) *string { return &p.NumberEmergency }),
		c("numberCountry", func(p *Prompts) *string { return &p.NumberCountry }),
		c("numberOwn", func(p *Prompts) *string { return &p.NumberOwn }),
	}
}

// PromptSpecNamed returns the prompt called name, and false for no prompt.
func PromptSpecNamed(name string) (PromptSpec, bool) {
	for _, s := range PromptSpecs() {
		if s.Name == name {
			return s, true
		}
	}
	return PromptSpec{}, false
}

// CheckPlaceholders returns an error naming the first placeholder in text
// that the prompt does not take, or a brace left open.
func CheckPlaceholders(name, text string) error {
	spec, _ := PromptSpecNamed(name)
	allowed := spec.Placeholders
	rest := text
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return fmt.Errorf("an unclosed { in %q", text)
		}
		ph := rest[i+1 : i+j]
		ok := false
		for _, a := range allowed {
			ok = ok || a == ph
		}
		if !ok {
			if len(allowed) == 0 {
				return fmt.Errorf("{%s} is not a placeholder this prompt takes (it takes none)", ph)
			}
			return fmt.Errorf("{%s} is not a placeholder this prompt takes (it takes {%s})", ph, strings.Join(allowed, "}, {"))
		}
		rest = rest[i+j+1:]
	}
}

// Fill replaces each {name} in text with its value from kv (name, value
// pairs).
func Fill(text string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		text = strings.ReplaceAll(text, "{"+kv[i]+"}", kv[i+1])
	}
	return text
}
