package ivr

import (
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/twimldoc"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// TestRenderMatchesTwilioGo renders every kind of document the flow makes,
// and hostile text, with render and with twiml.Voice, and compares them as
// XML trees (twilio-go's attribute order is random, so not as strings).
func TestRenderMatchesTwilioGo(t *testing.T) {
	t.Parallel()
	line, err := config.LoadFile("")
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Deps{Line: func(string) *routing.Line { return line }, BaseURL: "https://phone.example.org",
		Now: time.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.cache = newCache(false) // compare the elements, not cached documents
	ctx := t.Context()
	call := func(open bool, q string, kv ...string) Call {
		form := url.Values{"CallSid": {"CA1"}, "From": {"+12065550142"}}
		for i := 0; i+1 < len(kv); i += 2 {
			form.Set(kv[i], kv[i+1])
		}
		query, _ := url.ParseQuery(q)
		return Call{Sid: "CA1", From: "+12065550142", Digits: form.Get("Digits"), Speech: form.Get("SpeechResult"),
			Line: line, Open: open, Query: query, Form: form, Now: time.Now()}
	}
	var docs [][]twiml.Element
	add := func(r Reply, err error) {
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, r.Elements())
	}
	for _, open := range []bool{true, false} {
		add(f.Answer(ctx, call(open, "")))
		for _, d := range []string{"", "0", "1", "2", "7", "9", "100", "201", "555"} {
			add(f.MenuChoice(ctx, call(open, "n=1", "Digits", d)))
			add(f.InfoChoice(ctx, call(open, "id=groups&n=0", "Digits", d)))
		}
		add(f.MenuChoice(ctx, call(open, "n=0", "SpeechResult", `scheduling <Say>&"'`)))
		add(f.RingResult(ctx, call(open, "g=scheduling&s=0", "DialCallStatus", "no-answer")))
		add(f.RingResult(ctx, call(open, "g=scheduling&s=0", "DialCallStatus", "completed", "DialCallDuration", "30")))
		add(f.Screen(ctx, call(open, "g=scheduling")))
		add(f.ScreenAnswer(ctx, call(open, "", "Digits", "1")))
		add(f.ScreenAnswer(ctx, call(open, "", "Digits", "")))
	}
	hostile := "Tom & Jerry <script>alert('x')</script> \"quoted\" \x00\x01\x1f bad\xff utf8 ünïcödé 日本 \U0001F600 tab\tnew\nline"
	add(reply(
		&twiml.VoiceSay{Message: hostile, Voice: hostile, Language: "en-US"},
		&twiml.VoiceGather{Action: "https://x/?a=1&b=" + hostile, Hints: hostile, InnerElements: []twiml.Element{&twiml.VoicePlay{Url: "https://x/a b"}}},
		&twiml.VoiceDial{OptionalAttributes: map[string]string{"ringTone": "us"}, InnerElements: []twiml.Element{&twiml.VoiceNumber{PhoneNumber: "+1"}, &twiml.VoiceClient{Identity: "desk"}}},
		&twiml.VoiceHangup{},
	), nil)
	for i, els := range docs {
		want, err := twiml.Voice(els)
		if err != nil {
			t.Fatal(err)
		}
		wantDoc, err := simulate.ParseTwiML([]byte(want))
		if err != nil {
			t.Fatalf("doc %d: twilio-go wrote invalid XML: %v", i, err)
		}
		gotDoc, err := simulate.ParseTwiML(twimldoc.Render(els))
		if err != nil {
			t.Fatalf("doc %d: render wrote invalid XML: %v\n%s", i, err, twimldoc.Render(els))
		}
		if diff := cmp.Diff(wantDoc, gotDoc); diff != "" {
			t.Errorf("doc %d differs (-twilio-go +render):\n%s", i, diff)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	line, _ := config.LoadFile("")
	f, _ := New(Deps{Line: func(string) *routing.Line { return line }, BaseURL: "https://phone.example.org", Now: time.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.cache = newCache(false)
	r, _ := f.Answer(b.Context(), Call{Line: line, Open: true, Now: time.Now()})
	els := r.Elements()
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			twimldoc.Render(els)
		}
	})
	b.Run("twilio-go", func(b *testing.B) {
		for b.Loop() {
			_, _ = twiml.Voice(els)
		}
	})
}
