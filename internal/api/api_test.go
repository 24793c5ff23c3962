package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// apiRig is the API behind a router: the whole stack on a real
// redis-server (newRig), or the API alone on the in-memory queue
// (newFakeRig).
type apiRig struct {
	*testserver.Server // nil on the fake
	desk               callback.Desk
	do                 func(*http.Request) *httptest.ResponseRecorder
	add                func(t *testing.T, c callback.Capture) string
	addStaff           func(name string, admin bool) string
	ana, ben           string
}

func newRig(t *testing.T) *apiRig {
	t.Helper()
	r := rigOn(t, testserver.New(t, testserver.Options{}))
	r.ana, r.ben = r.addStaff("ana", false), r.addStaff("ben", false)
	return r
}

// rigOn is a rig on the whole server s, without staff.
func rigOn(t testing.TB, s *testserver.Server) *apiRig {
	return &apiRig{Server: s, desk: s.Queue, do: s.Do,
		add: func(t *testing.T, c callback.Capture) string {
			t.Helper()
			return s.Record(t, c)
		},
		addStaff: func(name string, admin bool) string {
			token := s.AddStaff(name)
			if admin {
				if err := s.Staff.SetAdmin(t.Context(), name, true); err != nil {
					t.Fatal(err)
				}
			}
			return token
		},
	}
}

func (r *apiRig) call(method, path, token, body string) *httptest.ResponseRecorder {
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return r.do(req)
}

// seed creates n pending requests, one minute apart, and returns their ids.
func (r *apiRig) seed(t *testing.T, n int) []string {
	t.Helper()
	reasons := make([]callback.Reason, n)
	for i := range reasons {
		reasons[i] = callback.ReasonMenu
	}
	return r.seedReasons(t, reasons...)
}

type listBody struct {
	Callbacks []map[string]any `json:"callbacks"`
	Next      string           `json:"next"`
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	return v
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ids := r.seed(t, 1)
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/callbacks"},
		{"GET", "/api/v1/callbacks/" + ids[0]},
		{"POST", "/api/v1/callbacks/" + ids[0] + "/claim"},
		{"POST", "/api/v1/callbacks/" + ids[0] + "/release"},
		{"POST", "/api/v1/callbacks/" + ids[0] + "/complete"},
		{"POST", "/api/v1/callbacks/" + ids[0] + "/notes"},
		{"POST", "/api/v1/callbacks/" + ids[0] + "/cancel"},
		{"GET", "/api/v1/nothing-here"},
	}
	for _, rt := range routes {
		for _, tok := range []string{"", "sbt_0000000000000000_wrong", r.ana + "x"} {
			rec := r.call(rt.method, rt.path, tok, "")
			if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s with token %q: %d, want 401 with WWW-Authenticate", rt.method, rt.path, tok, rec.Code)
			}
			if strings.Contains(rec.Body.String(), "+1206") {
				t.Errorf("%s %s without a valid token leaks a number", rt.method, rt.path)
			}
		}
	}
	if rec := r.call("GET", "/api/v1/callbacks", r.ana, ""); rec.Code != http.StatusOK {
		t.Errorf("with a valid token: %d %s", rec.Code, rec.Body)
	}
	if err := r.Staff.Remove(t.Context(), "ana"); err != nil {
		t.Fatal(err)
	}
	if rec := r.call("GET", "/api/v1/callbacks", r.ana, ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("with a revoked token: %d", rec.Code)
	}
}

func TestListPagesOldestFirst(t *testing.T) {
	t.Parallel()
	r := newFakeRig(t)
	ids := r.seed(t, 7)
	var got []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		rec := r.call("GET", "/api/v1/callbacks?limit=3&cursor="+cursor, r.ana, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
		body := decode[listBody](t, rec)
		for _, c := range body.Callbacks {
			got = append(got, c["id"].(string))
			// Nobody holds the claim: the number is masked to its last four.
			if c["status"] != "pending" || c["callbackNumberLast4"] != "0142" || c["callSid"] == "" || c["callbackNumber"] != nil || c["callerNumber"] != nil {
				t.Errorf("item = %v", c)
			}
			if _, err := time.Parse(time.RFC3339, c["createdAt"].(string)); err != nil {
				t.Errorf("createdAt %v is not RFC 3339", c["createdAt"])
			}
		}
		if body.Next == "" {
			break
		}
		cursor = body.Next
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("paged ids = %v, want %v", got, ids)
	}
	// Claimed requests are listed by status.
	if rec := r.call("POST", "/api/v1/callbacks/"+ids[2]+"/claim", r.ana, ""); rec.Code != http.StatusOK {
		t.Fatal(rec.Body)
	}
	claimed := decode[listBody](t, r.call("GET", "/api/v1/callbacks?status=claimed", r.ana, ""))
	if len(claimed.Callbacks) != 1 || claimed.Callbacks[0]["claimedBy"] != "ana" {
		t.Errorf("claimed list = %v", claimed.Callbacks)
	}
	if n := len(decode[listBody](t, r.call("GET", "/api/v1/callbacks", r.ana, "")).Callbacks); n != 6 {
		t.Errorf("pending after a claim: %d, want 6", n)
	}
}

func TestClaimConflictsAndTransitions(t *testing.T) {
	t.Parallel()
	r := newFakeRig(t)
	id := r.seed(t, 1)[0]
	base := "/api/v1/callbacks/" + id
	steps := []struct {
		name, method, path, token, body string
		want                            int
		wantStatus                      string
	}{
		{"ana claims", "POST", base + "/claim", r.ana, "", 200, "claimed"},
		{"ben's claim conflicts", "POST", base + "/claim", r.ben, "", 409, ""},
		{"ben cannot release", "POST", base + "/release", r.ben, "", 409, ""},
		{"ben cannot complete", "POST", base + "/complete", r.ben, `{"outcome":"reached"}`, 409, ""},
		{"bad JSON", "POST", base + "/complete", r.ana, `{"outcome":`, 400, ""},
		{"unknown field", "POST", base + "/complete", r.ana, `{"outcome":"reached","mood":"good"}`, 400, ""},
		{"unknown outcome", "POST", base + "/complete", r.ana, `{"outcome":"maybe"}`, 400, ""},
		{"missing outcome", "POST", base + "/complete", r.ana, `{}`, 400, ""},
		{"no answer goes back to the queue", "POST", base + "/complete", r.ana, `{"outcome":"no-answer","note":"rang out"}`, 200, "pending"},
		{"ben claims now", "POST", base + "/claim", r.ben, "", 200, "claimed"},
		{"a note", "POST", base + "/notes", r.ben, `{"note":"prefers mornings"}`, 200, "claimed"},
		{"an empty note", "POST", base + "/notes", r.ben, `{"note":"  "}`, 400, ""},
		{"ben reaches them", "POST", base + "/complete", r.ben, `{"outcome":"reached","note":"booked intake"}`, 200, "done"},
		{"done cannot be claimed", "POST", base + "/claim", r.ana, "", 409, ""},
		{"done cannot be released", "POST", base + "/release", r.ben, "", 409, ""},
		{"unknown id", "POST", "/api/v1/callbacks/01KQZZZZZZZZZZZZZZZZZZZZZZ/claim", r.ana, "", 404, ""},
		{"malformed id", "GET", "/api/v1/callbacks/not-an-id", r.ana, "", 404, ""},
		{"bad status filter", "GET", "/api/v1/callbacks?status=lost", r.ana, "", 400, ""},
		{"bad limit", "GET", "/api/v1/callbacks?limit=0", r.ana, "", 400, ""},
		{"bad cursor", "GET", "/api/v1/callbacks?cursor=zzz", r.ana, "", 400, ""},
	}
	for _, s := range steps {
		rec := r.call(s.method, s.path, s.token, s.body)
		if rec.Code != s.want {
			t.Fatalf("%s: %d %s, want %d", s.name, rec.Code, rec.Body, s.want)
		}
		body := decode[map[string]any](t, rec)
		if s.want >= 400 {
			if msg, _ := body["error"].(string); msg == "" {
				t.Errorf("%s: no reason given: %s", s.name, rec.Body)
			}
			continue
		}
		if s.wantStatus != "" && body["status"] != s.wantStatus {
			t.Errorf("%s: status %v, want %s", s.name, body["status"], s.wantStatus)
		}
	}
	final := decode[callback.Request](t, r.call("GET", base, r.ana, ""))
	if final.Attempts != 2 || final.Outcome != callback.OutcomeReached {
		t.Errorf("final = attempts %d outcome %s", final.Attempts, final.Outcome)
	}
	var notes []string
	for _, e := range final.History {
		if e.Note != "" && e.Who != "caller" {
			notes = append(notes, e.Who+": "+e.Note)
		}
	}
	if fmt.Sprint(notes) != "[ana: rang out ben: prefers mornings ben: booked intake]" {
		t.Errorf("notes in history = %v", notes)
	}
	done := decode[listBody](t, r.call("GET", "/api/v1/callbacks?status=done", r.ana, ""))
	if len(done.Callbacks) != 1 {
		t.Errorf("done list = %v", done.Callbacks)
	}
}

func TestConcurrentClaimsThroughTheAPI(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	id := r.seed(t, 1)[0]
	tokens := []string{r.ana, r.ben}
	for i := 0; i < 8; i++ {
		tokens = append(tokens, r.AddStaff(fmt.Sprintf("staff%d", i)))
	}
	var wg sync.WaitGroup
	codes := make(chan int, len(tokens))
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- r.call("POST", "/api/v1/callbacks/"+id+"/claim", tok, "").Code
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[200] != 1 || count[409] != len(tokens)-1 {
		t.Errorf("claim answers = %v, want one 200 and the rest 409", count)
	}
}

func TestOversizedBody(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	id := r.seed(t, 1)[0]
	big := `{"note":"` + strings.Repeat("a", 70*1024) + `"}`
	if rec := r.call("POST", "/api/v1/callbacks/"+id+"/notes", r.ana, big); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", rec.Code)
	}
	long := `{"note":"` + strings.Repeat("a", 3000) + `"}`
	if rec := r.call("POST", "/api/v1/callbacks/"+id+"/notes", r.ana, long); rec.Code != http.StatusBadRequest {
		t.Errorf("note over 2000 bytes: %d", rec.Code)
	}
}

func TestStoreDownIsA503NotAClientError(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.seed(t, 1)
	r.Redis.Kill()
	rec := r.call("GET", "/api/v1/callbacks", r.ana, "")
	// Authentication itself needs Redis: the answer is 503, never 401 or 500.
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("with Redis down: %d %s", rec.Code, rec.Body)
	}
}

// seedOne creates one pending request.
func seedOne(tb testing.TB, s *testserver.Server) string {
	tb.Helper()
	id, _, err := s.Queue.Apply(tb.Context(), s.Queue.CreateOp(callback.Capture{
		CallSID: "CAfuzz", CallbackNumber: "+12065550142", Reason: "menu", At: testserver.MondayMorning}))
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// TestNumbersLeaveOnlyThroughAnAuditedReveal: claim, get and list give
// everyone, the claim holder included, the last four digits and no
// numbers or transcription; only reveal, for the holder, carries them, and
// it writes "number revealed" to the history first.
func TestNumbersLeaveOnlyThroughAnAuditedReveal(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	id := seedOne(t, r.Server)
	if _, _, err := r.Queue.Apply(t.Context(), r.Queue.MessageOp("CAfuzz", callback.Message{RecordingSID: "RE0123456789abcdef0123456789abcdef", DurationSeconds: 9})); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Queue.Apply(t.Context(), r.Queue.TranscriptionOp("CAfuzz", "please call after five", "completed")); err != nil {
		t.Fatal(err)
	}
	secret := func(body string) bool {
		return strings.Contains(body, "2065550142") || strings.Contains(body, "after five")
	}
	if rec := r.call("POST", "/api/v1/callbacks/"+id+"/reveal", r.ana, ""); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "claim") {
		t.Errorf("reveal without the claim: %d %s", rec.Code, rec.Body)
	}
	claim := r.call("POST", "/api/v1/callbacks/"+id+"/claim", r.ana, "")
	if claim.Code != http.StatusOK {
		t.Fatalf("claim: %d", claim.Code)
	}
	for _, tc := range []struct {
		name string
		body string
	}{
		{"the claim's answer", claim.Body.String()},
		{"get by the holder", r.call("GET", "/api/v1/callbacks/"+id, r.ana, "").Body.String()},
		{"get by someone else", r.call("GET", "/api/v1/callbacks/"+id, r.ben, "").Body.String()},
		{"claimed list for the holder", r.call("GET", "/api/v1/callbacks?status=claimed", r.ana, "").Body.String()},
		{"claimed list for someone else", r.call("GET", "/api/v1/callbacks?status=claimed", r.ben, "").Body.String()},
	} {
		if secret(tc.body) || !strings.Contains(tc.body, `"callbackNumberLast4":"0142"`) {
			t.Errorf("%s: want the last four digits only, got %s", tc.name, tc.body)
		}
	}
	full, err := r.Queue.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range full.History {
		if e.What == "number revealed" {
			t.Fatalf("\"number revealed\" before any reveal: %+v", full.History)
		}
	}
	if rec := r.call("POST", "/api/v1/callbacks/"+id+"/reveal", r.ben, ""); rec.Code != http.StatusForbidden {
		t.Errorf("reveal by someone else: %d", rec.Code)
	}
	rec := r.call("POST", "/api/v1/callbacks/"+id+"/reveal", r.ana, "")
	got := decode[map[string]string](t, rec)
	if rec.Code != http.StatusOK || got["callbackNumber"] != "+12065550142" || got["transcription"] != "please call after five" {
		t.Fatalf("reveal by the holder: %d %v", rec.Code, got)
	}
	if full, err = r.Queue.Get(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	var revealed bool
	for _, e := range full.History {
		revealed = revealed || e.What == "number revealed" && e.Who == "ana"
	}
	if !revealed {
		t.Errorf("no \"number revealed\" in the history: %+v", full.History)
	}
}

// TestFinishingThroughTheAPIDeletesTheRecording: completing or cancelling
// through the API (and so the CLI) deletes the recording at Twilio too.
func TestFinishingThroughTheAPIDeletesTheRecording(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(string(config.DefaultYAML()), "deleteRecordings: false", "deleteRecordings: true", 1)
	s := testserver.New(t, testserver.Options{Twilio: true, YAML: yaml})
	r := rigOn(t, s)
	r.ana, r.ben = s.AddStaff("ana"), s.AddStaff("ben")
	id := seedOne(t, s)
	if _, _, err := s.Queue.Apply(t.Context(), s.Queue.MessageOp("CAfuzz", callback.Message{RecordingSID: "RE99999999999999999999999999999999", DurationSeconds: 9})); err != nil {
		t.Fatal(err)
	}
	if rec := r.call("POST", "/api/v1/callbacks/"+id+"/claim", r.ana, ""); rec.Code != http.StatusOK {
		t.Fatalf("claim: %d %s", rec.Code, rec.Body)
	}
	if rec := r.call("POST", "/api/v1/callbacks/"+id+"/cancel", r.ana, `{"note":"duplicate"}`); rec.Code != http.StatusOK {
		t.Fatalf("cancel: %d %s", rec.Code, rec.Body)
	}
	if n, err := s.Recorder.DeleteRecordings(t.Context()); err != nil || n != 1 {
		t.Fatalf("upkeep deleted %d (%v)", n, err)
	}
	var deleted bool
	for _, q := range s.Fake.Requests() {
		deleted = deleted || q.Method == "DELETE" && strings.HasSuffix(q.Path, "/Recordings/RE99999999999999999999999999999999.json")
	}
	if !deleted {
		t.Errorf("no DELETE at Twilio: %+v", s.Fake.Requests())
	}
	got := r.call("GET", "/api/v1/callbacks/"+id, r.ana, "")
	if !strings.Contains(got.Body.String(), "recording deleted at Twilio") {
		t.Errorf("the history does not say so: %s", got.Body)
	}
}

// TestCancelIsForAdminsAndTheClaimHolder: cancelling ends a request and
// queues its recording for deletion, so, as in the console, a token holder
// who neither holds the claim nor is an administrator gets 403 with the
// reason, and the request stays.
func TestCancelIsForAdminsAndTheClaimHolder(t *testing.T) {
	t.Parallel()
	r := newFakeRig(t)
	boss := r.addStaff("boss", true)
	ids := r.seed(t, 4)
	if rec := r.call("POST", "/api/v1/callbacks/"+ids[1]+"/claim", r.ana, ""); rec.Code != http.StatusOK {
		t.Fatalf("claim: %d", rec.Code)
	}
	for _, tc := range []struct {
		name, id, token string
		want            int
	}{
		{"someone else, pending", ids[0], r.ben, http.StatusForbidden},
		{"someone else, claimed by ana", ids[1], r.ben, http.StatusForbidden},
		{"the claim holder", ids[1], r.ana, http.StatusOK},
		{"an administrator, pending", ids[2], boss, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := r.call("POST", "/api/v1/callbacks/"+tc.id+"/cancel", tc.token, `{"note":"x"}`)
			if rec.Code != tc.want {
				t.Fatalf("cancel: %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if tc.want == http.StatusForbidden && !strings.Contains(rec.Body.String(), "administrator") {
				t.Errorf("403 without a reason: %s", rec.Body)
			}
		})
	}
	got, err := r.desk.Get(t.Context(), ids[0])
	if err != nil || got.Status != callback.StatusPending {
		t.Errorf("the refused cancel changed the request: %v %v", got, err)
	}
}
