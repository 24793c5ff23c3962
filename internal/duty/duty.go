// Package duty keeps who of the ring groups' members is taking calls: each
// member is on duty or away, by their own switch (console or SMS), an
// admin's, or their weekly duty hours. The state lives in Redis, shared by
// every instance; every change is kept 400 days with who made it, when and
// how.
package duty

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-clinic/switchboard/routing"
)

// State is a member's own switch.
type State struct {
	On bool
	// Until is when the switch stops counting (the member's next duty-hours
	// boundary); zero for a member without duty hours: until changed.
	Until time.Time
	At    time.Time // when it was set
	Who   string    // the staff account that set it, or the member's phone for SMS
	How   string    // "console", "sms" or "admin"
}

// Change is one entry of the duty log.
type Change struct {
	At     time.Time `json:"at"`
	Member string    `json:"member"` // the member's address
	On     bool      `json:"on"`
	Who    string    `json:"who"`
	How    string    `json:"how"`
	// ID tells apart two identical changes made in the same instant (the
	// log is a sorted set of entries).
	ID string `json:"id"`
}

// Roster reads and sets duty states. It is safe for concurrent use.
type Roster struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
	// The states are read for every ring: they are cached briefly, and
	// this instance's own changes replace the cache at once.
	ttl      time.Duration
	mu       sync.Mutex
	cached   map[string]State
	cachedAt time.Time
}

// KeepLog is how long the log keeps a change.
const KeepLog = 400 * 24 * time.Hour

// New returns a Roster on rdb; keys start with prefix.
func New(rdb redis.UniversalClient, prefix string, now func() time.Time) (*Roster, error) {
	if rdb == nil || now == nil {
		return nil, errors.New("duty roster: a Redis client and a clock are required")
	}
	return &Roster{rdb: rdb, prefix: prefix + "{duty}:", now: now, ttl: 2 * time.Second}, nil
}

// KeepDelivered is how long a text's MessageSid is remembered, so that a
// replay of the same signed webhook (a retry, or a copy someone captured)
// is not obeyed twice.
const KeepDelivered = 48 * time.Hour

// FirstDelivery reports whether the text with this MessageSid is seen for
// the first time (SET NX with a TTL of KeepDelivered).
func (r *Roster) FirstDelivery(ctx context.Context, messageSID string) (bool, error) {
	ok, err := r.rdb.SetNX(ctx, r.prefix+"sms:"+messageSID, "1", KeepDelivered).Result()
	if err != nil {
		return false, fmt.Errorf("remember text %s: %w", messageSID, err)
	}
	return ok, nil
}

type stored struct {
	On    bool   `json:"on"`
	Until int64  `json:"until,omitempty"`
	At    int64  `json:"at"`
	Who   string `json:"who"`
	How   string `json:"how"`
}

// Switch is one change of a member's switch: who turned it on or off, how,
// and until when it counts.
type Switch struct {
	Member string // the member's address (a phone number)
	On     bool   // taking calls
	By     string // the staff account that switched, or the member's phone for SMS
	How    string // "console", "sms" or "admin"
	// Until is when the switch stops counting (see SwitchUntil); zero:
	// until changed.
	Until time.Time
}

// Set records a member's switch and logs it.
func (r *Roster) Set(ctx context.Context, sw Switch) error {
	now := r.now()
	s := stored{On: sw.On, At: now.UnixMilli(), Who: sw.By, How: sw.How}
	if !sw.Until.IsZero() {
		s.Until = sw.Until.UnixMilli()
	}
	state, _ := json.Marshal(s)
	entry, _ := json.Marshal(Change{At: now, Member: sw.Member, On: sw.On, Who: sw.By, How: sw.How, ID: rand.Text()})
	pipe := r.rdb.TxPipeline()
	pipe.HSet(ctx, r.prefix+"state", sw.Member, state)
	pipe.Incr(ctx, r.prefix+"version") // see Watch.Check
	pipe.ZAdd(ctx, r.prefix+"log", redis.Z{Score: float64(now.UnixMilli()), Member: entry})
	pipe.ZRemRangeByScore(ctx, r.prefix+"log", "-inf", "("+strconv.FormatInt(now.Add(-KeepLog).UnixMilli(), 10))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("set duty of %s: %w", sw.Member, err)
	}
	r.mu.Lock()
	if r.cached != nil {
		r.cached[sw.Member] = s.state()
	}
	r.mu.Unlock()
	return nil
}

// counts reports whether the switch still decides at now.
func (s State) counts(now time.Time) bool { return s.Until.IsZero() || now.Before(s.Until) }

func (s stored) state() State {
	st := State{On: s.On, At: time.UnixMilli(s.At).UTC(), Who: s.Who, How: s.How}
	if s.Until > 0 {
		st.Until = time.UnixMilli(s.Until).UTC()
	}
	return st
}

// States returns every member's switch (members who never switched have
// none), from a cache at most a couple of seconds old by the roster's
// clock (a clock that went back reads again).
func (r *Roster) States(ctx context.Context) (map[string]State, error) {
	r.mu.Lock()
	if age := r.now().Sub(r.cachedAt); r.cached != nil && age >= 0 && age < r.ttl {
		out := copyStates(r.cached)
		r.mu.Unlock()
		return out, nil
	}
	r.mu.Unlock()
	raw, err := r.rdb.HGetAll(ctx, r.prefix+"state").Result()
	if err != nil {
		return nil, fmt.Errorf("read duty states: %w", err)
	}
	states := decodeStates(raw)
	r.mu.Lock()
	r.cached, r.cachedAt = states, r.now()
	r.mu.Unlock()
	return copyStates(states), nil
}

func decodeStates(raw map[string]string) map[string]State {
	states := make(map[string]State, len(raw))
	for member, v := range raw {
		var s stored
		if json.Unmarshal([]byte(v), &s) == nil {
			states[member] = s.state()
		}
	}
	return states
}

func copyStates(m map[string]State) map[string]State {
	out := make(map[string]State, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Log returns the latest n changes, newest first. Every change is kept
// for KeepLog.
func (r *Roster) Log(ctx context.Context, n int) ([]Change, error) {
	raw, err := r.rdb.ZRevRange(ctx, r.prefix+"log", 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("read duty log: %w", err)
	}
	out := make([]Change, 0, len(raw))
	for _, v := range raw {
		var c Change
		if json.Unmarshal([]byte(v), &c) == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// OnDuty reports whether member of g is taking calls at now: by their own
// switch while it counts, otherwise by their duty hours (on duty when they
// have none).
func OnDuty(g routing.Group, member string, states map[string]State, now time.Time) bool {
	if s, ok := states[member]; ok && s.counts(now) {
		return s.On
	}
	if hours, ok := g.DutyHours[member]; ok {
		return hours.IsOpen(now)
	}
	return true
}

// SwitchUntil is how long a switch made at now counts for a member: until
// the next start or end of their duty hours in any group, or for good when
// they have none.
func SwitchUntil(line *routing.Line, member string, now time.Time) time.Time {
	var until time.Time
	for _, g := range line.Groups {
		hours, ok := g.DutyHours[member]
		if !ok {
			continue
		}
		var next time.Time
		if closes, open := hours.ClosesAt(now); open {
			next = closes
		} else if opens, ok := hours.NextOpen(now); ok {
			next = opens
		}
		if !next.IsZero() && (until.IsZero() || next.Before(until)) {
			until = next
		}
	}
	return until
}

// Filter is the ring-time view of the roster: the members of a group to
// ring now. When Redis cannot be read (within readTimeout) it returns the
// configured members and the error: a caller is never left ringing nobody
// because of an outage. With the states cached it touches nothing but
// memory.
func (r *Roster) Filter(ctx context.Context, g routing.Group, now time.Time) (routing.Group, error) {
	r.mu.Lock()
	if age := r.now().Sub(r.cachedAt); r.cached != nil && age >= 0 && age < r.ttl {
		out := filter(g, r.cached, now)
		r.mu.Unlock()
		return out, nil
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	states, err := r.States(ctx)
	if err != nil {
		return g, err
	}
	return filter(g, states, now), nil
}

// readTimeout bounds the read of the states before a ring.
const readTimeout = 200 * time.Millisecond

// filter keeps the members on duty; a group with everyone on duty is
// returned as it is.
func filter(g routing.Group, states map[string]State, now time.Time) routing.Group {
	all := true
	for _, m := range g.Members {
		all = all && OnDuty(g, m.Address, states, now)
	}
	if all {
		return g
	}
	return g.Only(func(m routing.Member) bool { return OnDuty(g, m.Address, states, now) })
}

// Members lists every ring-group member of the line once, in group order.
func Members(line *routing.Line) []routing.Member {
	seen := map[string]bool{}
	var out []routing.Member
	names := make([]string, 0, len(line.Groups))
	for n := range line.Groups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, m := range line.Groups[n].Members {
			if !seen[m.Address] {
				seen[m.Address] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// GroupsOf names the groups member belongs to.
func GroupsOf(line *routing.Line, member string) []string {
	var out []string
	for n, g := range line.Groups {
		for _, m := range g.Members {
			if m.Address == member {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ParseText reads a scheduler's text: ON or OFF (any case, with spaces or
// punctuation around), or false for anything else.
func ParseText(body string) (on, ok bool) {
	w := strings.Trim(strings.ToUpper(strings.TrimSpace(body)), ".!")
	switch w {
	case "ON", "ON DUTY", "IN":
		return true, true
	case "OFF", "OFF DUTY", "AWAY", "OUT":
		return false, true
	}
	return false, false
}

// Describe says a member's state for staff: "Taking calls" or "Away",
// and why.
func Describe(g routing.Group, member string, states map[string]State, now time.Time) string {
	on := OnDuty(g, member, states, now)
	word := "Away"
	if on {
		word = "Taking calls"
	}
	if s, ok := states[member]; ok && s.counts(now) {
		return word + " (switched " + s.How + ")"
	}
	if _, ok := g.DutyHours[member]; ok {
		return word + " (duty hours)"
	}
	return word
}
