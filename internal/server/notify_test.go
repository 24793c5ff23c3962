package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/faketwilio"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// TestNewRequestSMSSaysUrgent captures a request through the real webhooks
// and checks the SMS to callback.notifySms: "URGENT" for a caller who may be
// in crisis, the usual words otherwise, and never the caller's number.
func TestNewRequestSMSSaysUrgent(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(string(config.DefaultYAML()), "  notifySms: []\n", "  notifySms: [\"+14255550111\"]\n", 1)
	tests := []struct {
		reason, want, notWant string
	}{
		{"crisis", "URGENT callback request: the caller may be in crisis", "a new callback request"},
		{"therapist", "a new callback request is waiting", "URGENT"},
		{"menu", "a new callback request is waiting", "URGENT"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{YAML: yaml, Twilio: true})
			form := url.Values{"CallSid": {simulate.CallSID(tt.reason)}, "AccountSid": {testserver.AccountSID}, "From": {"+12065550142"}, "To": {"+14258692644"}}
			if rec := s.Post("/twilio/voice", form, true); rec.Code != http.StatusOK {
				t.Fatalf("voice: %d %s", rec.Code, rec.Body)
			}
			form.Set("Digits", "1")
			if rec := s.Post("/twilio/callback/number?n=0&r="+tt.reason, form, true); rec.Code != http.StatusOK {
				t.Fatalf("number: %d %s", rec.Code, rec.Body)
			}
			sms := waitForSMS(t, s.Fake)
			body := sms.Form.Get("Body")
			if sms.Form.Get("To") != "+14255550111" || !strings.Contains(body, tt.want) || strings.Contains(body, tt.notWant) ||
				strings.Contains(body, "0142") || strings.Contains(body, form.Get("CallSid")) {
				t.Errorf("SMS = %v; want %q in it, and no %q, number or CallSid", sms.Form, tt.want, tt.notWant)
			}
		})
	}
}

// waitForSMS returns the first message the fake Twilio was asked to send:
// the recorder announces a new request in its own goroutine.
func waitForSMS(t *testing.T, fake *faketwilio.Server) faketwilio.Request {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range fake.Requests() {
			if strings.HasSuffix(r.Path, "/Messages.json") {
				return r
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no SMS sent within 10 s")
	return faketwilio.Request{}
}
