package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/server"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

// TestFaultsDuringFiveHundredCalls runs 500 simulated calls, each asking for
// a callback, with their steps alternating between two instances, while
// Redis is paused (SIGSTOP), killed (SIGKILL) and restarted. Every webhook
// must be answered with valid TwiML, that does not end the call, within a
// second; every request confirmed to a caller must be in Redis exactly once
// once the spools drain.
func TestFaultsDuringFiveHundredCalls(t *testing.T) {
	testprog.Slow(t, "500 calls through faults")
	t.Parallel()
	rs := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	var apps []*server.Server
	var servers []*httptest.Server
	for i := 0; i < 2; i++ {
		a, srv := instance(t, rs.URL())
		apps, servers = append(apps, a), append(servers, srv)
	}
	const calls = 500
	spread, gap := 4*time.Second, 120*time.Millisecond
	if raceEnabled {
		spread, gap = 10*time.Second, 250*time.Millisecond
	}
	run := startCallbackCalls(t, servers, 0, calls, spread, gap)

	// The faults, while the calls run.
	time.Sleep(spread / 8)
	rs.Pause()
	time.Sleep(1500 * time.Millisecond)
	rs.Resume()
	time.Sleep(spread / 4)
	rs.Kill()
	time.Sleep(time.Second)
	rs.Restart()
	run.wait()
	run.checkStored(t, apps, calls)
}

// callbackCalls are simulated calls that each leave a callback request
// (consent, then a voice message), their steps alternating between
// instances. Every webhook must answer within a second with TwiML that
// does not end the call.
type callbackCalls struct {
	wg        sync.WaitGroup
	mu        sync.Mutex
	confirmed []string
	slowest   time.Duration
	webhooks  int
}

// startCallbackCalls starts calls numbered from first (each number is its
// own CallSid) spread over spread, with gap between a call's steps.
func startCallbackCalls(t *testing.T, servers []*httptest.Server, first, calls int, spread, gap time.Duration) *callbackCalls {
	run := &callbackCalls{}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200}}

	// send posts one webhook; a status callback (Twilio ignores its body)
	// only has to be accepted.
	send := func(srv *httptest.Server, fullURL string, form url.Values, status bool) (*simulate.Node, error) {
		u, _ := url.Parse(fullURL)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+u.RequestURI(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", simulate.Sign(token, fullURL, form))
		start := time.Now()
		resp, err := client.Do(req)
		took := time.Since(start)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		run.mu.Lock()
		run.webhooks++
		run.slowest = max(run.slowest, took)
		run.mu.Unlock()
		if took >= time.Second {
			return nil, fmt.Errorf("POST %s took %v", u.Path, took)
		}
		if status && resp.StatusCode/100 == 2 {
			return nil, nil
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("POST %s: %d %s", u.Path, resp.StatusCode, body)
		}
		doc, err := simulate.ParseTwiML(body)
		if err != nil {
			return nil, fmt.Errorf("POST %s: %w", u.Path, err)
		}
		if why := doc.DeadEnd(); why != "" {
			return nil, fmt.Errorf("POST %s: %s", u.Path, why)
		}
		return doc, nil
	}

	for i := first; i < first+calls; i++ {
		run.wg.Add(1)
		go func() {
			defer run.wg.Done()
			time.Sleep(time.Duration(i-first) * spread / time.Duration(calls))
			sid := fmt.Sprintf("CA%032x", 0xfa000000+i)
			form := func(kv ...string) url.Values {
				f := url.Values{"CallSid": {sid}, "From": {fmt.Sprintf("+1206555%04d", i)}, "To": {"+14258692644"}}
				for j := 0; j+1 < len(kv); j += 2 {
					f.Set(kv[j], kv[j+1])
				}
				return f
			}
			var transcript string // the Record's transcribeCallback
			steps := []struct {
				input []string
				next  func(*simulate.Node) string
			}{
				{nil, func(d *simulate.Node) string { return d.First("Gather").Attrs["action"] }},
				{[]string{"Digits", "2"}, func(d *simulate.Node) string { return d.First("Gather").Attrs["action"] }},
				{[]string{"Digits", "1"}, func(d *simulate.Node) string { return d.First("Gather").Attrs["action"] }},
				{[]string{"Digits", "2"}, func(d *simulate.Node) string {
					transcript = d.First("Record").Attrs["transcribeCallback"]
					return d.First("Record").Attrs["action"]
				}},
				{[]string{"RecordingSid", fmt.Sprintf("RE%032x", i), "RecordingUrl", "https://api.twilio.com/r", "RecordingDuration", "6"}, func(*simulate.Node) string { return transcript }},
				{[]string{"RecordingSid", fmt.Sprintf("RE%032x", i), "TranscriptionText", "Please call after three.", "TranscriptionStatus", "completed"}, nil},
			}
			u := public + "/twilio/voice"
			for s, st := range steps {
				doc, err := send(servers[(i+s)%2], u, form(st.input...), s == len(steps)-1)
				if err != nil {
					t.Errorf("call %d step %d: %v", i, s, err)
					return
				}
				if s == 2 {
					if !strings.Contains(doc.Said(), "saved") {
						t.Errorf("call %d: not confirmed: %q", i, doc.Said())
						return
					}
					run.mu.Lock()
					run.confirmed = append(run.confirmed, sid)
					run.mu.Unlock()
				}
				if st.next != nil {
					u = st.next(doc)
				}
				time.Sleep(gap)
			}
		}()
	}

	return run
}

func (run *callbackCalls) wait() { run.wg.Wait() }

// checkStored drains the instances' spools and checks that every request
// confirmed to a caller is in Redis exactly once, with its consent answer,
// voice message and transcription, and that all calls were confirmed.
func (run *callbackCalls) checkStored(t *testing.T, apps []*server.Server, calls int) {
	t.Helper()
	// The spools drain into Redis.
	deadline := time.Now().Add(60 * time.Second)
	for apps[0].Recorder.Spooled()+apps[1].Recorder.Spooled() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("spools did not drain: %d and %d left", apps[0].Recorder.Spooled(), apps[1].Recorder.Spooled())
		}
		for _, a := range apps {
			if _, err := a.Recorder.Replay(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := map[string]*callback.Request{}
	cursor := ""
	for {
		page, next, err := apps[0].Queue.List(t.Context(), callback.StatusPending, 500, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			if got[r.CallSID] != nil {
				t.Errorf("call %s recorded twice", r.CallSID)
			}
			got[r.CallSID] = r
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for _, sid := range run.confirmed {
		r := got[sid]
		switch {
		case r == nil:
			t.Errorf("confirmed request %s is missing", sid)
		case r.VoicemailOK != callback.ConsentNo || r.Message == nil || r.Message.Transcription == "":
			t.Errorf("request %s lost a field: consent %q, message %+v", sid, r.VoicemailOK, r.Message)
		}
	}
	if len(run.confirmed) != calls || len(got) != calls {
		t.Errorf("%d confirmed, %d stored, want %d each", len(run.confirmed), len(got), calls)
	}
	t.Logf("%d webhooks, slowest %v", run.webhooks, run.slowest)
}
