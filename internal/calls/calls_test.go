package calls_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
)

const (
	parent = "CA0123456789abcdef0123456789abcdef"
	other  = "CAffffffffffffffffffffffffffffffff"
	ana    = "+14255550101"
	ben    = "+14255550102"
)

// newStore starts a redis-server and returns a Store on it with the
// production deadline, and the server.
func newStore(t testing.TB) (*calls.Store, *redistest.Server) {
	t.Helper()
	rs := redistest.Start(t)
	rdb, err := redisconn.Connect(rs.URL(), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	s, err := calls.New(rdb, "test:", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return s, rs
}

func TestAnsweredLegs(t *testing.T) {
	t.Parallel()
	s, rs := newStore(t)
	ctx := t.Context()
	for _, r := range []struct{ call, group, member string }{
		{parent, "scheduling", ana},
		{parent, "scheduling", ana}, // a replayed whisper
		{parent, "scheduling", ben},
		{parent, "ext-201", "+14255550150"},
		{other, "scheduling", ben},
	} {
		if err := s.Answered(ctx, r.call, r.group, r.member); err != nil {
			t.Fatalf("Answered(%s, %s): %v", r.call, r.group, err)
		}
	}
	tests := []struct {
		name, call, group string
		want              []string
	}{
		{"both members of the call's group, once each", parent, "scheduling", []string{ana, ben}},
		{"another group of the same call", parent, "ext-201", []string{"+14255550150"}},
		{"another call", other, "scheduling", []string{ben}},
		{"nothing recorded", parent, "billing", nil},
	}
	for _, tt := range tests {
		got, err := s.AnsweredIn(ctx, tt.call, tt.group)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}

	// Every key carries the one hash tag and expires once the call is over.
	rdb := rs.Client()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 {
		t.Errorf("keys %v, want one per call and group", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "test:{calls}:") {
			t.Errorf("key %q does not start with the prefix and the hash tag {calls}", k)
		}
		ttl, err := rdb.TTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 4*time.Hour || ttl > calls.Keep {
			t.Errorf("key %q expires in %v, want past a 4-hour call and at most %v", k, ttl, calls.Keep)
		}
	}
}

func TestRedisDownFailsFast(t *testing.T) {
	t.Parallel()
	s, rs := newStore(t)
	rs.Pause() // a hung server: only the deadline ends the wait
	t.Cleanup(rs.Resume)
	for _, tt := range []struct {
		name string
		op   func() error
	}{
		{"Answered", func() error { return s.Answered(t.Context(), parent, "scheduling", ana) }},
		{"AnsweredIn", func() error { _, err := s.AnsweredIn(t.Context(), parent, "scheduling"); return err }},
	} {
		start := time.Now()
		err := tt.op()
		if err == nil {
			t.Errorf("%s with Redis paused: no error", tt.name)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s with Redis paused took %v, want about the 300 ms deadline", tt.name, took)
		}
		if err != nil && strings.Contains(err.Error(), ana) {
			t.Errorf("%s: the error names the member's number: %v", tt.name, err)
		}
	}
}

func TestNewRefusesMissingParts(t *testing.T) {
	t.Parallel()
	if _, err := calls.New(nil, "test:", time.Second); err == nil {
		t.Error("New without a client: no error")
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used
	t.Cleanup(func() { rdb.Close() })
	if _, err := calls.New(rdb, "test:", 0); err == nil {
		t.Error("New without a timeout: no error")
	}
}
