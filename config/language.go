package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/switchboard-clinic/switchboard/routing"
)

// Language is the whole line in another language (languages.<code>): how
// callers choose it, the voice and recogniser, and every sentence of the
// call. Menus, information messages and extensions are matched to the
// line's own by digit, id and number; only their words are given here.
type Language struct {
	Name     string   `yaml:"name"`     // for staff, e.g. Spanish (default for es)
	Voice    string   `yaml:"voice"`    // e.g. Polly.Lupe
	Language string   `yaml:"language"` // e.g. es-US: <Say> and the speech recogniser
	Key      string   `yaml:"key"`      // the key that chooses it, e.g. "8"
	Say      []string `yaml:"say"`      // what a caller may say to choose it, e.g. español
	Offer    string   `yaml:"offer"`    // said in the language right after the greeting
	// CallerNote is said to schedulers before the whisper, in the line's
	// own language (default "<Name>-speaking caller.").
	CallerNote string `yaml:"callerNote"`
	// RingGroup, when set, takes this language's calls for scheduling (the
	// fallback group); otherwise they ring the same group.
	RingGroup string `yaml:"ringGroup"`
	// Prompts are the sentences by name (routing.PromptSpecs). Each one a
	// caller hears is needed unless the language is built in (es), whose
	// built-in text fills what the file leaves out; schedulers' prompts
	// are always the line's own.
	Prompts    map[string]string    `yaml:"prompts"`
	Menu       []OptionWords        `yaml:"menu"`
	Info       map[string]InfoWords `yaml:"info"`
	Extensions []ExtensionWords     `yaml:"extensions"`
	// Holidays names the closures in the language, by holidays.us key or
	// holidays.dates date; US holidays have built-in names in Spanish.
	Holidays map[string]string `yaml:"holidays"`
	// Crisis adds distress phrases in this language to the built-in ones.
	Crisis DistressWords `yaml:"crisis"`
	// MissedCallText is callback.missedCallText's wording in this language
	// ({number} allowed); built in for es.
	MissedCallText string `yaml:"missedCallText"`
}

// OptionWords are an option's words in another language, for the option
// with the same digit.
type OptionWords struct {
	Digit       string   `yaml:"digit"`
	Say         []string `yaml:"say"`
	Label       string   `yaml:"label"`
	ClosedLabel string   `yaml:"closedLabel"`
}

// InfoWords are an information message in another language.
type InfoWords struct {
	Title   string        `yaml:"title"`
	Say     string        `yaml:"say"`
	Options []OptionWords `yaml:"options"`
}

// ExtensionWords are an extension's name (said when it rings) and phrases.
type ExtensionWords struct {
	Number string   `yaml:"number"`
	Name   string   `yaml:"name"`
	Say    []string `yaml:"say"`
}

// languages builds each language's view of l and checks that everything
// the call flow can say exists in it.
func (b *builder) languages(f File, l *routing.Line) {
	codes := make([]string, 0, len(f.Languages))
	for c := range f.Languages {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	keys := map[string]string{}
	for _, code := range codes {
		lf := f.Languages[code]
		path := "languages." + code
		if !routing.IsLanguageCode(code) {
			b.addf(path, "%q is not a two-letter language code such as es", code)
			continue
		}
		if code == l.LanguageCode {
			b.addf(path, "%s is the line's own language (language: %s)", code, l.LanguageTag)
			continue
		}
		lang := routing.Language{Code: code, Name: strings.TrimSpace(lf.Name), Key: strings.TrimSpace(lf.Key), Phrases: lf.Say,
			Offer: strings.TrimSpace(lf.Offer), CallerNote: strings.TrimSpace(lf.CallerNote)}
		if lang.Name == "" {
			if b, ok := routing.BuiltinIn(code); ok {
				lang.Name = b.Name
			}
		}
		if lang.Name == "" {
			b.addf(path+".name", "name the language for staff, e.g. Spanish")
		}
		if lang.CallerNote == "" && lang.Name != "" {
			lang.CallerNote = lang.Name + "-speaking caller."
		}
		switch {
		case len(lang.Key) != 1 || !strings.Contains("0123456789", lang.Key):
			b.addf(path+".key", "%q is not a single key 0-9", lf.Key)
		case keys[lang.Key] != "":
			b.addf(path+".key", "key %s also chooses %s", lang.Key, keys[lang.Key])
		default:
			for i, o := range l.Menu {
				if o.Digit == lang.Key {
					b.addf(path+".key", "key %s is menu[%d]'s key: a caller pressing it could not mean both", lang.Key, i)
				}
			}
			keys[lang.Key] = code
		}
		if lang.Offer == "" {
			b.addf(path+".offer", "say how to choose the language, in it, e.g. \"Para español, oprima 8.\"")
		}
		view := *l
		view.Voice = lf.Voice
		if view.Voice == "" {
			b.addf(path+".voice", "give a voice that speaks the language, e.g. Polly.Lupe-Neural")
		} else {
			b.voice(path+".voice", view.Voice, lf.Language, f.AcceptNonHIPAAVoices)
		}
		view.LanguageTag = lf.Language
		if !languageTag.MatchString(view.LanguageTag) || routing.LanguageCode(view.LanguageTag) != code {
			b.addf(path+".language", "%q is not a %s language tag such as %s-US", lf.Language, code, code)
		}
		view.Prompts = b.viewPrompts(path+".prompts", code, lf.Prompts, l)
		if g := strings.TrimSpace(lf.RingGroup); g != "" {
			if _, ok := l.Groups[g]; !ok {
				b.addf(path+".ringGroup", "unknown ring group %q", g)
			} else {
				view.Fallback = g
			}
		}
		view.Menu = b.viewOptions(path+".menu", lf.Menu, l.Menu, l.Fallback, view.Fallback)
		view.Info = map[string]routing.Info{}
		for id, in := range l.Info {
			w, ok := lf.Info[id]
			ipath := path + ".info." + id
			if !ok {
				b.addf(ipath, "the information message %q is missing in this language", id)
			}
			msg := in
			msg.Title, msg.Say = strings.TrimSpace(w.Title), strings.TrimSpace(w.Say)
			if in.Say != "" && msg.Say == "" {
				b.addf(ipath+".say", "the message is missing in this language")
			}
			if msg.Title == "" {
				msg.Title = in.Title
			}
			msg.Options = b.viewOptions(ipath+".options", w.Options, in.Options, l.Fallback, view.Fallback)
			view.Info[id] = msg
		}
		for id := range lf.Info {
			if _, ok := l.Info[id]; !ok {
				b.addf(path+".info."+id, "there is no information message %q in the line's own language", id)
			}
		}
		view.Extensions = nil
		for _, e := range l.Extensions {
			var w ExtensionWords
			for _, x := range lf.Extensions {
				if x.Number == e.Number {
					w = x
				}
			}
			if strings.TrimSpace(w.Name) == "" {
				b.addf(path+".extensions", "extension %s needs its name in this language (it is said when it rings)", e.Number)
			}
			e.Name, e.Phrases = strings.TrimSpace(w.Name), w.Say
			view.Extensions = append(view.Extensions, e)
		}
		view.Schedule.Closed = nil
		untranslated := map[string]bool{}
		for _, c := range l.Schedule.Closed {
			name := lf.Holidays[c.Key]
			if builtin, ok := routing.BuiltinIn(code); name == "" && ok {
				name = builtin.Holidays[c.Key]
			}
			// A named closure said in English would be an English word in
			// this language's call: the file must name it.
			if name == "" && c.Name != "" && c.Name != "closed" && !untranslated[c.Key] {
				untranslated[c.Key] = true
				b.addf(path+".holidays", "name the closure %s (%q) in this language: its callers hear why the office is closed", c.Key, c.Name)
			}
			c.Name = name
			view.Schedule.Closed = append(view.Schedule.Closed, c)
		}
		view.Distress = b.distress(path+".crisis", routing.DistressIn(code), lf.Crisis)
		if strings.TrimSpace(f.Crisis.RingGroup) == "" {
			view.Crisis.RingGroup = view.Fallback
		}
		view.LanguageName = lang.Name
		l.AddLanguage(lang, &view)
	}
}

// viewPrompts builds a language's prompts: what the file says, else the
// language's built-in text; a prompt a caller hears is needed in the
// language, with the placeholders it takes; schedulers' prompts are the
// line's own. The crisis line must name 911 and 988.
func (b *builder) viewPrompts(path, code string, given map[string]string, l *routing.Line) routing.Prompts {
	var out routing.Prompts
	builtin, ok := routing.BuiltinIn(code)
	if !ok {
		builtin = routing.Builtin{} // not English's: every sentence must be given
	}
	b.unknownPrompts(path, given)
	for _, spec := range routing.PromptSpecs() {
		if spec.Hears == routing.Schedulers {
			*spec.In(&out) = *spec.In(&l.Prompts)
			continue
		}
		v, ok := b.promptText(path, spec, given)
		if !ok {
			v = routing.Fill(builtin.Prompts[spec.Name], "practice", l.Practice)
		}
		if v == "" && !spec.Optional {
			b.addf(path+"."+spec.Name, "missing in this language (every sentence a caller can hear is needed)")
		}
		*spec.In(&out) = v
	}
	if out.Crisis != "" && !hasCrisisNumbers(out.Crisis) {
		b.addf(path+".crisis", "the crisis line must name both 911 and 988")
	}
	if l.Practice != "" && out.Greeting != "" && !strings.Contains(strings.ToLower(out.Greeting), strings.ToLower(l.Practice)) {
		b.addf(path+".greeting", "the greeting must name the practice (%q)", l.Practice)
	}
	return out
}

// promptText is a prompt as a file gives it, checked, and false when the
// file leaves it out or empty.
func (b *builder) promptText(path string, spec routing.PromptSpec, given map[string]string) (string, bool) {
	v := strings.TrimSpace(given[spec.Name])
	if v == "" {
		return "", false
	}
	if err := routing.CheckPlaceholders(spec.Name, v); err != nil {
		b.addf(path+"."+spec.Name, "%v", err)
	}
	if _, err := routing.ParseSpeech(v); err != nil {
		b.addf(path+"."+spec.Name, "%v", err)
	}
	return v, true
}

// unknownPrompts reports the names under path that are no prompt.
func (b *builder) unknownPrompts(path string, given map[string]string) {
	names := make([]string, 0, len(given))
	for name := range given {
		if _, ok := routing.PromptSpecNamed(name); !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		b.addf(path+"."+name, "unknown prompt (the prompts are listed in docs/configuration.md)")
	}
}

// viewOptions gives the options own (a menu) the words of a language:
// each needs its label, closed label and phrases where the line's own has
// them. A ring of the fallback group rings fallback (the language's group).
func (b *builder) viewOptions(path string, words []OptionWords, own []routing.Option, ownFallback, fallback string) []routing.Option {
	byDigit := map[string]OptionWords{}
	for i, w := range words {
		if _, dup := byDigit[w.Digit]; dup {
			b.addf(fmt.Sprintf("%s[%d].digit", path, i), "duplicate digit %q", w.Digit)
		}
		found := false
		for _, o := range own {
			found = found || o.Digit == w.Digit
		}
		if !found {
			b.addf(fmt.Sprintf("%s[%d].digit", path, i), "no option has digit %q in the line's own language", w.Digit)
		}
		byDigit[w.Digit] = w
	}
	out := make([]routing.Option, 0, len(own))
	for _, o := range own {
		w, ok := byDigit[o.Digit]
		opath := fmt.Sprintf("%s (digit %s)", path, o.Digit)
		if !ok {
			b.addf(path, "the option with digit %s is missing in this language", o.Digit)
		}
		v := o
		v.Label, v.ClosedLabel, v.Phrases = strings.TrimSpace(w.Label), strings.TrimSpace(w.ClosedLabel), w.Say
		if ok && o.Label != "" && v.Label == "" {
			b.addf(opath+".label", "missing in this language")
		}
		if ok && o.ClosedLabel != "" && v.ClosedLabel == "" {
			b.addf(opath+".closedLabel", "missing in this language (said while the practice is closed)")
		}
		if ok && len(o.Phrases) > 0 && len(v.Phrases) == 0 {
			b.addf(opath+".say", "give what a caller says for this option in this language")
		}
		for _, p := range v.Phrases {
			if len(routing.Words(p)) == 0 {
				b.addf(opath+".say", "empty phrase")
			}
		}
		if v.Action.Kind == routing.ActionRing && v.Action.Target == ownFallback {
			v.Action.Target = fallback
		}
		out = append(out, v)
	}
	return out
}
