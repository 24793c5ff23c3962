package twilioapi_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/faketwilio"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/twilioapi"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "0123456789abcdef0123456789abcdef"
)

func TestCallBackRequestShape(t *testing.T) {
	t.Parallel()
	fake := faketwilio.Start(t, sid, token)
	c, err := twilioapi.New(sid, token, fake.HTTPClient(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	callSID, err := c.CallBack("+14255550111", "+12065550142", "+14258692644")
	if err != nil || !strings.HasPrefix(callSID, "CA") {
		t.Fatalf("CallBack = %q, %v", callSID, err)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/2010-04-01/Accounts/"+sid+"/Calls.json" {
		t.Fatalf("requests = %+v", reqs)
	}
	f := reqs[0].Form
	if f.Get("To") != "+14255550111" || f.Get("From") != "+14258692644" {
		t.Errorf("To/From = %s/%s", f.Get("To"), f.Get("From"))
	}
	doc, err := simulate.ParseTwiML([]byte(f.Get("Twiml")))
	if err != nil {
		t.Fatalf("inline TwiML: %v", err)
	}
	d := doc.First("Dial")
	if d == nil || d.Attrs["callerId"] != "+14258692644" || d.First("Number").Text != "+12065550142" {
		t.Errorf("inline TwiML dials %+v", d)
	}
}

func TestTwilioErrorsAreReadable(t *testing.T) {
	t.Parallel()
	fake := faketwilio.Start(t, sid, token)
	c, _ := twilioapi.New(sid, token, fake.HTTPClient(5*time.Second))
	fake.Fail(21215)
	_, err := c.CallBack("+14255550111", "+12065550142", "+14258692644")
	var te *twilioapi.Error
	if !errors.As(err, &te) || te.Code != 21215 || !strings.Contains(err.Error(), "21215") {
		t.Errorf("error = %v", err)
	}
	bad, _ := twilioapi.New(sid, "wrongtoken0123456789abcdef012345", fake.HTTPClient(5*time.Second))
	fake.Fail(0)
	if err := bad.SendSMS("+14255550111", "+14258692644", "hi"); !errors.As(err, &te) || te.Code != 20003 {
		t.Errorf("bad credentials: %v", err)
	}
}

func TestSlowTwilioTimesOut(t *testing.T) {
	t.Parallel()
	fake := faketwilio.Start(t, sid, token)
	fake.Delay(2 * time.Second)
	c, _ := twilioapi.New(sid, token, fake.HTTPClient(200*time.Millisecond))
	start := time.Now()
	_, err := c.CallBack("+14255550111", "+12065550142", "+14258692644")
	if err == nil || !strings.Contains(err.Error(), "could not be reached") {
		t.Errorf("slow Twilio: %v", err)
	}
	if time.Since(start) > 1500*time.Millisecond {
		t.Errorf("the call waited %v, beyond its timeout", time.Since(start))
	}
}

// TestRecordingsOnlyBySID: a recording is fetched and deleted by its SID,
// in this account's URL; a SID not of Twilio's form ("RE" and 32 hex
// digits, so no path tricks) is refused before anything is sent.
func TestRecordingsOnlyBySID(t *testing.T) {
	t.Parallel()
	fake := faketwilio.Start(t, sid, token)
	c, _ := twilioapi.New(sid, token, fake.HTTPClient(5*time.Second))
	const re = "RE0123456789abcdef0123456789abcdef"
	rec, err := c.FetchRecording(t.Context(), re, "")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rec.Body)
	rec.Body.Close()
	if string(got) != string(fake.Audio()) || rec.ContentType != "audio/mpeg" || rec.Status != 200 {
		t.Errorf("recording = %q %+v", got, rec)
	}
	if r := fake.Requests(); r[len(r)-1].Path != "/2010-04-01/Accounts/"+sid+"/Recordings/"+re+".mp3" {
		t.Errorf("fetched %s", r[len(r)-1].Path)
	}
	part, err := c.FetchRecording(t.Context(), re, "bytes=3-")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(part.Body)
	part.Body.Close()
	if part.Status != 206 || string(got) != string(fake.Audio()[3:]) || part.ContentRange == "" {
		t.Errorf("range = %d %q %q", part.Status, got, part.ContentRange)
	}
	before := len(fake.Requests())
	for _, bad := range []string{"RE1/../../Calls/CA0123456789abcdef0123456789abcdef", "RE123", "CA0123456789abcdef0123456789abcdef", "RE0123456789ABCDEF0123456789ABCDEF", ""} {
		if _, err := c.FetchRecording(t.Context(), bad, ""); err == nil {
			t.Errorf("fetched %q", bad)
		}
		if err := c.DeleteRecording(bad); err == nil {
			t.Errorf("deleted %q", bad)
		}
	}
	if n := len(fake.Requests()); n != before {
		t.Errorf("%d requests reached Twilio for malformed SIDs", n-before)
	}
	if err := c.DeleteRecording(re); err != nil {
		t.Errorf("delete: %v", err)
	}
}

func TestNotifierSendsNoClientDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		urgent        bool
		want, notWant string
	}{
		{"usual", false, "a new callback request is waiting", "URGENT"},
		{"urgent", true, "URGENT callback request: the caller may be in crisis", "a new callback request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := faketwilio.Start(t, sid, token)
			c, _ := twilioapi.New(sid, token, fake.HTTPClient(5*time.Second))
			n, err := twilioapi.NewNotifier(c, "+14258692644", []string{"+14255550111", "+14255550112"}, "Evergreen Psychotherapy", slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			n.NewRequest(tt.urgent)
			reqs := fake.Requests()
			if len(reqs) != 2 {
				t.Fatalf("%d messages, want 2", len(reqs))
			}
			for i, r := range reqs {
				body := r.Form.Get("Body")
				if r.Form.Get("From") != "+14258692644" || r.Form.Get("To") != []string{"+14255550111", "+14255550112"}[i] ||
					!strings.HasPrefix(body, "Evergreen Psychotherapy: ") || !strings.Contains(body, tt.want) ||
					strings.Contains(body, tt.notWant) || strings.ContainsAny(body, "0123456789") {
					t.Errorf("message %d = %v", i, r.Form)
				}
			}
		})
	}
}
