package calls_test

import (
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/calls"
)

func TestRecordOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rec    calls.Record
		want   calls.Outcome
		missed bool
	}{
		{"unknown call", calls.Record{}, calls.OutcomeUnknown, false},
		{"hung up in the menu", seen(calls.Mark{Stage: calls.StageMenu}), calls.OutcomeHungUpMenu, true},
		{"hung up while ringing", seen(calls.Mark{Stage: calls.StageRing}), calls.OutcomeHungUpRing, true},
		{"hung up in the callback steps", seen(calls.Mark{Stage: calls.StageCallback}), calls.OutcomeHungUpCallbk, true},
		{"reached a person", seen(calls.Mark{Stage: calls.StageEnded, Person: true}), calls.OutcomePerson, false},
		{"left a request", seen(calls.Mark{Stage: calls.StageCallback, Request: true}), calls.OutcomeRequest, false},
		{"dialled an extension", seen(calls.Mark{Stage: calls.StageRing, Extension: true}), calls.OutcomeExtension, false},
		{"heard information", seen(calls.Mark{Stage: calls.StageInfo, Info: true}), calls.OutcomeInfo, true},
		{"crisis", seen(calls.Mark{Stage: calls.StageCrisis, Crisis: true}), calls.OutcomeCrisis, true},
		{"ended by the line", seen(calls.Mark{Stage: calls.StageEnded}), calls.OutcomeEndedByLine, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.rec.Outcome(); got != tt.want {
				t.Errorf("Outcome: got %s, want %s", got, tt.want)
			}
			if got := tt.rec.Missed(); got != tt.missed {
				t.Errorf("Missed: got %v, want %v", got, tt.missed)
			}
		})
	}
}

func seen(m calls.Mark) calls.Record { return calls.Record{Seen: true, Mark: m} }

// TestTimesToPerson writes the instants a caller asked for a person and
// reached one, as the webhooks of a call do (a second ring and a second
// answer later in the call), and reads the wait when the call ends: the
// first of each is kept.
func TestTimesToPerson(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	asked := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	for _, m := range []calls.Mark{
		{Stage: calls.StageRing, Asked: asked},
		{Stage: calls.StageRing, Asked: asked.Add(40 * time.Second)}, // a ring again: not the ask
		{Reached: asked.Add(17500 * time.Millisecond)},
		{Stage: calls.StageEnded, Person: true, Reached: asked.Add(90 * time.Second)},
	} {
		if err := s.Mark(ctx, parent, m); err != nil {
			t.Fatal(err)
		}
	}
	rec, _, err := s.Finish(ctx, parent)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := rec.ToPerson(); !ok || got != 17500*time.Millisecond {
		t.Errorf("to a person: got %v %v, want 17.5s", got, ok)
	}
	// A call that asked and never reached anyone has no wait.
	if err := s.Mark(ctx, other, calls.Mark{Stage: calls.StageRing, Asked: asked}); err != nil {
		t.Fatal(err)
	}
	rec, _, err = s.Finish(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := rec.ToPerson(); ok {
		t.Errorf("a call nobody answered waited %v to a person", d)
	}
}

func TestToPerson(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		rec  calls.Record
		want time.Duration
		ok   bool
	}{
		{"reached after 12 s", seen(calls.Mark{Person: true, Asked: at, Reached: at.Add(12 * time.Second)}), 12 * time.Second, true},
		{"no person", seen(calls.Mark{Asked: at, Reached: at.Add(12 * time.Second)}), 0, false},
		{"never asked (no ring recorded)", seen(calls.Mark{Person: true, Reached: at}), 0, false},
		{"answer not recorded", seen(calls.Mark{Person: true, Asked: at}), 0, false},
		{"clocks out of step", seen(calls.Mark{Person: true, Asked: at, Reached: at.Add(-time.Second)}), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tt.rec.ToPerson()
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %v %v, want %v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestMarksRenewExpiry writes marks to records of different ages: a new
// record gets its expiry, one with more than four and a half hours left is
// not touched, and one with less is renewed. Several calls go in one batch,
// each with its own fields.
func TestMarksRenewExpiry(t *testing.T) {
	t.Parallel()
	s, rs := newStore(t)
	ctx := t.Context()
	rdb := rs.Client()
	key := func(sid string) string { return "test:{calls}:" + sid + ":trk" }
	const young, old, fresh = "CAyoung", "CAold", "CAfresh"
	for sid, left := range map[string]time.Duration{young: calls.Keep - 10*time.Minute, old: calls.Keep - 40*time.Minute} {
		if err := rdb.HSet(ctx, key(sid), "seen", "1", "stg", "menu").Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Expire(ctx, key(sid), left).Err(); err != nil {
			t.Fatal(err)
		}
	}
	err := s.MarkAll(ctx, []calls.CallMark{
		{CallSID: young, Mark: calls.Mark{Stage: calls.StageRing, Lang: "es"}},
		{CallSID: old, Mark: calls.Mark{Stage: calls.StageCallback, Request: true}},
		{CallSID: fresh, Mark: calls.Mark{Info: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sid           string
		least, most   time.Duration
		stage, lang   string
		request, info string
	}{
		{young, calls.Keep - 11*time.Minute, calls.Keep - 9*time.Minute, "ring", "es", "", ""},
		{old, calls.Keep - time.Minute, calls.Keep, "callback", "", "1", ""}, // "menu" before: a stage is replaced
		{fresh, calls.Keep - time.Minute, calls.Keep, "", "", "", "1"},
	}
	for _, tt := range tests {
		ttl, err := rdb.TTL(ctx, key(tt.sid)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl < tt.least || ttl > tt.most {
			t.Errorf("%s expires in %v, want between %v and %v", tt.sid, ttl, tt.least, tt.most)
		}
		h, err := rdb.HGetAll(ctx, key(tt.sid)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if h["seen"] != "1" || h["stg"] != tt.stage || h["lng"] != tt.lang || h["req"] != tt.request || h["inf"] != tt.info {
			t.Errorf("%s record %v, want stage %q lang %q req %q inf %q", tt.sid, h, tt.stage, tt.lang, tt.request, tt.info)
		}
	}
}
