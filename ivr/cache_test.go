package ivr

import (
	"bytes"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/internal/twimldoc"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

func TestCachePageIsBuiltOncePerKey(t *testing.T) {
	t.Parallel()
	m := newCache(true)
	builds := 0
	build := func() []twiml.Element {
		builds++
		return []twiml.Element{&twiml.VoiceSay{Message: "hello"}, &twiml.VoiceHangup{}}
	}
	line := &routing.Line{Version: "v1", LanguageCode: "en"}
	open := Call{Line: line, Open: true}
	first := m.page(open, pageID{step: "menu"}, build)
	again := m.page(open, pageID{step: "menu"}, build)
	if builds != 1 {
		t.Fatalf("built %d times for one key, want 1", builds)
	}
	want := twimldoc.Render(build())
	builds--
	for _, r := range []Reply{first, again} {
		if got := r.Render(); !bytes.Equal(got, want) {
			t.Errorf("Render() = %s, want %s", got, want)
		}
		if r.Elements() != nil {
			t.Error("a cached page has elements")
		}
		if got := r.Stage(); got != calls.StageEnded {
			t.Errorf("Stage() = %q, want %q", got, calls.StageEnded)
		}
	}
	// Everything a page depends on is in its key.
	closed := open
	closed.Open = false
	es := open
	es.Line = &routing.Line{Version: "v1", LanguageCode: "es"}
	rung := open
	rung.Progress.Rings = 1
	v2 := open
	v2.Line = &routing.Line{Version: "v2", LanguageCode: "en"}
	for name, k := range map[string]struct {
		c  Call
		id pageID
	}{
		"closed": {closed, pageID{step: "menu"}}, "language": {es, pageID{step: "menu"}}, "progress": {rung, pageID{step: "menu"}},
		"version": {v2, pageID{step: "menu"}}, "step": {open, pageID{step: "info"}}, "try": {open, pageID{step: "menu", n: 1}},
		"param a": {open, pageID{step: "menu", a: "x"}}, "param b": {open, pageID{step: "menu", b: "x"}}, "param c": {open, pageID{step: "menu", c: "x"}},
	} {
		before := builds
		m.page(k.c, k.id, build)
		if builds != before+1 {
			t.Errorf("%s: served another key's page", name)
		}
	}
}

func TestCachePageWithFillsTheSlot(t *testing.T) {
	t.Parallel()
	m := newCache(true)
	var slots []string
	build := func(slot string) []twiml.Element {
		slots = append(slots, slot)
		return []twiml.Element{&twiml.VoiceDial{CallerId: slot, Action: "https://x/ring"}}
	}
	c := Call{Line: &routing.Line{Version: "v1"}, Open: true}
	for _, value := range []string{"+12065550142", "+14258692644", `a&"b`} {
		got := m.pageWith(c, pageID{step: "ring"}, value, build).Render()
		want := twimldoc.Render([]twiml.Element{&twiml.VoiceDial{CallerId: value, Action: "https://x/ring"}})
		if !bytes.Equal(got, want) {
			t.Errorf("pageWith(%q) = %s, want %s", value, got, want)
		}
	}
	if len(slots) != 1 || slots[0] != twimldoc.Slot {
		t.Errorf("built with %q, want once with the slot", slots)
	}
}

func TestCacheOffBuildsEveryTime(t *testing.T) {
	t.Parallel()
	m := newCache(false)
	builds := 0
	el := &twiml.VoiceDial{CallerId: "+12065550142"}
	c := Call{Line: &routing.Line{}}
	for range 2 {
		r := m.page(c, pageID{step: "menu"}, func() []twiml.Element { builds++; return []twiml.Element{el} })
		if len(r.Elements()) != 1 || r.Elements()[0] != el {
			t.Errorf("Elements() = %v, want the built element", r.Elements())
		}
		r = m.pageWith(c, pageID{step: "ring"}, "+12065550142", func(slot string) []twiml.Element {
			builds++
			return []twiml.Element{&twiml.VoiceDial{CallerId: slot}}
		})
		if d := r.Elements()[0].(*twiml.VoiceDial); d.CallerId != "+12065550142" {
			t.Errorf("built with caller ID %q, want the value itself", d.CallerId)
		}
		if r.Stage() != calls.StageRing {
			t.Errorf("Stage() = %q, want %q", r.Stage(), calls.StageRing)
		}
	}
	if builds != 4 {
		t.Errorf("built %d times, want 4", builds)
	}
}

func TestCacheNumbersAreParsedAsPhoneParsesThem(t *testing.T) {
	t.Parallel()
	m := newCache(true)
	for _, from := range []string{"+12065550142", "2065550142", "anonymous", "+442079460000", "", "+1206555014"} {
		for range 2 { // the second time from the memo
			n, ok := m.caller(from)
			wn, wok := phone.Caller(from)
			if n != wn || ok != wok {
				t.Errorf("caller(%q) = %q, %v, want %q, %v", from, n, ok, wn, wok)
			}
			n, ok = m.callback(from)
			wn, wok = callbackNumber(from)
			if n != wn || ok != wok {
				t.Errorf("callback(%q) = %q, %v, want %q, %v", from, n, ok, wn, wok)
			}
			if got, want := m.region(from), phone.Region(from); got != want {
				t.Errorf("region(%q) = %q, want %q", from, got, want)
			}
		}
	}
}

// BenchmarkCachedPage is the cached path of the steps: a page served from
// the cache, and a ring page with the caller ID filled.
func BenchmarkCachedPage(b *testing.B) {
	m := newCache(true)
	c := Call{Line: &routing.Line{Version: "v1", LanguageCode: "en"}, Open: true}
	els := []twiml.Element{&twiml.VoiceSay{Message: "hello"}, &twiml.VoiceHangup{}}
	b.Run("page", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = m.page(c, pageID{step: "menu", a: "x"}, func() []twiml.Element { return els }).Render()
		}
	})
	b.Run("pageWith", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = m.pageWith(c, pageID{step: "ring"}, "+12065550142", func(slot string) []twiml.Element {
				return []twiml.Element{&twiml.VoiceDial{CallerId: slot}}
			}).Render()
		}
	})
}
