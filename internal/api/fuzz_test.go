package api_test

import (
	"net/http"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// FuzzAPI posts arbitrary JSON to the API's write routes: a client's mistake
// is always a 4xx with a reason, never a 5xx.
func FuzzAPI(f *testing.F) {
	for _, s := range []string{`{"outcome":"reached","note":"x"}`, `{"outcome":"no-answer","requeue":false}`, `{}`, ``, `{"note":`, `[]`, `{"note":"a","extra":1}`, `{"outcome":7}`, `null`, `{"requeue":"yes"}`} {
		f.Add(uint8(0), s)
		f.Add(uint8(1), s)
	}
	s := testserver.New(f, testserver.Options{})
	r := rigOn(f, s)
	r.ana = s.AddStaff("ana")
	id := seedOne(f, s)
	if rec := r.call("POST", "/api/v1/callbacks/"+id+"/claim", r.ana, ""); rec.Code != http.StatusOK {
		f.Fatalf("claim: %d", rec.Code)
	}
	routes := []string{"complete", "notes", "cancel", "claim", "release"}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		path := "/api/v1/callbacks/" + id + "/" + routes[int(route)%len(routes)]
		rec := r.call("POST", path, r.ana, body)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && len(rec.Body.String()) < 10 {
			t.Fatalf("POST %s %q: %d without a reason", path, body, rec.Code)
		}
	})
}
