package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// TestSessionsEndWithTheAccount: removing a staff member, changing their
// password, or removing and re-adding the name ends every open session at
// once: the next request is refused, even one that would claim or reveal.
func TestSessionsEndWithTheAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, s *testserver.Server)
	}{
		{"removed", func(t *testing.T, s *testserver.Server) {
			if err := s.Staff.Remove(t.Context(), "eve"); err != nil {
				t.Fatal(err)
			}
		}},
		{"new password", func(t *testing.T, s *testserver.Server) {
			if err := s.Staff.SetPassword(t.Context(), "eve", "another long passphrase"); err != nil {
				t.Fatal(err)
			}
		}},
		{"removed and added again", func(t *testing.T, s *testserver.Server) {
			if err := s.Staff.Remove(t.Context(), "eve"); err != nil {
				t.Fatal(err)
			}
			s.AddStaff("eve")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{})
			token := s.AddStaff("eve")
			id := seed(t, s, "CA0123456789abcdef0123456789abcdef", client, testserver.MondayMorning, nil)
			b := signIn(t, s, "eve", token)
			if rec := b.do(http.MethodGet, "/staff/", nil); rec.Code != http.StatusOK {
				t.Fatalf("queue before the change: %d", rec.Code)
			}
			tt.change(t, s)
			for _, path := range []string{"/requests/" + id + "/claim", "/requests/" + id + "/reveal"} {
				rec := b.post("/staff" + path)
				if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "session has ended") {
					t.Errorf("POST %s after the change: %d", path, rec.Code)
				}
			}
			if rec := b.do(http.MethodGet, "/staff/", nil); rec.Code != http.StatusUnauthorized {
				t.Errorf("queue after the change: %d", rec.Code)
			}
			r, err := s.Queue.Get(t.Context(), id)
			if err != nil || r.ClaimedBy != "" {
				t.Errorf("the request was claimed after the change: %+v %v", r, err)
			}
		})
	}
}
