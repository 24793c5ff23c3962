package ivr_test

import (
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

var update = flag.Bool("update", false, "rewrite ivr/testdata/*.golden from the current output")

// goldenURL makes a URL in TwiML readable and stable: the public base and
// the configuration version go, and a sealed number (new on every request)
// becomes SEALED.
func goldenURL(v string) string {
	if !strings.HasPrefix(v, testBase) {
		return v
	}
	u, err := url.Parse(v)
	if err != nil {
		return v
	}
	q := u.Query()
	q.Del("cv")
	if q.Has("num") {
		q.Set("num", "SEALED")
	}
	if len(q) == 0 {
		return u.Path
	}
	return u.Path + "?" + q.Encode()
}

// TestGoldenTwiML renders the documents of a call's main paths and compares
// them, by structure (attributes sorted), with ivr/testdata/NAME.golden, so a
// reviewer sees in one place what a caller gets. Refresh them with
// go test ./ivr -run TestGoldenTwiML -update.
func TestGoldenTwiML(t *testing.T) {
	t.Parallel()
	open := newHarness(t, harnessOpts{})
	closed := newHarness(t, harnessOpts{At: saturdayMidday})
	cases := []struct {
		name string
		h    *harness
		path string
		form []string
	}{
		{"answer-open", open, "/twilio/voice", nil},
		{"answer-closed", closed, "/twilio/voice", nil},
		{"menu-scheduling-open", open, "/twilio/menu?n=0", []string{"Digits", "0"}},
		{"menu-scheduling-closed", closed, "/twilio/menu?n=0", []string{"Digits", "0"}},
		{"menu-groups", open, "/twilio/menu?n=0", []string{"Digits", "1"}},
		{"menu-callback", open, "/twilio/menu?n=0", []string{"Digits", "2"}},
		{"menu-invalid", open, "/twilio/menu?n=0", []string{"Digits", "7"}},
		{"menu-no-input", open, "/twilio/menu?n=0", nil},
		{"whisper", open, "/twilio/screen?g=scheduling", []string{"CallSid", "CAaaaa0123456789abcdef0123456789ab"}},
		{"whisper-declined", open, "/twilio/screen/answer?g=scheduling", []string{"CallSid", "CAaaaa0123456789abcdef0123456789ab", "Digits", "2"}},
		{"ring-no-answer", open, "/twilio/ring/result?g=scheduling&s=0", []string{"DialCallStatus", "no-answer"}},
		{"callback-keyed", open, "/twilio/callback/keyed?n=0&r=menu", []string{"Digits", "4255550199#"}},
		{"callback-consent", open, "/twilio/callback/consent?n=0&q=vm", []string{"Digits", "1"}},
		{"callback-message", open, "/twilio/callback/consent?n=0&q=name", []string{"Digits", "2"}},
		{"callback-done-closed", closed, "/twilio/callback/done", nil},
		{"extension-key", open, "/twilio/menu?n=0", []string{"Digits", "*"}},
		{"extension-unknown", open, "/twilio/extension?n=0", []string{"Digits", "555"}},
		{"ring-declined-in-whisper", open, "/twilio/ring/result?g=scheduling&rc=1&s=0", []string{"DialCallStatus", "completed", "DialBridged", "false", "DialCallDuration", "9"}},
		{"ring-connected", open, "/twilio/ring/result?g=scheduling&rc=1&s=0", []string{"DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "120"}},
		{"menu-silent-again-closed", closed, "/twilio/menu?n=1", nil},
		{"silent-after-routed-on", closed, "/twilio/callback/number?n=1&r=menu-retries&ro=1", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.h.step(tc.path, callForm(tc.form...))
			got := doc.Canonical(func(_, v string) string { return goldenURL(v) })
			file := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			// Compare by structure: parse the golden file too, so that only
			// what the document means can differ.
			wantDoc, err := simulate.ParseTwiML(want)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if diff := cmp.Diff(wantDoc.Canonical(nil), got); diff != "" {
				t.Errorf("%s differs (-golden +got); if the change is intended, run with -update:\n%s", file, diff)
			}
		})
	}
}
