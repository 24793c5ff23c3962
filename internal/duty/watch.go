package duty

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-clinic/switchboard/routing"
)

// Taking lists the members of g who take calls at now, in group order.
func Taking(g routing.Group, states map[string]State, now time.Time) []routing.Member {
	var out []routing.Member
	for _, m := range g.Members {
		if OnDuty(g, m.Address, states, now) {
			out = append(out, m)
		}
	}
	return out
}

// Uncovered names, sorted, the ring groups of line in which nobody takes
// calls at now: a call for one of them rings no phone.
func Uncovered(line *routing.Line, states map[string]State, now time.Time) []string {
	var out []string
	for name, g := range line.Groups {
		if len(g.Members) > 0 && len(Taking(g, states, now)) == 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Titles names groups for people: each group's title ("Scheduling",
// an extension's name), or its key when it has none.
func Titles(line *routing.Line, groups []string) []string {
	out := make([]string, 0, len(groups))
	for _, n := range groups {
		out = append(out, cmp.Or(line.Groups[n].Title, n))
	}
	return out
}

// Cover is whether the line's ring groups reach somebody now.
type Cover struct {
	// Open is whether the office is open now: only then does a group with
	// nobody taking calls turn callers away from a person.
	Open bool
	// Uncovered are the groups with nobody taking calls, sorted.
	Uncovered []string
}

// Texter sends one SMS (twilioapi.Client does, through Twilio's Messages
// resource).
type Texter interface {
	SendSMS(to, from, body string) error
}

// Admins finds the phones of the admins to alert (the staff accounts with
// admin rights and a phone).
type Admins interface {
	AdminPhones(ctx context.Context) ([]string, error)
}

// Watch tells people when a ring group has nobody taking calls while the
// office is open: the console shows its Cover on every page, and Check
// texts the admins once when such a gap starts. Several instances share
// one Redis: a gap is texted about by one of them only.
type Watch struct {
	roster *Roster
	line   func() *routing.Line
	now    func() time.Time
	admins Admins
	texter Texter // nil: no SMS (no Twilio credentials)
	log    *slog.Logger
}

// WatchOptions are what NewWatch needs; Texter and Admins may be nil, and
// then nobody is texted.
type WatchOptions struct {
	Roster *Roster
	Line   func() *routing.Line
	Now    func() time.Time
	Admins Admins
	Texter Texter
	Logger *slog.Logger
}

// NewWatch returns a Watch.
func NewWatch(o WatchOptions) (*Watch, error) {
	if o.Roster == nil || o.Line == nil || o.Now == nil || o.Logger == nil {
		return nil, errors.New("duty watch: roster, line, clock and logger are required")
	}
	return &Watch{roster: o.Roster, line: o.Line, now: o.Now, admins: o.Admins, texter: o.Texter, log: o.Logger}, nil
}

// Cover reads who takes calls now (from the roster's short cache).
func (w *Watch) Cover(ctx context.Context) (Cover, error) {
	states, err := w.roster.States(ctx)
	if err != nil {
		return Cover{}, err
	}
	line, now := w.line(), w.now()
	return Cover{Open: line.OpenAt(now), Uncovered: Uncovered(line, states, now)}, nil
}

// alertTTL bounds how long a gap is remembered: a gap still open a day
// later (or a group removed from the configuration) is texted about again.
const alertTTL = 24 * time.Hour

// scriptGap remembers (set) or forgets (del) that a group's gap was texted
// about, only if no duty switch changed since the states were read: an
// instance that read older states never undoes a newer decision.
// KEYS: version, gap. ARGV: version read, "set" or "del", TTL in ms.
var scriptGap = redis.NewScript(`
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return -1 end
if ARGV[2] == 'set' then
  if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then return 1 end
  return 0
end
redis.call('DEL', KEYS[2])
return 0`)

// Check reads the states afresh and texts the admins (one SMS each) about
// the groups whose gap starts now: nobody takes their calls while the
// office is open, and no instance has texted about it since the gap began.
// A gap ends when somebody takes calls again or the office closes; the next
// one is texted about again. It returns the groups texted about.
func (w *Watch) Check(ctx context.Context) ([]string, error) {
	states, version, err := w.roster.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	line, now := w.line(), w.now()
	open := line.OpenAt(now)
	gaps := map[string]bool{}
	if open {
		for _, g := range Uncovered(line, states, now) {
			gaps[g] = true
		}
	}
	var started []string
	for _, name := range sortedGroups(line) {
		op := "del"
		if gaps[name] {
			op = "set"
		}
		keys := []string{w.roster.prefix + "version", w.roster.prefix + "gap:" + name}
		res, err := scriptGap.Run(ctx, w.roster.rdb, keys, version, op, alertTTL.Milliseconds()).Int()
		if err != nil {
			return nil, fmt.Errorf("remember the duty gap of %s: %w", name, err)
		}
		if res == 1 {
			started = append(started, name)
		}
	}
	if len(started) == 0 {
		return nil, nil
	}
	w.log.Warn("nobody is taking calls for a ring group while the office is open", slog.String("groups", strings.Join(started, ",")))
	w.alert(ctx, line, started)
	return started, nil
}

func sortedGroups(line *routing.Line) []string {
	names := make([]string, 0, len(line.Groups))
	for n := range line.Groups {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// alert texts every admin with a phone; failures are logged, never the
// numbers.
func (w *Watch) alert(ctx context.Context, line *routing.Line, groups []string) {
	if w.texter == nil || w.admins == nil {
		w.log.Warn("no admin was texted about the duty gap: texting needs TWILIO_ACCOUNT_SID and an admin with a phone (switchboard staff phone NAME NUMBER)")
		return
	}
	phones, err := w.admins.AdminPhones(ctx)
	if err != nil {
		w.log.Error("no admin was texted about the duty gap: the staff accounts could not be read", slog.String("error", err.Error()))
		return
	}
	if len(phones) == 0 {
		w.log.Warn("no admin was texted about the duty gap: no admin has a phone (switchboard staff phone NAME NUMBER)")
		return
	}
	body := GapText(line.Practice, Titles(line, groups))
	for _, to := range phones {
		if err := w.texter.SendSMS(to, line.MainNumber, body); err != nil {
			w.log.Warn("duty gap SMS not sent", slog.String("error", err.Error()))
		}
	}
}

// GapText is the admins' SMS about a gap: the practice and the groups'
// titles, never anything about a caller.
func GapText(practice string, titles []string) string {
	return practice + ": nobody is taking calls for " + strings.Join(titles, " or ") +
		" now, so callers are offered a call back instead. Switch someone on in the staff console (Who is taking calls), or a scheduler texts ON."
}

// Run checks every interval until ctx ends, so a gap that starts by the
// clock (duty hours ending, the office opening with everybody away) is
// texted about too; a failed check is logged and tried again.
func (w *Watch) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, every)
		if _, err := w.Check(cctx); err != nil && ctx.Err() == nil {
			w.log.Warn("duty check failed; tried again", slog.String("error", err.Error()))
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// snapshot reads every member's switch and the version of the states
// (raised by every Set) together, bypassing the cache.
func (r *Roster) snapshot(ctx context.Context) (map[string]State, string, error) {
	pipe := r.rdb.TxPipeline()
	all := pipe.HGetAll(ctx, r.prefix+"state")
	ver := pipe.Get(ctx, r.prefix+"version")
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, "", fmt.Errorf("read duty states: %w", err)
	}
	version := "0"
	if v, err := ver.Int64(); err == nil {
		version = strconv.FormatInt(v, 10)
	}
	return decodeStates(all.Val()), version, nil
}
