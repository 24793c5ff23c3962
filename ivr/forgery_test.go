package ivr_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// TestASignatureCannotBeRespliced: Twilio signs names and values joined
// with nothing between them, so "CallSid=<sid>CallStatusin-progress" (no
// CallStatus) carries the same signature as the real request. The formats
// Twilio guarantees refuse it, as they refuse repeated names and another
// account's requests.
func TestASignatureCannotBeRespliced(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{Twilio: true}) // TWILIO_ACCOUNT_SID set
	path := "/twilio/callback/number?n=0&r=menu"
	real := callForm("Digits", "1")
	sig := simulate.Sign(testserver.Token, testserver.Base+path, real)
	spliced := url.Values{}
	for k, v := range real {
		spliced[k] = v
	}
	spliced.Del("CallStatus")
	spliced.Set("CallSid", real.Get("CallSid")+"CallStatus"+real.Get("CallStatus"))
	if simulate.Sign(testserver.Token, testserver.Base+path, spliced) != sig {
		t.Fatal("the test's spliced body does not share the signature")
	}
	send := func(body string, signature string) int {
		req := newRawPost(path, body)
		req.Header.Set("X-Twilio-Signature", signature)
		return serve(h, req).Code
	}
	if code := send(spliced.Encode(), sig); code != http.StatusBadRequest {
		t.Errorf("a re-spliced body with a captured signature: %d, want 400", code)
	}
	if code := send(real.Encode()+"&Digits=2", simulate.Sign(testserver.Token, testserver.Base+path, real)); code != http.StatusBadRequest {
		t.Errorf("a repeated parameter: %d, want 400", code)
	}
	other := callForm("Digits", "1", "AccountSid", "ACffffffffffffffffffffffffffffffff")
	if code := send(other.Encode(), simulate.Sign(testserver.Token, testserver.Base+path, other)); code != http.StatusForbidden {
		t.Errorf("another account's request: %d, want 403", code)
	}
	if len(h.requests(t)) != 0 {
		t.Errorf("a forged request recorded a callback: %v", h.requests(t))
	}
	if code := send(real.Encode(), sig); code != http.StatusOK || len(h.requests(t)) != 1 {
		t.Errorf("the real request: %d, %d requests", code, len(h.requests(t)))
	}
}
