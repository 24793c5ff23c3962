package routing

import (
	"fmt"
	"strings"
)

// Prompts are every sentence a caller (or a scheduler, in the whisper) hears
// that is not read from a menu's labels or an information message. Each one
// is configurable under prompts.<name> (the yaml tag); the crisis line cannot
// be removed (config validation rejects an empty one). A prompt may hold
// placeholders such as {last4}; Placeholders lists which each one takes.
type Prompts struct {
	Greeting  string `yaml:"greeting"`  // names the practice
	Crisis    string `yaml:"crisis"`    // emergency and crisis numbers, said on every call
	Closed    string `yaml:"closed"`    // said after the crisis line when the practice is closed
	ClosedFor string `yaml:"closedFor"` // instead, on a holiday or closure: {holiday}
	Reopens   string `yaml:"reopens"`   // after either: {opening} ("Monday at 8 AM")
	Menu      string `yaml:"menu"`      // when empty, built from the options' labels
	// How an option's label is read: {label}, {digit} and, with a phrase
	// to say, {phrase} ("For scheduling, press 0 or say scheduling.").
	OptionKey      string `yaml:"optionKey"`
	OptionKeyOrSay string `yaml:"optionKeyOrSay"`
	Extensions     string `yaml:"extensions"`    // how to dial an extension
	Invalid        string `yaml:"invalid"`       // a key that is no option
	NotUnderstood  string `yaml:"notUnderstood"` // speech that chose nothing: never "not an option"
	NoInput        string `yaml:"noInput"`       // nothing was pressed or said
	Ambiguous      string `yaml:"ambiguous"`     // speech that named two options
	DialExt        string `yaml:"dialExtension"` // after the extension key: dial it now
	NoExtension    string `yaml:"noExtension"`   // {digits}, read one by one
	MenuKey        string `yaml:"menuKey"`       // how to go back to the main menu (a callback step)
	Connecting     string `yaml:"connecting"`    // before a ring group rings
	ConnectTo      string `yaml:"connectTo"`     // before an extension rings: {name}
	Unavailable    string `yaml:"unavailable"`   // nobody can take the call
	AfterHours     string `yaml:"afterHours"`    // an extension that does not ring after hours
	Apology        string `yaml:"apology"`       // an internal error: said before a safe next step
	Goodbye        string `yaml:"goodbye"`

	// The crisis response, after words of distress: the crisis line said
	// slowly, then one of these.
	CrisisConnect      string `yaml:"crisisConnect"`      // open: a person is rung at once
	LifelineOffer      string `yaml:"lifelineOffer"`      // closed or unanswered: the Lifeline now, or an urgent callback
	LifelineConnecting string `yaml:"lifelineConnecting"` // before the Lifeline is dialled
	LifelineFailed     string `yaml:"lifelineFailed"`     // the Lifeline call did not connect

	// The scheduler's side of a screened call.
	Whisper         string `yaml:"whisper"`         // said to the scheduler who answers: {group}
	WhisperWaited   string `yaml:"whisperWaited"`   // before it, when the caller was rung before in this call
	WhisperDeclined string `yaml:"whisperDeclined"` // said to a scheduler who did not accept
	WhisperUrgent   string `yaml:"whisperUrgent"`   // before it, when the caller said words of distress

	// The callback request.
	CallbackOffer    string `yaml:"callbackOffer"`    // the flow's first sentence
	CallbackCallerID string `yaml:"callbackCallerId"` // use the caller ID? {last4}
	CallbackEnter    string `yaml:"callbackEnter"`    // key in a number
	// CallbackAbroad says how to key a number outside +1; said only when
	// callback.countries allows one.
	CallbackAbroad   string `yaml:"callbackAbroad"`
	CallbackReadBack string `yaml:"callbackReadBack"` // confirm a keyed number: {number}
	CallbackSaved    string `yaml:"callbackSaved"`    // the request is recorded
	CallbackNotSaved string `yaml:"callbackNotSaved"` // neither Redis nor the spool took it
	CallbackNoNumber string `yaml:"callbackNoNumber"` // the caller gave up on the number
	ConsentVoicemail string `yaml:"consentVoicemail"` // may we leave a voicemail
	ConsentName      string `yaml:"consentName"`      // may it name the practice: {practice}
	CallbackMessage  string `yaml:"callbackMessage"`  // before the tone
	CallbackDone     string `yaml:"callbackDone"`     // the confirmation: {when}
	// When the practice will call back, completing CallbackDone.
	WhenToday   string `yaml:"whenToday"`   // open now, not about to close
	WhenOpens   string `yaml:"whenOpens"`   // closed or closing soon: {opening}
	WhenUnknown string `yaml:"whenUnknown"` // no opening in sight

	// Why a keyed number is refused (each said after "Sorry,"-free wording).
	NumberTooShort    string `yaml:"numberTooShort"`
	NumberInvalid     string `yaml:"numberInvalid"`
	NumberPremium     string `yaml:"numberPremium"`
	NumberNotCallable string `yaml:"numberNotCallable"`
	NumberEmergency   string `yaml:"numberEmergency"`
	NumberCountry     string `yaml:"numberCountry"` // outside callback.countries
	NumberOwn         string `yaml:"numberOwn"`     // one of the practice's own numbers
}

// PromptField is one prompt with its configuration name.
type PromptField struct {
	Name string  // the key under prompts:, e.g. "callbackReadBack"
	Text *string // the prompt itself
}

// Fields lists every prompt by its configuration name, so configuration can
// default, check and translate them one by one.
func (p *Prompts) Fields() []PromptField {
	return []PromptField{
		{"greeting", &p.Greeting}, {"crisis", &p.Crisis}, {"closed", &p.Closed}, {"closedFor", &p.ClosedFor},
		{"reopens", &p.Reopens}, {"menu", &p.Menu}, {"optionKey", &p.OptionKey}, {"optionKeyOrSay", &p.OptionKeyOrSay},
		{"extensions", &p.Extensions}, {"invalid", &p.Invalid}, {"noInput", &p.NoInput},
		{"notUnderstood", &p.NotUnderstood}, {"ambiguous", &p.Ambiguous}, {"dialExtension", &p.DialExt}, {"noExtension", &p.NoExtension},
		{"menuKey", &p.MenuKey},
		{"connecting", &p.Connecting}, {"connectTo", &p.ConnectTo}, {"unavailable", &p.Unavailable},
		{"afterHours", &p.AfterHours}, {"apology", &p.Apology}, {"goodbye", &p.Goodbye},
		{"crisisConnect", &p.CrisisConnect}, {"lifelineOffer", &p.LifelineOffer},
		{"lifelineConnecting", &p.LifelineConnecting}, {"lifelineFailed", &p.LifelineFailed},
		{"whisper", &p.Whisper}, {"whisperWaited", &p.WhisperWaited}, {"whisperDeclined", &p.WhisperDeclined},
		{"whisperUrgent", &p.WhisperUrgent},
		{"callbackOffer", &p.CallbackOffer}, {"callbackCallerId", &p.CallbackCallerID},
		{"callbackEnter", &p.CallbackEnter}, {"callbackAbroad", &p.CallbackAbroad}, {"callbackReadBack", &p.CallbackReadBack},
		{"callbackSaved", &p.CallbackSaved}, {"callbackNotSaved", &p.CallbackNotSaved},
		{"callbackNoNumber", &p.CallbackNoNumber}, {"consentVoicemail", &p.ConsentVoicemail},
		{"consentName", &p.ConsentName}, {"callbackMessage", &p.CallbackMessage},
		{"callbackDone", &p.CallbackDone}, {"whenToday", &p.WhenToday}, {"whenOpens", &p.WhenOpens},
		{"whenUnknown", &p.WhenUnknown},
		{"numberTooShort", &p.NumberTooShort}, {"numberInvalid", &p.NumberInvalid},
		{"numberPremium", &p.NumberPremium}, {"numberNotCallable", &p.NumberNotCallable},
		{"numberEmergency", &p.NumberEmergency}, {"numberCountry", &p.NumberCountry},
		{"numberOwn", &p.NumberOwn},
	}
}

// Placeholders names the placeholders each prompt may hold; a prompt not
// listed takes none.
func Placeholders(name string) []string {
	switch name {
	case "connectTo":
		return []string{"name"}
	case "closedFor":
		return []string{"holiday"}
	case "reopens":
		return []string{"opening"}
	case "noExtension":
		return []string{"digits"}
	case "callbackCallerId":
		return []string{"last4"}
	case "callbackReadBack":
		return []string{"number"}
	case "consentName":
		return []string{"practice"}
	case "callbackDone":
		return []string{"when"}
	case "whenOpens":
		return []string{"opening"}
	case "whisper":
		return []string{"group"}
	case "optionKey":
		return []string{"label", "digit"}
	case "optionKeyOrSay":
		return []string{"label", "digit", "phrase"}
	}
	return nil
}

// CheckPlaceholders returns an error naming the first placeholder in text
// that the prompt does not take, or a brace left open.
func CheckPlaceholders(name, text string) error {
	allowed := Placeholders(name)
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
