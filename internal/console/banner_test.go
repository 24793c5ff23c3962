package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// TestAdminsSeeABannerWhileWritesWaitForAReplica: with a replica required
// and none there, a request is listed at once, and admins (only they) see
// on every page that callback writes wait in the spool for a replica.
func TestAdminsSeeABannerWhileWritesWaitForAReplica(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{RedisReplicas: 1})
	adaToken, benToken := s.AddStaff("ada"), s.AddStaff("ben")
	if err := s.Staff.SetAdmin(t.Context(), "ada", true); err != nil {
		t.Fatal(err)
	}
	ada, ben := signIn(t, s, "ada", adaToken), signIn(t, s, "ben", benToken)
	if body := ada.do("GET", "/staff/", nil).Body.String(); strings.Contains(body, "replica-banner") {
		t.Fatalf("a banner with nothing unreplicated")
	}
	number := "+12065550142"
	c := callback.Capture{CallSID: "CAbanner", CallerNumber: number, CallbackNumber: number, Reason: "menu", At: time.Now()}
	if spooled, err := s.Recorder.Record(t.Context(), s.Queue.CreateOp(c)); err != nil || !spooled {
		t.Fatalf("record with no replica: spooled=%v err=%v", spooled, err)
	}
	if spooled, err := s.Recorder.Record(t.Context(), s.Queue.ConsentOp("CAbanner", "yes", "no")); err != nil || !spooled {
		t.Fatalf("record with no replica: spooled=%v err=%v", spooled, err)
	}
	for _, page := range []string{"/staff/", "/staff/done"} {
		body := ada.do("GET", page, nil).Body.String()
		if !strings.Contains(body, `id="replica-banner"`) || !strings.Contains(body, "2 of them") {
			t.Errorf("admin sees no banner on %s", page)
		}
	}
	body := ben.do("GET", "/staff/", nil).Body.String()
	if strings.Contains(body, "replica-banner") {
		t.Error("a non-admin sees the banner")
	}
	if !strings.Contains(body, "0142") {
		t.Errorf("the request is not listed at once: %s", body)
	}
}
