package ivr_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

var fuzzPaths = []string{
	"/twilio/voice", "/twilio/menu", "/twilio/info", "/twilio/info/choice", "/twilio/ring/result",
	"/twilio/callback", "/twilio/callback/number", "/twilio/callback/keyed", "/twilio/callback/confirm",
	"/twilio/callback/consent", "/twilio/callback/recorded", "/twilio/callback/done", "/twilio/status",
}

// FuzzWebhooks sends signed webhooks with arbitrary parameters to every
// caller-facing route through the real router: the answer is 200 with valid
// TwiML that never ends the call in silence (or 204 for status, 4xx for a
// malformed request), never a 5xx, and caller input never becomes TwiML.
func FuzzWebhooks(f *testing.F) {
	f.Add(uint8(0), "", "", "", "+12065550142", "")
	f.Add(uint8(1), "n=1", "0", "", "+12065550142", "")
	f.Add(uint8(1), "n=2", "", "scheduling <Dial>+19005550000</Dial>", "anonymous", "")
	f.Add(uint8(4), "g=scheduling&s=0", "", "", "+12065550142", "no-answer")
	f.Add(uint8(4), "g=nope&s=-1", "", "", "", "completed")
	f.Add(uint8(8), "n=0&r=menu&num=garbage", "1", "", "+12065550142", "")
	f.Add(uint8(7), "n=0&r=menu", "*4420718387501234", "", "", "")
	f.Add(uint8(9), "q=vm&n=9", "1", "", "+12065550142", "")
	f.Add(uint8(3), "id=groups&n=0&cv=zzz", "9", "again", "+12065550142", "")
	h := newHarness(f, harnessOpts{})
	f.Fuzz(func(t *testing.T, route uint8, query, digits, speech, from, dialStatus string) {
		path := fuzzPaths[int(route)%len(fuzzPaths)]
		if q, err := url.ParseQuery(query); err == nil && query != "" {
			path += "?" + q.Encode()
		}
		form := callForm("Digits", digits, "SpeechResult", speech, "From", from, "DialCallStatus", dialStatus, "RecordingSid", "RE0123456789abcdef0123456789abcdef", "RecordingDuration", "3")
		rec := h.post(path, form, true)
		switch {
		case rec.Code >= 500:
			t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		case rec.Code == http.StatusNoContent && strings.HasPrefix(path, "/twilio/status"):
			return
		case rec.Code >= 400:
			return // a malformed request gets a 4xx with a reason
		}
		doc, err := simulate.ParseTwiML(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("POST %s: invalid TwiML: %v\n%s", path, err, rec.Body)
		}
		if why := doc.DeadEnd(); why != "" {
			t.Fatalf("POST %s: %s\n%s", path, why, rec.Body)
		}
		for _, n := range doc.All("Number") {
			if strings.Contains(speech+digits, n.Text) && !strings.HasPrefix(n.Text, "+1425555") {
				t.Fatalf("caller input became a dialled number: %s", n.Text)
			}
		}
	})
}
