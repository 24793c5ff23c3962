package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// Finding 6: claims were keyed by name, so an account removed and added
// again under the same name inherited the old account's claims and could
// reveal their numbers. A claim is now bound to the account's id.
func TestReAddedAccountInheritsNoClaims(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	id := r.seed(t, 1)[0]
	base := "/api/v1/callbacks/" + id
	if rec := r.call("POST", base+"/claim", r.ana, ""); rec.Code != http.StatusOK {
		t.Fatalf("claim: %d %s", rec.Code, rec.Body)
	}
	if err := r.Staff.Remove(t.Context(), "ana"); err != nil {
		t.Fatal(err)
	}
	again := r.AddStaff("ana")
	for _, step := range []struct{ method, path, body string }{
		{"POST", base + "/reveal", ""},
		{"POST", base + "/release", ""},
		{"POST", base + "/complete", `{"outcome":"reached"}`},
		{"POST", base + "/cancel", ""},
		{"POST", base + "/claim", ""},
	} {
		rec := r.call(step.method, step.path, again, step.body)
		if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "5550142") {
			t.Errorf("%s %s by the re-added ana: %d %s", step.method, step.path, rec.Code, rec.Body)
		}
	}
	got, err := r.Queue.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "claimed" || got.ClaimedBy != "ana" || len(got.History) != 2 {
		t.Errorf("the old claim changed: %s by %s, %d history entries", got.Status, got.ClaimedBy, len(got.History))
	}
	// Another account with its own name claims and reveals as before.
	if rec := r.call("POST", "/api/v1/callbacks/"+r.seed(t, 2)[1]+"/claim", again, ""); rec.Code != http.StatusOK {
		t.Errorf("the re-added ana cannot claim a pending request: %d", rec.Code)
	}
}
