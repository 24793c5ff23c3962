package console_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
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

// TestConcurrentGuessesAreCountedBeforeTheyAreChecked: 16 wrong passwords
// sent at once are not all checked: each is counted first, and only the
// free tries and the one that starts the wait reach bcrypt.
func TestConcurrentGuessesAreCountedBeforeTheyAreChecked(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	s.AddStaff("ana")
	if err := s.Staff.SetPassword(t.Context(), "ana", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	codes := make(chan int, 16)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodPost, "/staff/signin", strings.NewReader(url.Values{"name": {"ana"}, "secret": {"wrong password!"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			codes <- s.Do(req).Code
		}()
	}
	wg.Wait()
	close(codes)
	checked := 0
	for c := range codes {
		switch c {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("status %d", c)
		}
	}
	if checked > 4 {
		t.Errorf("%d of 16 concurrent guesses were checked, want at most 4", checked)
	}
}

// TestSignInFromAnotherSiteIsRefused: a cross-site form cannot sign a
// browser in to someone else's account (login CSRF).
func TestSignInFromAnotherSiteIsRefused(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	token := s.AddStaff("ana")
	for _, tt := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"cross-site fetch metadata", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site but another origin", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"another origin", map[string]string{"Origin": "https://evil.example.org"}, http.StatusForbidden},
		{"the console itself", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": testserver.Base}, http.StatusSeeOther},
		{"the console's origin", map[string]string{"Origin": testserver.Base}, http.StatusSeeOther},
		{"not a browser", nil, http.StatusSeeOther},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/staff/signin", strings.NewReader(url.Values{"name": {"ana"}, "secret": {token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if got := s.Do(req).Code; got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}

// TestClientAddressesComeOnlyFromTrustedProxies: behind the shipped proxy
// every browser shares its address, so without SWITCHBOARD_TRUSTED_PROXIES
// one stranger's guesses would slow everyone down. With it, each client
// counts on its own, and an X-Forwarded-For from anyone else is ignored.
func TestClientAddressesComeOnlyFromTrustedProxies(t *testing.T) {
	testprog.Slow(t, "many sign-ins through proxies")
	t.Parallel()
	const proxy = "10.9.8.7"
	s := testserver.New(t, testserver.Options{TrustedProxies: proxy})
	n := 0
	guess := func(peer, xff string) int {
		// A new name each time: only the address's own counter is at work.
		n++
		req := httptest.NewRequest(http.MethodPost, "/staff/signin", strings.NewReader(url.Values{"name": {"nobody" + strconv.Itoa(n)}, "secret": {"guess guess guess"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = peer + ":40000"
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		return s.Do(req).Code
	}
	// The stranger behind the proxy uses up the address's free tries (10)
	// and starts its wait.
	for i := 0; i < 11; i++ {
		if c := guess(proxy, "203.0.113.66"); c != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, c)
		}
	}
	if c := guess(proxy, "203.0.113.66"); c != http.StatusTooManyRequests {
		t.Errorf("the stranger's next guess: %d, want 429", c)
	}
	if c := guess(proxy, "198.51.100.20"); c != http.StatusUnauthorized {
		t.Errorf("another client behind the same proxy: %d, want its own tries (401)", c)
	}
	// A forged header from a peer that is not a trusted proxy is ignored:
	// the peer itself is the client.
	for i := 0; i < 11; i++ {
		guess("192.0.2.50", "198.51.100."+strconv.Itoa(100+i))
	}
	if c := guess("192.0.2.50", "198.51.100.250"); c != http.StatusTooManyRequests {
		t.Errorf("rotating X-Forwarded-For from an untrusted peer escaped the address limit: %d", c)
	}
}

// TestSignInPacingNeitherLocksOutNorTellsNames: through the router, a
// stranger's wrong guesses for an account slow the stranger, while the
// owner's right password from another address signs in; and a name with no
// account gets the very same answers (401s, then 429), so names cannot be
// probed.
func TestSignInPacingNeitherLocksOutNorTellsNames(t *testing.T) {
	testprog.Slow(t, "sign-in pacing over many guesses")
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	s.AddStaff("ana")
	if err := s.Staff.SetPassword(t.Context(), "ana", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	signIn := func(name, secret, peer string) int {
		req := httptest.NewRequest(http.MethodPost, "/staff/signin", strings.NewReader(url.Values{"name": {name}, "secret": {secret}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = peer + ":40000"
		return s.Do(req).Code
	}
	answers := func(name, peer string) string {
		var codes []string
		for i := 0; i < 6; i++ {
			codes = append(codes, strconv.Itoa(signIn(name, "wrong password!", peer)))
		}
		return strings.Join(codes, " ")
	}
	const want = "401 401 401 401 429 429"
	for _, tc := range []struct{ name, peer string }{
		{"ana", "203.0.113.66"},
		{"nobody", "203.0.113.67"},
	} {
		if got := answers(tc.name, tc.peer); got != want {
			t.Errorf("wrong guesses for %s: %s, want %s", tc.name, got, want)
		}
	}
	if got := signIn("ana", "correct horse battery", "198.51.100.7"); got != http.StatusSeeOther {
		t.Errorf("the owner's right password from a clean address while a stranger waits: %d, want 303", got)
	}
}

// TestAFailedSignInDoesNotLogTheTypedName: the name field may hold a
// password typed in the wrong place; a failure logs neither.
func TestAFailedSignInDoesNotLogTheTypedName(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	for _, name := range []string{"hunter2hunter2", "ana"} {
		req := httptest.NewRequest(http.MethodPost, "/staff/signin", strings.NewReader(url.Values{"name": {name}, "secret": {"wrong password!"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if c := s.Do(req).Code; c != http.StatusUnauthorized {
			t.Fatalf("%s: %d", name, c)
		}
		if logs := s.Logs.String(); strings.Contains(logs, name) || !strings.Contains(logs, "console sign-in failed") {
			t.Errorf("the log after a failed sign-in as %q:\n%s", name, logs)
		}
	}
}
