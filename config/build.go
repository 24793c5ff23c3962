package config

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/us"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/routing"
)

// Limits on what a configuration may ask for.
const (
	maxRingSeconds     = 600 // no group rings longer than ten minutes in total
	maxMemberRing      = 120
	maxDialNouns       = 10 // Twilio dials at most ten parties at once
	defaultMaxTries    = 2  // the first try and one repeat
	defaultGatherSecs  = 5  // Twilio's own default wait for input
	defaultRingSeconds = 25
)

// USHolidayNames maps the keys accepted in holidays.us to the holidays.
func USHolidayNames() map[string]*cal.Holiday {
	return map[string]*cal.Holiday{
		"new-year":               us.NewYear,
		"mlk-day":                us.MlkDay,
		"presidents-day":         us.PresidentsDay,
		"memorial-day":           us.MemorialDay,
		"juneteenth":             us.Juneteenth,
		"independence-day":       us.IndependenceDay,
		"labor-day":              us.LaborDay,
		"columbus-day":           us.ColumbusDay,
		"veterans-day":           us.VeteransDay,
		"thanksgiving":           us.ThanksgivingDay,
		"day-after-thanksgiving": us.DayAfterThanksgivingDay,
		"christmas":              us.ChristmasDay,
	}
}

var weekdayNames = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

type builder struct {
	problems []Problem
	loc      *time.Location // the practice's time zone, once read
}

// maxProblems bounds what one file can report: enough to fix it, never a
// flood (or quadratic work) from a damaged file.
const maxProblems = 50

// within returns v, or def when v is 0 (not set), and names the problem
// when v is outside lo..hi (unit follows the numbers: " seconds").
func (b *builder) within(path string, v, def, lo, hi int, unit string) int {
	if v == 0 {
		return def
	}
	if v < lo || v > hi {
		b.addf(path, "must be between %d and %d%s, got %d", lo, hi, unit, v)
	}
	return v
}

func (b *builder) addf(path, format string, args ...any) {
	if len(b.problems) == maxProblems {
		b.problems = append(b.problems, Problem{Path: "(file)", Message: "more problems not shown; fix these first"})
	}
	if len(b.problems) > maxProblems {
		return
	}
	b.problems = append(b.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// build validates f and converts it into the routing model.
func (f File) build() (*routing.Line, []Problem) {
	b := &builder{}
	l := &routing.Line{
		Practice:    strings.TrimSpace(f.Practice),
		Voice:       f.Voice,
		LanguageTag: f.Language,
		Groups:      map[string]routing.Group{},
		Info:        map[string]routing.Info{},
	}
	if l.Practice == "" {
		b.addf("practice", "the practice name is required (the greeting says it)")
	}
	if l.LanguageTag == "" {
		l.LanguageTag = "en-US"
	} else if !languageTag.MatchString(l.LanguageTag) {
		b.addf("language", "%q is not a language tag such as en-US", l.LanguageTag)
	}
	if l.Voice == "" {
		l.Voice = defaultVoice
	}
	b.voice("voice", l.Voice, l.LanguageTag, f.AcceptNonHIPAAVoices)
	if f.MainNumber == "" {
		b.addf("mainNumber", "the main line number is required")
	} else if n, ok := phone.E164(f.MainNumber); !ok {
		b.addf("mainNumber", "%q is not an E.164 phone number such as +14258692644", f.MainNumber)
	} else {
		l.MainNumber = n
	}
	loc := time.UTC
	if f.Timezone == "" {
		b.addf("timezone", "the practice's time zone is required, e.g. America/Los_Angeles")
	} else if z, err := time.LoadLocation(f.Timezone); err != nil || f.Timezone == "Local" {
		b.addf("timezone", "%q is not a known time zone (use an IANA name such as America/Los_Angeles)", f.Timezone)
	} else {
		loc = z
	}
	l.Schedule = routing.Schedule{Location: loc}
	b.loc = loc
	b.hours(f.Hours, &l.Schedule)
	b.holidays(f.Holidays, &l.Schedule)
	l.LanguageCode = routing.LanguageCode(l.LanguageTag)
	l.Prompts = b.prompts(f.Prompts, l.LanguageCode, l.Practice)

	l.MaxTries = b.within("retries.maxTries", f.Retries.MaxTries, defaultMaxTries, 1, 10, "")
	l.GatherSeconds = b.within("retries.gatherSeconds", f.Retries.GatherSeconds, defaultGatherSecs, 1, 15, "")

	names := make([]string, 0, len(f.RingGroups))
	for name := range f.RingGroups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if g, ok := b.group("ringGroups."+name, name, f.RingGroups[name]); ok {
			l.Groups[name] = g
		}
	}
	b.extensions(f.Extensions, f.RingGroups, l)

	l.Fallback = f.Fallback
	if l.Fallback == "" {
		b.addf("fallback", "name the ring group that takes calls when a caller cannot use the menu")
	} else if _, ok := f.RingGroups[l.Fallback]; !ok {
		b.addf("fallback", "unknown ring group %q", l.Fallback)
	}

	infoIDs := make([]string, 0, len(f.Info))
	for id := range f.Info {
		infoIDs = append(infoIDs, id)
	}
	sort.Strings(infoIDs)
	for _, id := range infoIDs {
		in := f.Info[id]
		path := "info." + id
		msg := routing.Info{ID: id, Title: in.Title, Say: strings.TrimSpace(in.Say), AudioURL: in.AudioURL}
		if msg.Say == "" && msg.AudioURL == "" {
			b.addf(path, "give the message as say (text) or audioUrl")
		}
		if msg.AudioURL != "" {
			if u, err := url.Parse(msg.AudioURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				b.addf(path+".audioUrl", "%q is not an absolute http(s) URL", msg.AudioURL)
			}
		}
		msg.Options = b.options(path+".options", in.Options, f, false)
		l.Info[id] = msg
	}

	if len(f.Menu) == 0 {
		b.addf("menu", "the main menu needs at least one option")
	}
	l.Menu = b.options("menu", f.Menu, f, true)
	b.shadowing(l)
	l.Callback = b.callback(f.Callback)
	l.OwnNumbers = ownNumbers(l)
	builtin, known := routing.BuiltinIn(l.LanguageCode)
	l.LanguageName = l.LanguageCode
	if known {
		l.LanguageName = builtin.Name
	}
	l.Answers = routing.AnswersIn(l.LanguageCode)
	l.Distress = b.distress("crisis", routing.DistressIn(l.LanguageCode), f.Crisis.DistressWords)
	l.Crisis = b.crisis(f.Crisis, l)
	b.languages(f, l)
	b.missedText(f, l)
	return l, b.problems
}

// The built-in wording of the missed-call text, by language. It names
// neither the practice nor what it does, and promises only what works: a
// call back to the number (a reply is not read by anyone), and STOP.
var missedTextDefaults = map[string]string{
	"en": "Sorry we missed your call. Please call us back at {number}. Reply STOP to stop these texts.",
	"es": "Lamentamos no haber podido atender su llamada. Llámenos al {number}. Responda STOP para no recibir más mensajes.",
}

// DefaultMissedCallText is the built-in English missed-call text.
var DefaultMissedCallText = missedTextDefaults["en"]

// missedText builds the missed-call text in the line's language and each
// other one, with the main number filled in.
func (b *builder) missedText(f File, l *routing.Line) {
	m := routing.MissedText{Enabled: f.Callback.MissedCallText.Enabled, Texts: map[string]string{}}
	fill := func(path, text, code string) {
		text = strings.TrimSpace(text)
		if text == "" {
			text = missedTextDefaults[code]
		}
		if text == "" {
			if m.Enabled {
				b.addf(path, "give the missed-call text in this language (callback.missedCallText is enabled)")
			}
			return
		}
		if strings.Contains(text, "{number}") && l.MainNumber == "" && m.Enabled {
			b.addf(path, "{number} needs mainNumber")
		}
		text = strings.ReplaceAll(text, "{number}", phone.National(l.MainNumber))
		if n := len([]rune(text)); n > 320 {
			b.addf(path, "%d characters: keep the text under 320 (two SMS segments)", n)
		}
		m.Texts[code] = text
	}
	fill("callback.missedCallText.text", f.Callback.MissedCallText.Text, l.LanguageCode)
	for _, lang := range l.Languages {
		fill("languages."+lang.Code+".missedCallText", f.Languages[lang.Code].MissedCallText, lang.Code)
	}
	l.Callback.MissedText = m
	for _, lang := range l.Languages {
		l.In(lang.Code).Callback.MissedText = m
	}
}

// defaultVoice is Amazon Polly's neural Joanna (US English): Twilio lists
// Polly voices as HIPAA eligible, and the neural engine sounds like a
// person where the standard one sounds read.
const defaultVoice = "Polly.Joanna-Neural"

// voice checks a voice name against the voices Twilio documents: it must
// exist (a typo is named with the nearest voice), speak the language it is
// given for, and be HIPAA eligible unless the file accepts otherwise.
func (b *builder) voice(path, name, language string, acceptNonHIPAA bool) {
	v, err := routing.LookupVoice(name)
	switch {
	case err != nil:
		b.addf(path, "%v", err)
	case v.Language != "" && routing.LanguageCode(v.Language) != routing.LanguageCode(language):
		b.addf(path, "%s speaks %s, not %s", name, v.Language, language)
	case !v.HIPAAEligible && !acceptNonHIPAA:
		b.addf(path, "%s is not among Twilio's HIPAA-eligible voices (its basic and Amazon Polly voices); use a Polly voice, or set acceptNonHipaaVoices: true if the practice accepts it", name)
	}
}

// defaultLifeline is the 988 Suicide & Crisis Lifeline's 10-digit number:
// SAMHSA kept 1-800-273-8255 routing to the Lifeline when 988 started ("The
// current Lifeline phone number (1-800-273-8255) will always remain
// available", 988 transition FAQ, SAMHSA, July 2022), and <Dial> reaches it
// where the three-digit 988 may not be dialable.
const defaultLifeline = "+18002738255"

// crisis reads the crisis block: the group rung at once while open (the
// fallback group unless named) and the Lifeline's number.
func (b *builder) crisis(c Crisis, l *routing.Line) routing.CrisisSettings {
	out := routing.CrisisSettings{RingGroup: strings.TrimSpace(c.RingGroup), Lifeline: defaultLifeline}
	if out.RingGroup == "" {
		out.RingGroup = l.Fallback
	} else if _, ok := l.Groups[out.RingGroup]; !ok {
		b.addf("crisis.ringGroup", "unknown ring group %q", c.RingGroup)
	}
	if v := strings.TrimSpace(c.Lifeline); v != "" {
		if n, ok := phone.E164(v); ok {
			out.Lifeline = n
		} else {
			b.addf("crisis.lifeline", "%q is not an E.164 phone number such as %s", v, defaultLifeline)
		}
	}
	return out
}

// distress adds a file's phrases (at path) to the built-in ones.
func (b *builder) distress(path string, builtIn routing.Distress, w DistressWords) routing.Distress {
	for name, list := range map[string][]string{"say": w.Say, "plea": w.Plea, "therapist": w.Therapist} {
		for i, p := range list {
			if len(routing.Words(p)) == 0 {
				b.addf(fmt.Sprintf("%s.%s[%d]", path, name, i), "empty phrase")
			}
		}
	}
	return builtIn.With(routing.Distress{Crisis: w.Say, Plea: w.Plea, Therapist: w.Therapist})
}

// ownNumbers lists the practice's own phones: the main line, ring-group
// members and the SMS recipients. A caller is never called back on them.
func ownNumbers(l *routing.Line) []string {
	out := []string{l.MainNumber}
	for _, g := range l.Groups {
		for _, m := range g.Members {
			if m.Kind == routing.MemberPhone {
				out = append(out, m.Address)
			}
		}
	}
	return append(out, l.Callback.NotifySMS...)
}

func (b *builder) hours(hours map[string][]string, s *routing.Schedule) {
	b.hoursAt("hours", hours, s)
}

// hoursAt reads weekly hours given at path.
func (b *builder) hoursAt(path string, hours map[string][]string, s *routing.Schedule) {
	days := make([]string, 0, len(hours))
	for d := range hours {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, day := range days {
		wd, ok := weekdayNames[strings.ToLower(day)]
		if !ok {
			b.addf(path+"."+day, "%q is not a day of the week", day)
			continue
		}
		var windows []routing.Window
		for i, spec := range hours[day] {
			path := fmt.Sprintf("%s.%s[%d]", path, day, i)
			w, err := parseWindow(spec)
			if err != nil {
				b.addf(path, "%v", err)
				continue
			}
			for _, prev := range windows {
				if w.Open < prev.Close && prev.Open < w.Close {
					b.addf(path, "%s overlaps %s", w, prev)
				}
			}
			windows = append(windows, w)
		}
		s.Week[wd] = windows
	}
}

func parseWindow(spec string) (routing.Window, error) {
	open, closeAt, ok := strings.Cut(strings.ReplaceAll(spec, " ", ""), "-")
	if !ok {
		return routing.Window{}, fmt.Errorf("%q is not a period such as 08:00-17:00", spec)
	}
	o, err := parseClock(open)
	if err != nil {
		return routing.Window{}, err
	}
	c, err := parseClock(closeAt)
	if err != nil {
		return routing.Window{}, err
	}
	if c <= o {
		return routing.Window{}, fmt.Errorf("%q closes before it opens", spec)
	}
	return routing.Window{Open: o, Close: c}, nil
}

func parseClock(s string) (int, error) {
	if s == "24:00" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time such as 08:30", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (b *builder) holidays(h Holidays, s *routing.Schedule) {
	loc := s.Location
	known := USHolidayNames()
	now := time.Now()
	for i, name := range h.US {
		hol, ok := known[name]
		if !ok {
			keys := make([]string, 0, len(known))
			for k := range known {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.addf(fmt.Sprintf("holidays.us[%d]", i), "unknown holiday %q (known: %s)", name, strings.Join(keys, ", "))
			continue
		}
		// Observed dates for last year to a few years ahead.
		for y := now.Year() - 1; y <= now.Year()+5; y++ {
			_, obs := hol.Calc(y)
			if obs.IsZero() {
				continue
			}
			s.Closed = append(s.Closed, routing.Closure{Date: time.Date(obs.Year(), obs.Month(), obs.Day(), 0, 0, 0, 0, loc), Name: hol.Name, Key: name})
		}
	}
	for i, c := range h.Dates {
		d, err := time.ParseInLocation("2006-01-02", c.Date, loc)
		if err != nil {
			b.addf(fmt.Sprintf("holidays.dates[%d].date", i), "%q is not a date such as 2026-12-24", c.Date)
			continue
		}
		name := c.Name
		if name == "" {
			name = "closed"
		}
		s.Closed = append(s.Closed, routing.Closure{Date: d, Name: name, Key: c.Date})
	}
}

// spokenNumber is a run of digits, possibly spaced for text-to-speech
// ("9 1 1", "9-8-8", "9.1.1").
var spokenNumber = regexp.MustCompile(`\d(?:[\s.\-]*\d)*`)

// hasCrisisNumbers reports whether text names both 911 and 988 as whole
// numbers, however their digits are spaced. It is linear in the text.
func hasCrisisNumbers(text string) bool {
	var got911, got988 bool
	for _, m := range spokenNumber.FindAllString(text, -1) {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, m)
		got911 = got911 || digits == "911"
		got988 = got988 || digits == "988"
	}
	return got911 && got988
}

// prompts builds the line's own prompts: what the file says, else the
// built-in text of the line's language (English for one Switchboard does
// not know). The crisis line has no built-in text: the file must say it.
func (b *builder) prompts(given map[string]string, lang, practice string) routing.Prompts {
	var out routing.Prompts
	builtin, _ := routing.BuiltinIn(lang)
	b.unknownPrompts("prompts", given)
	for _, spec := range routing.PromptSpecs() {
		v, ok := b.promptText("prompts", spec, given)
		if !ok {
			v = routing.Fill(builtin.Prompts[spec.Name], "practice", practice)
		}
		*spec.In(&out) = v
	}
	switch {
	case out.Crisis == "":
		b.addf("prompts.crisis", "the crisis line is required: every call must hear it (911 for emergencies, 988 for crisis)")
	case !hasCrisisNumbers(out.Crisis):
		b.addf("prompts.crisis", "the crisis line must name both 911 and 988")
	}
	if practice != "" && !strings.Contains(strings.ToLower(out.Greeting), strings.ToLower(practice)) {
		b.addf("prompts.greeting", "the greeting must name the practice (%q)", practice)
	}
	return out
}

var actionKinds = map[string]routing.ActionKind{
	"ring": routing.ActionRing, "extension": routing.ActionExtension, "info": routing.ActionInfo,
	"callback": routing.ActionCallback, "repeat": routing.ActionRepeat, "menu": routing.ActionMenu,
}

func (b *builder) options(path string, opts []Option, f File, main bool) []routing.Option {
	var out []routing.Option
	digits := map[string]int{}
	phrases := map[string]int{}
	for i, o := range opts {
		p := fmt.Sprintf("%s[%d]", path, i)
		if len(o.Digit) != 1 || !strings.Contains("0123456789*", o.Digit) {
			b.addf(p+".digit", "%q is not a single key (0-9 or *)", o.Digit)
		} else if j, dup := digits[o.Digit]; dup {
			b.addf(p+".digit", "duplicate digit %q (also %s[%d])", o.Digit, path, j)
		} else {
			digits[o.Digit] = i
		}
		for _, s := range o.Say {
			key := strings.Join(routing.Words(s), " ")
			if key == "" {
				b.addf(p+".say", "empty phrase")
				continue
			}
			if j, dup := phrases[key]; dup && j != i {
				b.addf(p+".say", "phrase %q also selects %s[%d]", s, path, j)
			}
			phrases[key] = i
		}
		kind, ok := actionKinds[o.Action]
		if !ok {
			b.addf(p+".action", "unknown action %q (ring, extension, info, callback, repeat, menu)", o.Action)
			continue
		}
		switch kind {
		case routing.ActionRing:
			if _, ok := f.RingGroups[o.Target]; !ok {
				b.addf(p+".target", "unknown ring group %q", o.Target)
			}
		case routing.ActionInfo:
			if _, ok := f.Info[o.Target]; !ok {
				b.addf(p+".target", "unknown info message %q", o.Target)
			}
		case routing.ActionExtension:
			found := false
			for _, e := range f.Extensions {
				found = found || e.Number == o.Target
			}
			if !found {
				b.addf(p+".target", "unknown extension %q", o.Target)
			}
		case routing.ActionMenu:
			if main {
				b.addf(p+".action", "the main menu cannot return to itself; use repeat")
			}
		}
		closed := strings.TrimSpace(o.ClosedLabel)
		if closed == "" && kind == routing.ActionRing && o.Label != "" {
			closed = "To leave a request for a call back"
		}
		out = append(out, routing.Option{
			Digit: o.Digit, Phrases: o.Say, Label: strings.TrimSpace(o.Label), ClosedLabel: closed,
			Action: routing.Action{Kind: kind, Target: o.Target},
		})
	}
	return out
}

func (b *builder) group(path, name string, g Group) (routing.Group, bool) {
	out := routing.Group{Name: name, RingSeconds: g.RingSeconds, MaxRingSeconds: g.MaxRingSeconds, Screen: true}
	if g.Screen != nil {
		out.Screen = *g.Screen
	}
	ok := true
	switch g.Strategy {
	case "", "all":
		out.Strategy = routing.RingAll
	case "order":
		out.Strategy = routing.RingOrder
	default:
		b.addf(path+".strategy", "unknown strategy %q (all or order)", g.Strategy)
		ok = false
	}
	switch g.CallerID {
	case "", "caller":
		out.CallerID = routing.CallerIDCaller
	case "main":
		out.CallerID = routing.CallerIDMain
	default:
		b.addf(path+".callerId", "unknown caller ID mode %q (caller or main)", g.CallerID)
	}
	if len(g.Members) == 0 {
		b.addf(path+".members", "the ring group is empty: it would ring nobody")
		ok = false
	}
	if out.Strategy == routing.RingAll && len(g.Members) > maxDialNouns {
		b.addf(path+".members", "Twilio rings at most %d parties at once; use strategy: order or split the group", maxDialNouns)
	}
	seen := map[string]bool{}
	for i, m := range g.Members {
		mp := fmt.Sprintf("%s.members[%d]", path, i)
		member, err := parseMember(m)
		if err != nil {
			b.addf(mp, "%v", err)
			ok = false
			continue
		}
		if seen[member.Address] {
			b.addf(mp, "%q is listed twice", m)
		}
		seen[member.Address] = true
		out.Members = append(out.Members, member)
	}
	out.Title = strings.TrimSpace(g.Title)
	if out.Title == "" {
		out.Title = strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "-", " ")
	}
	if len(g.DutyHours) > 0 {
		out.DutyHours = map[string]routing.Schedule{}
		for member, hours := range g.DutyHours {
			m, err := parseMember(member)
			if err != nil || !seen[m.Address] {
				b.addf(path+".dutyHours."+member, "%q is not one of the group's members", member)
				continue
			}
			sched := routing.Schedule{Location: b.loc}
			b.hoursAt(path+".dutyHours."+member, hours, &sched)
			out.DutyHours[m.Address] = sched
		}
	}
	for code, members := range g.Speaks {
		if !routing.IsLanguageCode(code) {
			b.addf(path+".speaks."+code, "%q is not a two-letter language code such as es", code)
			continue
		}
		for i, member := range members {
			m, err := parseMember(member)
			if err != nil || !seen[m.Address] {
				b.addf(fmt.Sprintf("%s.speaks.%s[%d]", path, code, i), "%q is not one of the group's members", member)
				continue
			}
			if out.Speakers == nil {
				out.Speakers = map[string][]string{}
			}
			out.Speakers[code] = append(out.Speakers[code], m.Address)
		}
	}
	if out.RingSeconds == 0 {
		out.RingSeconds = defaultRingSeconds
	}
	if out.RingSeconds < routing.MinRingSeconds || out.RingSeconds > maxMemberRing {
		b.addf(path+".ringSeconds", "must be between %d and %d seconds, got %d", routing.MinRingSeconds, maxMemberRing, out.RingSeconds)
		ok = false
	}
	switch {
	case g.MaxRingSeconds == 0:
		b.addf(path+".maxRingSeconds", "set a limit on the total ring time (at most %d seconds) so callers are never left ringing", maxRingSeconds)
		ok = false
	case g.MaxRingSeconds < routing.MinRingSeconds || g.MaxRingSeconds > maxRingSeconds:
		b.addf(path+".maxRingSeconds", "must be between %d and %d seconds, got %d", routing.MinRingSeconds, maxRingSeconds, g.MaxRingSeconds)
		ok = false
	}
	return out, ok
}

var (
	extensionNumber = regexp.MustCompile(`^\d{2,6}$`)
	languageTag     = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	sipURI          = regexp.MustCompile(`^sip:[A-Za-z0-9._~!$&'()*+,;=%-]+@[A-Za-z0-9.-]+(:\d+)?(;[A-Za-z0-9=._-]+)*$`)
	clientID        = regexp.MustCompile(`^client:[A-Za-z0-9_.-]{1,121}$`)
)

func parseMember(s string) (routing.Member, error) {
	m := routing.ParseMember(s)
	switch m.Kind {
	case routing.MemberSIP:
		if !sipURI.MatchString(s) {
			return m, fmt.Errorf("%q is not a SIP URI such as sip:desk@clinic.sip.twilio.com", s)
		}
	case routing.MemberClient:
		if !clientID.MatchString(s) {
			return m, fmt.Errorf("%q is not a Twilio Client identity such as client:frontdesk", s)
		}
	default:
		n, ok := phone.E164(s)
		if !ok {
			return m, fmt.Errorf("%q is not an E.164 phone number (+ and country code), a sip: URI or a client: identity", s)
		}
		m.Address = n
	}
	return m, nil
}

func (b *builder) extensions(exts []Extension, groups map[string]Group, l *routing.Line) {
	seen := map[string]int{}
	for i, e := range exts {
		p := fmt.Sprintf("extensions[%d]", i)
		if !extensionNumber.MatchString(e.Number) {
			b.addf(p+".number", "%q is not an extension of 2 to 6 digits", e.Number)
		} else if j, dup := seen[e.Number]; dup {
			b.addf(p+".number", "duplicate extension %q (also extensions[%d])", e.Number, j)
		}
		seen[e.Number] = i
		if strings.TrimSpace(e.Name) == "" {
			b.addf(p+".name", "every extension needs a name (callers can say it)")
		}
		ext := routing.Extension{Number: e.Number, Name: strings.TrimSpace(e.Name), Phrases: e.Say, AfterHours: e.AfterHours}
		switch {
		case e.Group != "" && e.Dial != "":
			b.addf(p, "give either group or dial, not both")
		case e.Group != "":
			if _, ok := groups[e.Group]; !ok {
				b.addf(p+".group", "unknown ring group %q", e.Group)
			}
			ext.Group = e.Group
		case e.Dial != "":
			ring := e.RingSecs
			if ring == 0 {
				ring = defaultRingSeconds
			}
			g, ok := b.group(p, "ext-"+e.Number, Group{Strategy: "all", Members: []string{e.Dial}, RingSeconds: ring, MaxRingSeconds: ring, Title: e.Name})
			if ok {
				ext.Group = g.Name
				l.Groups[g.Name] = g
			}
		default:
			b.addf(p, "give group (a ring group) or dial (one number) for the extension to ring")
		}
		l.Extensions = append(l.Extensions, ext)
	}
}

// shadowing rejects extensions a caller could never reach: one equal to a
// main-menu digit is taken as that option instead.
func (b *builder) shadowing(l *routing.Line) {
	for i, e := range l.Extensions {
		for j, o := range l.Menu {
			if e.Number == o.Digit {
				b.addf(fmt.Sprintf("extensions[%d].number", i), "extension %q is shadowed by menu[%d].digit", e.Number, j)
			}
		}
	}
	// A phrase that selects both a menu option and an extension is ambiguous.
	for i, e := range l.Extensions {
		for _, ph := range append([]string{e.Name}, e.Phrases...) {
			key := strings.Join(routing.Words(ph), " ")
			for j, o := range l.Menu {
				for _, op := range o.Phrases {
					if key != "" && key == strings.Join(routing.Words(op), " ") {
						b.addf(fmt.Sprintf("extensions[%d].say", i), "phrase %q also selects menu[%d]", ph, j)
					}
				}
			}
		}
	}
}

func (b *builder) callback(c Callback) routing.CallbackSettings {
	out := routing.CallbackSettings{
		MaxMessageSeconds: c.MaxMessageSeconds,
		Transcribe:        c.Transcribe,
		Deadline:          time.Duration(c.DeadlineHours * float64(time.Hour)),
		DeleteRecordings:  c.DeleteRecordings,
		MissedCalls:       c.MissedCalls == nil || *c.MissedCalls,
		MissedCallSeconds: c.MissedCallSeconds,
	}
	switch {
	case c.MissedCallSeconds == 0:
		out.MissedCallSeconds = 10
	case c.MissedCallSeconds < 1 || c.MissedCallSeconds > 600:
		b.addf("callback.missedCallSeconds", "must be between 1 and 600 seconds, got %d", c.MissedCallSeconds)
	}
	switch {
	case c.DeadlineHours == 0:
		out.Deadline = 4 * time.Hour
	case c.DeadlineHours < 0.25 || c.DeadlineHours > 80:
		b.addf("callback.deadlineHours", "must be between 0.25 and 80 office hours, got %v", c.DeadlineHours)
	}
	for i, n := range c.NotifySMS {
		e, ok := phone.E164(n)
		if !ok {
			b.addf(fmt.Sprintf("callback.notifySms[%d]", i), "%q is not an E.164 phone number", n)
			continue
		}
		out.NotifySMS = append(out.NotifySMS, e)
	}
	out.MaxMessageSeconds = b.within("callback.maxMessageSeconds", out.MaxMessageSeconds, 120, 5, 600, " seconds")
	for i, c := range c.Countries {
		region := strings.ToUpper(strings.TrimSpace(c))
		if !phone.KnownRegion(region) {
			b.addf(fmt.Sprintf("callback.countries[%d]", i), "%q is not a region code such as US or CA", c)
			continue
		}
		out.Countries = append(out.Countries, region)
	}
	if len(out.Countries) == 0 {
		out.Countries = []string{"US", "CA"}
	}
	if out.Transcribe && out.MaxMessageSeconds > 120 {
		b.addf("callback.transcribe", "Twilio transcribes only recordings of 2 to 120 seconds: lower maxMessageSeconds to 120 or turn transcription off")
	}
	out.ClaimTTL = time.Duration(b.within("callback.claimMinutes", c.ClaimMinutes, 30, 1, 24*60, "")) * time.Minute
	out.Retention = time.Duration(b.within("callback.retentionDays", c.RetentionDays, 30, 1, 3650, "")) * 24 * time.Hour
	return out
}
