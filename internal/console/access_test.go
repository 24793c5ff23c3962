package console_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/callback"
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

// TestEveryPlaybackIsRecordedAndRangesSeek: a player that asks for a range
// (to seek, or "bytes=1-" to dodge the history) gets that range, and every
// request for the audio is written to the history first.
func TestEveryPlaybackIsRecordedAndRangesSeek(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Twilio: true})
	id := seed(t, s, "CA1", client, testserver.MondayMorning, &callback.Message{RecordingSID: "REfedcba9876543210fedcba9876543210", DurationSeconds: 14})
	ana := signIn(t, s, "ana", s.AddStaff("ana"))
	ana.post("/staff/requests/" + id + "/claim")
	audio := s.Fake.Audio()
	for _, tt := range []struct {
		rangeHeader string
		status      int
		body        []byte
	}{
		{"", http.StatusOK, audio},
		{"bytes=1-", http.StatusPartialContent, audio[1:]},
		{"bytes=0-3", http.StatusPartialContent, audio[:4]},
		{"bytes=1-2,5-6", http.StatusOK, audio}, // not a single range: played whole
	} {
		req := httptest.NewRequest(http.MethodGet, "/staff/requests/"+id+"/audio", nil)
		req.AddCookie(ana.cookie)
		if tt.rangeHeader != "" {
			req.Header.Set("Range", tt.rangeHeader)
		}
		rec := s.Do(req)
		if rec.Code != tt.status || !bytes.Equal(rec.Body.Bytes(), tt.body) || rec.Header().Get("Accept-Ranges") != "bytes" {
			t.Errorf("Range %q: %d %q", tt.rangeHeader, rec.Code, rec.Body.Bytes())
		}
		if tt.status == http.StatusPartialContent && rec.Header().Get("Content-Range") == "" {
			t.Errorf("Range %q: no Content-Range", tt.rangeHeader)
		}
	}
	r, err := s.Queue.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	played := 0
	for _, e := range r.History {
		if strings.HasPrefix(e.What, "message played") && e.Who == "ana" {
			played++
		}
	}
	if played != 4 {
		t.Errorf("%d playbacks in the history, want 4: %+v", played, r.History)
	}
}
