package calls

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stage is where in the line a caller is: what they were hearing when
// they hung up.
type Stage string

// The stages of a call.
const (
	StageGreeting Stage = "greeting" // the greeting and crisis line
	StageMenu     Stage = "menu"     // the main menu (and an extension being keyed)
	StageInfo     Stage = "info"     // an information message
	StageRing     Stage = "ring"     // a ring group (or an extension) ringing
	StageCallback Stage = "callback" // the callback steps
	StageCrisis   Stage = "crisis"   // the crisis response and the Lifeline offer
	StageEnded    Stage = "ended"    // the line said goodbye and hung up
)

// Stages lists the stages in the order of a call.
func Stages() []Stage {
	return []Stage{StageGreeting, StageMenu, StageInfo, StageRing, StageCallback, StageCrisis, StageEnded}
}

// Describe says the stage in staff's words ("hung up in the main menu").
func (s Stage) Describe() string {
	switch s {
	case StageGreeting:
		return "the greeting"
	case StageMenu:
		return "the main menu"
	case StageInfo:
		return "an information message"
	case StageRing:
		return "a ring group ringing"
	case StageCallback:
		return "the callback steps, before a request was saved"
	case StageCrisis:
		return "the crisis response"
	case StageEnded:
		return "the goodbye (the line ended the call)"
	}
	return "an unknown step"
}

// Mark is what a webhook learnt about its call. Stage "" and Lang "" leave
// the record's as they are; the flags are only ever set, never cleared; of
// the two instants only the first written is kept.
type Mark struct {
	Stage     Stage
	Lang      string
	Person    bool // bridged with a member of a ring group (DialBridged)
	Request   bool // a callback request was created
	Extension bool // the caller dialled an extension
	Crisis    bool // the caller heard the crisis response
	Info      bool // the caller heard an information message
	// Asked is when the caller asked for a person: the first ring of a
	// ring group (scheduling by the menu, an extension, or the fallback
	// after silence). Zero leaves it as it is.
	Asked time.Time
	// Reached is when a person answered and took the call (bridged). Zero
	// leaves it as it is.
	Reached time.Time
}

// Record is what a call did, as its marks left it.
type Record struct {
	Seen bool // any mark was written: the call is known
	Mark
}

// ToPerson is how long the caller waited from asking for a person to one
// answering, and false when the call did not reach a person after asking
// (or either instant was not recorded). A clock step between instances
// never makes it negative.
func (r Record) ToPerson() (time.Duration, bool) {
	if !r.Person || r.Asked.IsZero() || r.Reached.IsZero() {
		return 0, false
	}
	return max(0, r.Reached.Sub(r.Asked)), true
}

// End is how a completed call ended, for the reports and metrics: nothing
// about the caller but their language.
type End struct {
	Outcome Outcome
	Stage   Stage  // where the caller was at the end
	Lang    string // the call's language ("en", "es")
	At      time.Time
	// ToPerson is the wait from asking for a person to one answering,
	// when Reached is set (Record.ToPerson).
	ToPerson time.Duration
	Reached  bool
}

// Outcome is how a call ended, decided when Twilio reports it completed.
type Outcome string

// The outcomes of a call.
const (
	OutcomePerson       Outcome = "person"          // reached a person
	OutcomeRequest      Outcome = "request"         // left a callback request
	OutcomeInfo         Outcome = "info"            // heard information only
	OutcomeExtension    Outcome = "extension"       // dialled an extension (nobody took it)
	OutcomeCrisis       Outcome = "crisis"          // got the crisis response
	OutcomeHungUpMenu   Outcome = "hangup-menu"     // hung up in the greeting or the menu
	OutcomeHungUpRing   Outcome = "hangup-ring"     // hung up while a group rang
	OutcomeHungUpCallbk Outcome = "hangup-callback" // hung up in the callback steps before a request was saved
	OutcomeEndedByLine  Outcome = "ended-by-line"   // the line said goodbye and hung up
	OutcomeUnknown      Outcome = "unknown"         // no record of the call (Redis was away, or it expired)
)

// Outcomes lists the outcomes in report order.
func Outcomes() []Outcome {
	return []Outcome{OutcomePerson, OutcomeRequest, OutcomeInfo, OutcomeExtension, OutcomeCrisis,
		OutcomeHungUpMenu, OutcomeHungUpRing, OutcomeHungUpCallbk, OutcomeEndedByLine, OutcomeUnknown}
}

// Outcome decides how the call ended: a person, a request, then an
// extension win over where the caller hung up; a caller in distress is
// counted as the crisis response whatever followed it.
func (r Record) Outcome() Outcome {
	switch {
	case !r.Seen:
		return OutcomeUnknown
	case r.Crisis:
		return OutcomeCrisis
	case r.Person:
		return OutcomePerson
	case r.Request:
		return OutcomeRequest
	case r.Extension:
		return OutcomeExtension
	case r.Stage == StageEnded:
		return OutcomeEndedByLine
	case r.Info && (r.Stage == StageInfo || r.Stage == StageMenu || r.Stage == StageGreeting):
		return OutcomeInfo
	case r.Stage == StageRing:
		return OutcomeHungUpRing
	case r.Stage == StageCallback:
		return OutcomeHungUpCallbk
	}
	return OutcomeHungUpMenu
}

// GaveUp reports whether a call with outcome o got no help: the caller
// hung up (or the line ended the call) before reaching anyone, leaving a
// request or hearing what they asked for.
func (o Outcome) GaveUp() bool {
	switch o {
	case OutcomeHungUpMenu, OutcomeHungUpRing, OutcomeHungUpCallbk, OutcomeEndedByLine:
		return true
	}
	return false
}

// Missed reports whether the call reached nobody, left no request and
// dialled no extension: one the practice should call back.
func (r Record) Missed() bool {
	return r.Seen && !r.Person && !r.Request && !r.Extension
}

func (s *Store) trackKey(callSID string) string { return s.prefix + callSID + ":trk" }

func flag(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// Mark adds what a webhook learnt to the record of the call callSID.
func (s *Store) Mark(ctx context.Context, callSID string, m Mark) error {
	return s.MarkAll(ctx, []CallMark{{CallSID: callSID, Mark: m}})
}

// CallMark is a mark of one call.
type CallMark struct {
	CallSID string
	Mark    Mark
}

// MarkAll adds the marks, in order, in one script (one round trip, applied
// whole).
func (s *Store) MarkAll(ctx context.Context, marks []CallMark) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	keys, args := s.markArgs(marks)
	if err := markScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		if len(marks) == 1 {
			return fmt.Errorf("mark call %s: %w", marks[0].CallSID, err)
		}
		return fmt.Errorf("mark %d calls: %w", len(marks), err)
	}
	return nil
}

// markArgs are the keys and arguments of markScript writing marks.
func (s *Store) markArgs(marks []CallMark) (keys []string, args []any) {
	keys = make([]string, 0, len(marks))
	args = make([]any, 0, 2+len(marks)*12)
	args = append(args, int64(Keep/time.Second), int64(renewBelow/time.Second))
	for _, cm := range marks {
		m := cm.Mark
		keys = append(keys, s.trackKey(cm.CallSID))
		at := len(args)
		args = append(args, 0, "seen", "1")
		for _, f := range [...]struct{ name, value string }{{"stg", string(m.Stage)}, {"lng", m.Lang}, {"per", flag(m.Person)},
			{"req", flag(m.Request)}, {"ext", flag(m.Extension)}, {"cri", flag(m.Crisis)}, {"inf", flag(m.Info)}} {
			if f.value != "" {
				args = append(args, f.name, f.value)
			}
		}
		args[at] = len(args) - at - 1
		args = append(args, millis(m.Asked), millis(m.Reached))
	}
	return keys, args
}

// MarkCommand is the Redis command that writes one mark of the call
// callSID, as EVALSHA's key and arguments after the script's SHA1 (the
// script is MarkScriptSource), for benchmarks that run the same command
// with redis-benchmark.
func (s *Store) MarkCommand(callSID string, m Mark) (key string, args []string) {
	keys, a := s.markArgs([]CallMark{{CallSID: callSID, Mark: m}})
	for _, v := range a {
		args = append(args, fmt.Sprint(v))
	}
	return keys[0], args
}

// MarkScriptSource is the Lua source of the script that writes marks.
func MarkScriptSource() string { return markSource }

// renewBelow is when a mark renews its call's expiry: once less than this
// is left of Keep. Each call's record is given its expiry when it is first
// written and again at most every half hour, not by every webhook (an
// EXPIRE on every mark was the larger half of a mark's cost in Redis, and
// a write to the journal each time); a record still outlives its last
// write by more than four hours.
const renewBelow = Keep - 30*time.Minute

// markScript writes marks, one call per key. ARGV: Keep and renewBelow in
// seconds, then for each key the number of field/value arguments, those
// pairs, and the asked and reached instants in milliseconds ("" for
// none; only the first written is kept).
var markScript = redis.NewScript(markSource)

const markSource = `
local keep, below = ARGV[1], tonumber(ARGV[2])
local a = 3
for _, k in ipairs(KEYS) do
  local n = tonumber(ARGV[a])
  redis.call('HSET', k, unpack(ARGV, a + 1, a + n))
  a = a + n + 1
  if ARGV[a] ~= '' then redis.call('HSETNX', k, 'ask', ARGV[a]) end
  if ARGV[a + 1] ~= '' then redis.call('HSETNX', k, 'rch', ARGV[a + 1]) end
  a = a + 2
  if redis.call('TTL', k) < below then redis.call('EXPIRE', k, keep) end
end
return #KEYS
`

// millis is t in milliseconds since the epoch, "" for the zero time.
func millis(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// Finish reads the record of the call callSID and marks it finished. first
// is false when an earlier status callback (on any instance) finished it
// already: its outcome was decided then.
func (s *Store) Finish(ctx context.Context, callSID string) (rec Record, first bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	key := s.trackKey(callSID)
	var nx *redis.BoolCmd
	var all *redis.MapStringStringCmd
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, key)
		nx = p.HSetNX(ctx, key, "fin", "1")
		p.Expire(ctx, key, Keep)
		return nil
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("finish call %s: %w", callSID, err)
	}
	h := all.Val()
	rec = Record{Seen: h["seen"] == "1", Mark: Mark{Stage: Stage(h["stg"]), Lang: h["lng"], Person: h["per"] == "1",
		Request: h["req"] == "1", Extension: h["ext"] == "1", Crisis: h["cri"] == "1", Info: h["inf"] == "1",
		Asked: instant(h["ask"]), Reached: instant(h["rch"])}}
	return rec, nx.Val(), nil
}

// instant reads a time kept in milliseconds since the epoch; zero when
// absent or unreadable.
func instant(ms string) time.Time {
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}
