package staff_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/staff"
)

func TestAccounts(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rdb := rs.Client()
	s, err := staff.NewStore(rdb, "test:", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	token, err := s.Add(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "ana"); !errors.Is(err, staff.ErrExists) {
		t.Errorf("second add: %v, want ErrExists", err)
	}
	for _, bad := range []string{"", "Ana", "1ana", "ana smith", strings.Repeat("a", 33)} {
		if _, err := s.Add(ctx, bad); !errors.Is(err, staff.ErrBadName) {
			t.Errorf("add %q: %v, want ErrBadName", bad, err)
		}
	}
	if _, err := s.Add(ctx, "ben"); err != nil {
		t.Fatal(err)
	}
	acct, err := s.Authenticate(ctx, token)
	if err != nil || acct.Name != "ana" {
		t.Fatalf("authenticate = %+v, %v", acct, err)
	}
	tampered := token[:len(token)-2] + "xx"
	for _, tok := range []string{"", "Bearer x", "sbt_", "sbt_0123456789abcdef_nope", tampered, strings.Replace(token, "sbt_", "sbx_", 1)} {
		if _, err := s.Authenticate(ctx, tok); !errors.Is(err, staff.ErrUnauthorized) {
			t.Errorf("authenticate %q: %v, want ErrUnauthorized", tok, err)
		}
	}
	// Only a hash of the secret is stored.
	keys, _ := rdb.Keys(ctx, "test:*").Result()
	secret := token[strings.LastIndex(token, "_")+1:]
	for _, k := range keys {
		vals, _ := rdb.HGetAll(ctx, k).Result()
		for _, v := range vals {
			if strings.Contains(v, secret) {
				t.Errorf("key %s stores the token's secret", k)
			}
		}
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "ana" || list[1].Name != "ben" {
		t.Errorf("list = %+v, %v", list, err)
	}
	if err := s.Remove(ctx, "ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, token); !errors.Is(err, staff.ErrUnauthorized) {
		t.Errorf("removed account still authenticates: %v", err)
	}
	if err := s.Remove(ctx, "ana"); !errors.Is(err, staff.ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
}

func TestPasswordPhoneAndThrottle(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	s, err := staff.NewStore(rs.Client(), "test:", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := s.Add(ctx, "ana"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, "ana", "short"); !errors.Is(err, staff.ErrWeakPassword) {
		t.Errorf("short password: %v", err)
	}
	if err := s.SetPassword(ctx, "nobody", "a long enough password"); !errors.Is(err, staff.ErrNotFound) {
		t.Errorf("password for a missing account: %v", err)
	}
	if _, err := s.CheckPassword(ctx, "ana", "a long enough password"); !errors.Is(err, staff.ErrUnauthorized) {
		t.Errorf("check before a password is set: %v", err)
	}
	if err := s.SetPassword(ctx, "ana", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if a, err := s.CheckPassword(ctx, "ana", "correct horse battery"); err != nil || a.Name != "ana" || !a.HasPassword {
		t.Errorf("good password: %+v, %v", a, err)
	}
	for _, pw := range []string{"correct horse batterY", "", "correct horse battery "} {
		if _, err := s.CheckPassword(ctx, "ana", pw); !errors.Is(err, staff.ErrUnauthorized) {
			t.Errorf("password %q: %v", pw, err)
		}
	}
	if err := s.SetPhone(ctx, "ana", "+14255550111"); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Get(ctx, "ana"); a.Phone != "+14255550111" {
		t.Errorf("phone = %q", a.Phone)
	}
}

// TestSignInThrottle: attempts are counted before any check; past the free
// tries the wait doubles, up to the maximum, then ends: nothing locks an
// account for long.
func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	rs, s, now := throttleStore(t)
	ctx := t.Context()
	th := staff.Throttle{FreePerName: 3, FreePerAddr: 100, Base: time.Second, Max: 8 * time.Second, Window: time.Hour}
	// Attempts 1 to 4 go straight on (3 free, and the 4th starts the
	// clock); each later one first waits twice as long as the one before.
	var waits []time.Duration
	for i := 1; i <= 9; i++ {
		w, err := s.SignInAttempt(ctx, "ana", "198.51.100.7", th)
		if err != nil {
			t.Fatal(err)
		}
		if w > 0 {
			waits = append(waits, w)
			*now = now.Add(w) // the caller waits it out
			if w, err := s.SignInAttempt(ctx, "ana", "198.51.100.7", th); err != nil || w != 0 {
				t.Fatalf("attempt %d after waiting: wait %v, %v", i, w, err)
			}
		}
	}
	if diff := fmt.Sprint(waits); diff != "[1s 2s 4s 8s 8s]" {
		t.Errorf("waits = %v, want [1s 2s 4s 8s 8s]", waits)
	}
	if err := s.SignInSucceeded(ctx, "ana", "198.51.100.7"); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.SignInAttempt(ctx, "ana", "198.51.100.7", th); w != 0 {
		t.Errorf("after a good sign-in: wait %v", w)
	}
	// A success whose address counter expired in the meantime leaves no
	// counter behind (one without an expiry would last for ever).
	if err := s.SignInSucceeded(ctx, "ana", "198.51.100.99"); err != nil {
		t.Fatal(err)
	}
	if n, err := rs.Client().Exists(ctx, "test:{staff}:fail:addr:198.51.100.99").Result(); err != nil || n != 0 {
		t.Errorf("a succeeded sign-in made a counter for an address with none (%d, %v)", n, err)
	}
}

// TestAGuesserCannotHoldTheOwnerOut: a stranger guessing once a minute for
// an hour keeps their own wait going, but the owner signing in from
// another address never waits; and a name without an account is slowed
// exactly as one with, so the waits do not tell which names exist.
func TestAGuesserCannotHoldTheOwnerOut(t *testing.T) {
	t.Parallel()
	_, s, now := throttleStore(t)
	ctx := t.Context()
	th := staff.DefaultThrottle()
	for _, tc := range []struct{ name, stranger, owner string }{
		{"ana", "203.0.113.66", "198.51.100.7"},
		{"nobody", "203.0.113.67", "198.51.100.8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Guesses in a burst: four go on, the fifth must wait.
			var waits []time.Duration
			for i := 0; i < 5; i++ {
				w, err := s.SignInAttempt(ctx, tc.name, tc.stranger, th)
				if err != nil {
					t.Fatal(err)
				}
				waits = append(waits, w)
			}
			if got, want := fmt.Sprint(waits), "[0s 0s 0s 0s 1s]"; got != want {
				t.Errorf("the stranger's waits = %s, want %s", got, want)
			}
			// Then one guess a minute for an hour, each renewing the
			// stranger's counter: the owner never waits.
			for i := 0; i < 60; i++ {
				*now = now.Add(time.Minute)
				if _, err := s.SignInAttempt(ctx, tc.name, tc.stranger, th); err != nil {
					t.Fatal(err)
				}
				if w, err := s.SignInAttempt(ctx, tc.name, tc.owner, th); err != nil || w != 0 {
					t.Fatalf("minute %d: the owner from a clean address waits %v (%v)", i, w, err)
				}
				if err := s.SignInSucceeded(ctx, tc.name, tc.owner); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// throttleStore is a store on a real redis-server with the account "ana"
// and a clock the test moves through now.
func throttleStore(t *testing.T) (*redistest.Server, *staff.Store, *time.Time) {
	t.Helper()
	rs := redistest.Start(t)
	now := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	s, err := staff.NewStore(rs.Client(), "test:", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(t.Context(), "ana"); err != nil {
		t.Fatal(err)
	}
	return rs, s, &now
}
