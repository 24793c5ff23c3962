package ivr_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/ivr"
	"github.com/twilio/twilio-go/client"
)

// TestSignatureValidatorAgreesWithTwilioGo: on random URLs (with and
// without ports, odd escapes) and random parameters, with signatures made
// for the URL as it is, with the default port added or removed, for other
// parameters, or made up, SignatureValidator answers exactly as twilio-go's
// RequestValidator, through Validate and ValidateForm alike; both accept
// the signatures made for the URL as it is.
func TestSignatureValidatorAgreesWithTwilioGo(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	rng := rand.New(rand.NewPCG(24, 6))
	ours := ivr.NewSignatureValidator(token)
	theirs := client.NewRequestValidator(token)
	pieces := []string{"a", "Z", "0", "%2F", "%41", "é", " ", "+", "?", "&", "=", "#", ":", "/", "%", "~", ".."}
	randStr := func(n int) string {
		var b strings.Builder
		for range rng.IntN(n) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	sign := func(u string, params map[string]string) string {
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			u += k + params[k]
		}
		m := hmac.New(sha1.New, []byte(token))
		m.Write([]byte(u))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	accepted, agreed := 0, 0
	for i := range 20000 {
		scheme := []string{"http", "https"}[rng.IntN(2)]
		host := []string{"phone.example.org", "phone.example.org:443", "phone.example.org:80", "localhost:8080", "[::1]:9"}[rng.IntN(5)]
		raw := scheme + "://" + host + "/" + randStr(6)
		if rng.IntN(2) == 0 {
			raw += "?" + randStr(6)
		}
		params := map[string]string{}
		form := url.Values{}
		for range rng.IntN(6) {
			k, v := randStr(4), randStr(8)
			params[k] = v
			form[k] = []string{v}
		}
		var sig string
		switch rng.IntN(6) {
		case 0, 1:
			sig = sign(raw, params)
		case 2: // the default port added, as twilio-go tries
			if u, err := url.Parse(raw); err == nil && u.Port() == "" {
				u.Host += map[string]string{"http": ":80", "https": ":443"}[scheme]
				sig = sign(u.String(), params)
			} else {
				sig = sign(raw, params)
			}
		case 3: // the port removed
			if u, err := url.Parse(raw); err == nil {
				u.Host = u.Hostname()
				if strings.Contains(u.Host, ":") {
					u.Host = "[" + u.Host + "]"
				}
				sig = sign(u.String(), params)
			}
		case 4: // signed for other parameters
			sig = sign(raw, map[string]string{"CallSid": fmt.Sprint(i)})
		case 5:
			sig = randStr(30)
		}
		want := theirs.Validate(raw, params, sig)
		if got := ours.Validate(raw, params, sig); got != want {
			t.Fatalf("Validate(%q, %q, %q) = %v, twilio-go says %v", raw, params, sig, got, want)
		}
		if got := ours.ValidateForm(raw, form, sig); got != want {
			t.Fatalf("ValidateForm(%q, %q, %q) = %v, twilio-go says %v", raw, params, sig, got, want)
		}
		if want {
			accepted++
		}
		agreed++
		if self := sign(raw, params); !ours.Validate(raw, params, self) || !theirs.Validate(raw, params, self) {
			t.Fatalf("%q: the signature of the URL as it is was refused", raw)
		}
	}
	// The check must have seen both answers many times.
	if accepted < agreed/5 || accepted > agreed*4/5 {
		t.Fatalf("%d of %d accepted: the cases do not exercise both answers", accepted, agreed)
	}
}
