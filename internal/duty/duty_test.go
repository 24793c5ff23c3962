package duty_test

import (
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/routing"
)

const (
	ana = "+14255550101"
	ben = "+14255550102"
)

// A line whose scheduling group has ana on duty Monday mornings only.
const dutyLine = `
practice: Test Practice
mainNumber: "+14258692644"
timezone: America/Los_Angeles
hours:
  monday: ["08:00-18:00"]
prompts:
  crisis: Call 911 or 988.
fallback: scheduling
menu:
  - digit: "0"
    label: For scheduling
    action: ring
    target: scheduling
ringGroups:
  scheduling:
    members: ["+14255550101", "+14255550102"]
    maxRingSeconds: 25
    dutyHours:
      "+14255550101":
        monday: ["08:00-12:00"]
`

func TestRosterSwitchesHoursAndLog(t *testing.T) {
	t.Parallel()
	line, err := config.Load("test", []byte(dutyLine))
	if err != nil {
		t.Fatal(err)
	}
	g := line.Groups["scheduling"]
	loc := line.Schedule.Location
	monday9 := time.Date(2026, 11, 30, 9, 0, 0, 0, loc)
	monday13 := time.Date(2026, 11, 30, 13, 0, 0, 0, loc)
	now := monday9
	r, err := duty.New(redistest.Start(t).Client(), "t:", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	states, err := r.States(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		member string
		at     time.Time
		want   bool
	}{
		{"within duty hours", ana, monday9, true},
		{"outside duty hours", ana, monday13, false},
		{"no duty hours: always on", ben, monday13, true},
	} {
		if got := duty.OnDuty(g, tt.member, states, tt.at); got != tt.want {
			t.Errorf("%s: on duty = %v, want %v", tt.name, got, tt.want)
		}
	}

	// Ben switches away by text; ana switches on outside her hours, which
	// lasts until her next duty-hours boundary.
	if err := r.Set(ctx, duty.Switch{Member: ben, On: false, By: "ben", How: "sms", Until: duty.SwitchUntil(line, ben, now)}); err != nil {
		t.Fatal(err)
	}
	now = monday13
	until := duty.SwitchUntil(line, ana, now)
	if want := time.Date(2026, 12, 7, 8, 0, 0, 0, loc); !until.Equal(want) {
		t.Errorf("ana's switch lasts until %v, want her next shift %v", until, want)
	}
	if err := r.Set(ctx, duty.Switch{Member: ana, On: true, By: "admin", How: "admin", Until: until}); err != nil {
		t.Fatal(err)
	}
	states, err = r.States(ctx)
	if err != nil {
		t.Fatal(err)
	}
	filtered := g.Only(func(m routing.Member) bool { return duty.OnDuty(g, m.Address, states, monday13) })
	if len(filtered.Members) != 1 || filtered.Members[0].Address != ana {
		t.Errorf("on duty at 13:00: %v, want only ana", filtered.Members)
	}
	if duty.OnDuty(g, ana, states, time.Date(2026, 12, 7, 13, 0, 0, 0, loc)) {
		t.Error("ana's switch outlived her next shift")
	}

	log, err := r.Log(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Member != ana || !log[0].On || log[0].How != "admin" || log[1].Member != ben || log[1].On || log[1].How != "sms" {
		t.Errorf("log = %+v", log)
	}
}

func TestRosterSharedAcrossInstancesAndOutage(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	line, err := config.Load("test", []byte(dutyLine))
	if err != nil {
		t.Fatal(err)
	}
	g := line.Groups["scheduling"]
	a, _ := duty.New(rs.Client(), "t:", time.Now)
	b, _ := duty.New(rs.Client(), "t:", time.Now)
	if err := a.Set(t.Context(), duty.Switch{Member: ben, On: false, By: "ben", How: "console"}); err != nil {
		t.Fatal(err)
	}
	got, err := b.Filter(t.Context(), g, time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC))
	if err != nil || len(got.Members) != 1 || got.Members[0].Address != ana {
		t.Fatalf("the other instance rings %v (%v), want only ana", got.Members, err)
	}
	rs.Kill()
	c, _ := duty.New(rs.Client(), "t:", time.Now)
	got, err = c.Filter(t.Context(), g, time.Now())
	if err == nil || len(got.Members) != 2 {
		t.Errorf("with Redis down: %v, %v; want every configured member and the error", got.Members, err)
	}
}

func TestParseText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body   string
		on, ok bool
	}{
		{"ON", true, true}, {" on ", true, true}, {"On.", true, true}, {"OFF", false, true}, {"off!", false, true},
		{"away", false, true}, {"hello", false, false}, {"", false, false}, {"ON please call me", false, false},
	} {
		on, ok := duty.ParseText(tt.body)
		if on != tt.on || ok != tt.ok {
			t.Errorf("ParseText(%q) = %v, %v; want %v, %v", tt.body, on, ok, tt.on, tt.ok)
		}
	}
}

// TestEveryChangeIsLogged: two identical switches in the same instant are
// two entries, newest first.
func TestEveryChangeIsLogged(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	r, err := duty.New(redistest.Start(t).Client(), "t:", func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := r.Set(t.Context(), duty.Switch{Member: ben, On: false, By: "ben", How: "sms"}); err != nil {
			t.Fatal(err)
		}
	}
	log, err := r.Log(t.Context(), 10)
	if err != nil || len(log) != 3 {
		t.Fatalf("log = %+v, %v; want 3 entries", log, err)
	}
}
