package staff_test

import (
	"errors"
	"strings"
	"testing"

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
	for i := 1; i <= 3; i++ {
		if n, err := s.SignInFailures(ctx, "ana", true); err != nil || n != int64(i) {
			t.Fatalf("failure %d counted as %d, %v", i, n, err)
		}
	}
	if n, _ := s.SignInFailures(ctx, "ana", false); n != 3 {
		t.Errorf("failures = %d", n)
	}
	if err := s.ClearSignInFailures(ctx, "ana"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.SignInFailures(ctx, "ana", false); n != 0 {
		t.Errorf("failures after clearing = %d", n)
	}
}
