package routing

import "strings"

// Strategy says how a ring group rings its members.
type Strategy string

// The ring strategies.
const (
	RingAll   Strategy = "all"   // every member at once; the first to accept takes the call
	RingOrder Strategy = "order" // one member after another, each for RingSeconds
)

// MemberKind says how a member is reached.
type MemberKind string

// The kinds of member.
const (
	MemberPhone  MemberKind = "phone"  // an E.164 number
	MemberSIP    MemberKind = "sip"    // a SIP URI
	MemberClient MemberKind = "client" // a Twilio Client identity
)

// Member is one phone a ring group rings.
type Member struct {
	Kind    MemberKind
	Address string // +14255550101, sip:desk@example.sip.twilio.com, or the client identity
}

// ParseMember classifies a configured member: "sip:..." is SIP, "client:NAME"
// a Twilio Client identity, anything else a phone number (checked elsewhere).
func ParseMember(s string) Member {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(strings.ToLower(s), "sip:"):
		return Member{Kind: MemberSIP, Address: s}
	case strings.HasPrefix(strings.ToLower(s), "client:"):
		return Member{Kind: MemberClient, Address: s[len("client:"):]}
	default:
		return Member{Kind: MemberPhone, Address: s}
	}
}

// CallerIDMode says which number a scheduler's phone shows.
type CallerIDMode string

// The caller ID modes.
const (
	CallerIDCaller CallerIDMode = "caller" // the caller's own number (the main line when withheld)
	CallerIDMain   CallerIDMode = "main"   // always the practice's main number
)

// Group is a ring group: the phones that ring for scheduling or an extension.
type Group struct {
	Name     string
	Strategy Strategy
	Members  []Member
	// RingSeconds is how long each member rings (RingOrder) or how long the
	// whole group rings (RingAll).
	RingSeconds int
	// MaxRingSeconds bounds the total ring time of the group.
	MaxRingSeconds int
	// Screen plays a whisper to whoever answers and bridges only when they
	// press 1, so a personal voicemail never takes the call.
	Screen   bool
	CallerID CallerIDMode
	// Title is how the whisper names the group ("Scheduling").
	Title string
	// DutyHours are the weekly hours some members are on duty, by member
	// address; a member without any is on duty whenever they have not
	// switched themselves away.
	DutyHours map[string]Schedule
	// Speakers are, by language code, the members who speak that language
	// to callers: a call in it rings them first.
	Speakers map[string][]string
}

// SpeakersOf is g with only its members who speak lang, and false when it
// has none.
func (g Group) SpeakersOf(lang string) (Group, bool) {
	speak := map[string]bool{}
	for _, a := range g.Speakers[lang] {
		speak[a] = true
	}
	out := g.Only(func(m Member) bool { return speak[m.Address] })
	return out, len(out.Members) > 0
}

// Only returns the group with just the members keep accepts, in order.
func (g Group) Only(keep func(Member) bool) Group {
	out := g
	out.Members = nil
	for _, m := range g.Members {
		if keep(m) {
			out.Members = append(out.Members, m)
		}
	}
	return out
}

// DialStep is one <Dial>: the members rung together and for how long.
type DialStep struct {
	Members []Member
	Timeout int
}

// Step returns the dial step with index i, or false when the group has no
// step i (every member tried, or the total ring time used up).
func (g Group) Step(i int) (DialStep, bool) {
	if i < 0 || len(g.Members) == 0 {
		return DialStep{}, false
	}
	if g.Strategy != RingOrder {
		if i > 0 {
			return DialStep{}, false
		}
		return DialStep{Members: g.Members, Timeout: min(g.RingSeconds, g.MaxRingSeconds)}, true
	}
	if i >= len(g.Members) {
		return DialStep{}, false
	}
	used := i * g.RingSeconds
	left := g.MaxRingSeconds - used
	if left < MinRingSeconds {
		return DialStep{}, false
	}
	return DialStep{Members: []Member{g.Members[i]}, Timeout: min(g.RingSeconds, left)}, true
}

// MinRingSeconds is the shortest ring that is worth placing: Twilio treats
// shorter Dial timeouts as 5 seconds, and a phone needs a few rings.
const MinRingSeconds = 5

// TotalRingSeconds is the longest the caller can hear ringing for this group.
func (g Group) TotalRingSeconds() int {
	total := 0
	for i := 0; ; i++ {
		s, ok := g.Step(i)
		if !ok {
			return total
		}
		total += s.Timeout
	}
}
