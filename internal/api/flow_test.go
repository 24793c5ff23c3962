package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/switchboard-clinic/switchboard/internal/api"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/callback/callbacktest"
	"github.com/switchboard-clinic/switchboard/internal/staff"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// tokens is an Authenticator over a fixed set of accounts, by token.
type tokens map[string]staff.Account

func (ts tokens) Authenticate(_ context.Context, token string) (staff.Account, error) {
	if a, ok := ts[token]; ok {
		return a, nil
	}
	return staff.Account{}, staff.ErrUnauthorized
}

// newFakeRig is the API alone on the in-memory queue (callbacktest), for
// the flow tests: what the API answers, not how Redis stores it. The tests
// of the whole stack (authentication against the staff store, body limits,
// Redis down, recordings) use newRig.
func newFakeRig(t *testing.T) *apiRig {
	t.Helper()
	q := callbacktest.New(func() time.Time { return testserver.MondayMorning })
	accounts := tokens{}
	a, err := api.New(q, accounts, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	a.Routes(e.Group("/api/v1", a.RequireStaff))
	r := &apiRig{desk: q,
		do: func(req *http.Request) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			return rec
		},
		add: func(_ *testing.T, c callback.Capture) string { return q.AddCapture(c) },
		addStaff: func(name string, admin bool) string {
			token := "token-" + name
			accounts[token] = staff.Account{ID: "id-" + name, Name: name, Admin: admin, Created: testserver.MondayMorning.Add(-time.Hour)}
			return token
		},
	}
	r.ana, r.ben = r.addStaff("ana", false), r.addStaff("ben", false)
	return r
}

// TestNotesOverTheLimitAreRefusedNotCut: every route that takes a note
// answers 400 with the queue's reason for one over callback.MaxNote bytes,
// and changes nothing.
func TestNotesOverTheLimitAreRefusedNotCut(t *testing.T) {
	t.Parallel()
	r := newFakeRig(t)
	id := r.seed(t, 1)[0]
	base := "/api/v1/callbacks/" + id
	if rec := r.call("POST", base+"/claim", r.ana, ""); rec.Code != http.StatusOK {
		t.Fatalf("claim: %d %s", rec.Code, rec.Body)
	}
	long := strings.Repeat("é", callback.MaxNote/2) + "x" // one byte over, in whole characters
	for _, tc := range []struct{ path, body string }{
		{"/notes", `{"note":"` + long + `"}`},
		{"/complete", `{"outcome":"reached","note":"` + long + `"}`},
		{"/cancel", `{"note":"` + long + `"}`},
	} {
		rec := r.call("POST", base+tc.path, r.ana, tc.body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "note is longer than 2000 bytes") {
			t.Errorf("%s with a long note: %d %s, want 400 with the reason", tc.path, rec.Code, rec.Body)
		}
	}
	got, err := r.desk.Get(t.Context(), id)
	if err != nil || got.Status != callback.StatusClaimed || len(got.History) != 2 {
		t.Fatalf("a refused note changed the request: %+v %v", got, err)
	}
	exact := strings.Repeat("a", callback.MaxNote)
	if rec := r.call("POST", base+"/notes", r.ana, `{"note":"`+exact+`"}`); rec.Code != http.StatusOK {
		t.Errorf("a note of exactly the limit: %d %s", rec.Code, rec.Body)
	}
}
