package simulate

// This file signs requests the way Twilio signs its webhooks, so that tests,
// benchmarks and the call simulator can talk to a Switchboard that checks
// signatures.

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// Sign returns the X-Twilio-Signature for a POST of form to fullURL:
// base64(HMAC-SHA1(token, URL + each key and value, keys sorted)).
func Sign(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		for _, v := range form[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// CallSID returns a call SID of Twilio's form ("CA" and 32 hex digits)
// made from seed, the same for the same seed: simulated calls and their
// legs need SIDs a Switchboard that checks signatures accepts.
func CallSID(seed string) string {
	sum := sha1.Sum([]byte(seed))
	return "CA" + hex.EncodeToString(sum[:])[:32]
}

// RecordingSID is a recording SID of Twilio's form ("RE" and 32 hex
// digits, which the service requires before it keeps a message), made from
// seed like CallSID.
func RecordingSID(seed string) string {
	sum := sha1.Sum([]byte("recording " + seed))
	return "RE" + hex.EncodeToString(sum[:])[:32]
}
