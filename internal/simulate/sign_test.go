package simulate_test

import (
	"net/url"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/twilio/twilio-go/client"
)

// TestSignMatchesTwilioValidator proves our signer and twilio-go's validator
// agree, including URLs with query strings and the absence of parameters.
func TestSignMatchesTwilioValidator(t *testing.T) {
	t.Parallel()
	const token = "12345abcdef"
	v := client.NewRequestValidator(token)
	tests := []struct {
		name string
		url  string
		form url.Values
	}{
		{"voice webhook", "https://phone.example.org/twilio/voice", url.Values{"CallSid": {"CA123"}, "From": {"+14255550199"}, "To": {"+14258692644"}}},
		{"with query", "https://phone.example.org/twilio/menu?n=1", url.Values{"CallSid": {"CA123"}, "Digits": {"0"}}},
		{"no params", "http://127.0.0.1:8080/twilio/status", url.Values{}},
		{"unicode speech", "https://phone.example.org/twilio/menu?n=0", url.Values{"CallSid": {"CA1"}, "SpeechResult": {"programación <b>"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			params := map[string]string{}
			for k, vs := range tt.form {
				params[k] = vs[0]
			}
			sig := simulate.Sign(token, tt.url, tt.form)
			if !v.Validate(tt.url, params, sig) {
				t.Errorf("twilio-go rejects our signature %q", sig)
			}
			if v.Validate(tt.url+"x", params, sig) {
				t.Error("twilio-go accepts our signature for another URL")
			}
			if simulate.Sign("other", tt.url, tt.form) == sig {
				t.Error("the signature does not depend on the token")
			}
		})
	}
}
