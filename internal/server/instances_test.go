package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/server"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

const (
	token  = "instancetoken0123456789abcdef0123"
	public = "https://phone.example.org"
)

var monday = time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC) // open

// instance builds one Switchboard on the shared Redis and serves it on loopback.
func instance(t *testing.T, redisURL string) (*server.Server, *httptest.Server) {
	t.Helper()
	return instanceWith(t, redisURL, config.Env{PublicURL: public, AuthToken: token, RedisPrefix: "multi:", RedisTimeout: 300 * time.Millisecond})
}

// instanceWith is instance with its environment given.
func instanceWith(t *testing.T, redisURL string, env config.Env) (*server.Server, *httptest.Server) {
	t.Helper()
	rdb, err := redisconn.Connect(redisURL, env.RedisTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	line, err := config.LoadFile("")
	if err != nil {
		t.Fatal(err)
	}
	a, err := server.New(server.Options{
		Env:  env,
		Live: config.NewLive("", line), Redis: rdb, Now: func() time.Time { return monday },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SpoolDir: t.TempDir(), DataSealer: testserver.Sealer(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv
}

// post sends a webhook Twilio signed for the public URL to one instance.
func post(t *testing.T, srv *httptest.Server, fullURL string, form url.Values) *simulate.Node {
	t.Helper()
	u, _ := url.Parse(fullURL)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+u.RequestURI(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", simulate.Sign(token, fullURL, form))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Errorf("POST %s: %v", u.Path, err)
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST %s: %d %s", u.Path, resp.StatusCode, body)
		return nil
	}
	doc, err := simulate.ParseTwiML(body)
	if err != nil {
		t.Errorf("POST %s: %v", u.Path, err)
	}
	return doc
}

func TestTwoInstancesShareCallsAndTheQueue(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	a, srvA := instance(t, rs.URL())
	_, srvB := instance(t, rs.URL())
	both := []*httptest.Server{srvA, srvB}

	const calls = 20
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"CallSid": {fmt.Sprintf("CA%032x", 0xa0000+i)}, "From": {fmt.Sprintf("+1206555%04d", 100+i)}, "To": {"+14258692644"}}
			step := 0
			next := func(u string, extra ...string) *simulate.Node {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				for j := 0; j+1 < len(extra); j += 2 {
					f.Set(extra[j], extra[j+1])
				}
				srv := both[(i+step)%2] // every step goes to the other instance
				step++
				return post(t, srv, u, f)
			}
			doc := next(public + "/twilio/voice")
			if doc == nil {
				return
			}
			doc = next(doc.First("Gather").Attrs["action"], "Digits", "2")
			if doc == nil {
				return
			}
			offer := doc.First("Gather").Attrs["action"]
			doc = next(offer, "Digits", "1")
			if doc == nil || !strings.Contains(doc.Said(), "saved") {
				t.Errorf("call %d: not confirmed", i)
				return
			}
			next(offer, "Digits", "1") // the same step replayed on the other instance
			doc = next(doc.First("Gather").Attrs["action"], "Digits", "2")
			if doc == nil || doc.First("Record") == nil {
				t.Errorf("call %d: no message prompt", i)
			}
		}()
	}
	wg.Wait()

	reqs, _, err := a.Queue.List(t.Context(), callback.StatusPending, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range reqs {
		if seen[r.CallSID] {
			t.Errorf("call %s recorded twice", r.CallSID)
		}
		seen[r.CallSID] = true
		if r.VoicemailOK != callback.ConsentNo {
			t.Errorf("call %s lost its consent answer", r.CallSID)
		}
	}
	if len(seen) != calls {
		t.Fatalf("%d requests, want %d", len(seen), calls)
	}

	// Claims through both instances' APIs: exactly one wins.
	var tokens []string
	for i := 0; i < 10; i++ {
		tok, err := a.Staff.Add(t.Context(), fmt.Sprintf("staff%d", i))
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	codes := make(chan int, len(tokens))
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, both[i%2].URL+"/api/v1/callbacks/"+reqs[0].ID+"/claim", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[200] != 1 || count[409] != len(tokens)-1 {
		t.Errorf("claims across instances: %v, want one 200 and the rest 409", count)
	}
}

func TestACallSurvivesItsInstance(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	_, srvA := instance(t, rs.URL())
	b, srvB := instance(t, rs.URL())
	form := url.Values{"CallSid": {"CA5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"}, "From": {"+12065550142"}, "To": {"+14258692644"}}
	doc := post(t, srvA, public+"/twilio/voice", form)
	form.Set("Digits", "2")
	doc = post(t, srvA, doc.First("Gather").Attrs["action"], form)
	action := doc.First("Gather").Attrs["action"]
	srvA.CloseClientConnections()
	srvA.Close() // instance A dies mid-call
	form.Set("Digits", "1")
	doc = post(t, srvB, action, form)
	if doc == nil || !strings.Contains(doc.Said(), "saved") {
		t.Fatalf("the other instance did not continue the call: %v", doc)
	}
	if reqs, _, _ := b.Queue.List(t.Context(), callback.StatusPending, 10, ""); len(reqs) != 1 {
		t.Errorf("%d requests, want 1", len(reqs))
	}
}
