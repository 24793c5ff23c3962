package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// TestUrgentRequestsComeFirstWithABadge: a crisis request, newer than the
// others, is listed first with an "Urgent" badge in words; the therapist
// reason is said in words; the request page carries the badge too.
func TestUrgentRequestsComeFirstWithABadge(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	at := testserver.MondayMorning.Add(-time.Hour)
	create := func(sid, number string, reason callback.Reason, at time.Time) string {
		return s.Record(t, callback.Capture{CallSID: sid, CallerNumber: number, CallbackNumber: number, Reason: reason, At: at})
	}
	create("CAmenu", "+12065550101", callback.ReasonMenu, at)
	create("CAtherapist", "+12065550102", callback.ReasonTherapist, at.Add(time.Minute))
	crisis := create("CAcrisis", "+12065550103", callback.ReasonCrisis, at.Add(2*time.Minute))
	b := signIn(t, s, "ana", s.AddStaff("ana"))

	const badge = `<span class="badge urgent">Urgent</span>`
	for _, path := range []string{"/staff/", "/staff/queue/rows"} {
		rec := b.do(http.MethodGet, path, nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		tests := []struct{ name, before, after string }{
			{"crisis before the older menu request", "…0103", "…0101"},
			{"menu before therapist (oldest first)", "…0101", "…0102"},
		}
		for _, tt := range tests {
			i, j := strings.Index(body, tt.before), strings.Index(body, tt.after)
			if i < 0 || j < 0 || i > j {
				t.Errorf("%s: %s", path, tt.name)
			}
		}
		if k := strings.Index(body, badge); strings.Count(body, badge) != 1 || k < strings.Index(body, "…0103") || k > strings.Index(body, "…0101") {
			t.Errorf("%s: want one Urgent badge, on the crisis row", path)
		}
		for _, want := range []string{"asked for their therapist", `<strong id="count-urgent">1</strong> urgent`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	page := b.do(http.MethodGet, "/staff/requests/"+crisis, nil).Body.String()
	if !strings.Contains(page, `<dd id="reason">`+badge+` urgent: the caller may be in crisis</dd>`) {
		t.Errorf("the request page does not mark it urgent:\n%s", page)
	}
}
