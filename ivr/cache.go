package ivr

import (
	"strings"

	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/memo"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/internal/twimldoc"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// Speed, in one place. Most pages of a call (the greeting, the menus, the
// information pages, the consent questions, a ring, the callback offer, the
// whisper to the scheduler) depend only on the configuration, the call's
// progress and a few parameters of the step, never on the caller: each is
// rendered once and served again. A page's one caller-specific value (a
// ring's caller ID, the last four digits of the number a callback offer
// reads) fills a slot of its rendered page.
// Parsing a caller's number, the costliest thing a webhook does, is
// remembered the same way. The steps say what the caller hears; this file
// decides how often it is built.

// Reply is what a step answers: the TwiML elements it built, or a page the
// cache rendered before. Handler renders it; tests of the builders (with
// the cache off) inspect Elements.
type Reply struct {
	els   []twiml.Element
	doc   []byte      // the rendered page; nil for built elements
	stage calls.Stage // the stage the rendered page leaves the caller in
	// did is what the step did that the call's record keeps (a request
	// created, an extension dialled): track writes it in the step's one
	// mark.
	did calls.Mark
}

// reply is the Reply of elements built for this request.
func reply(els ...twiml.Element) Reply { return Reply{els: els} }

// Elements are the TwiML elements of a reply that was built for this
// request, nil for a page served from the cache.
func (r Reply) Elements() []twiml.Element { return r.els }

// Render is the reply's TwiML document.
func (r Reply) Render() []byte {
	if r.doc != nil {
		return r.doc
	}
	return twimldoc.Render(r.els)
}

// Stage is where the reply leaves the caller (stageOf).
func (r Reply) Stage() calls.Stage {
	if r.doc != nil {
		return r.stage
	}
	return stageOf(r.els)
}

// pageID names a cached page within a call's configuration, language,
// hours and progress: the step that makes it and the step's own
// parameters (a try, a prompt, a notice, a group...).
type pageID struct {
	step    string // "answer", "menu", "info", "consent", "ring", "offer", "whisper"
	n       int
	a, b, c string
}

// pageKey is everything a cached page depends on.
type pageKey struct {
	pageID
	version  string // the configuration's
	lang     string // the line's language (the caller's choice)
	open     bool
	progress Progress
}

// renderedPage is a page rendered once, with the stage of its elements.
type renderedPage struct {
	tmpl  twimldoc.Template
	stage calls.Stage
}

// parsedNumber is a number as a parse left it.
type parsedNumber struct {
	n  string
	ok bool
}

// Bounds of the cache: old configuration versions leave pages behind and
// callers come and go; a full memo starts again.
const (
	maxCachedPages   = 4096
	maxCachedNumbers = 8192
)

// cache remembers rendered pages and parsed numbers. The zero value is not
// usable; newCache makes one.
type cache struct {
	pages          *memo.Memo[pageKey, renderedPage] // nil: every page is built anew
	callers, backs *memo.Memo[string, parsedNumber]
	regions        *memo.Memo[string, string]
}

// newCache returns an empty cache; without pages every page is built anew
// (for tests that inspect the elements a step builds).
func newCache(pages bool) *cache {
	m := &cache{
		callers: memo.New[string, parsedNumber](maxCachedNumbers),
		backs:   memo.New[string, parsedNumber](maxCachedNumbers),
		regions: memo.New[string, string](maxCachedNumbers),
	}
	if pages {
		m.pages = memo.New[pageKey, renderedPage](maxCachedPages)
	}
	return m
}

// page is the page id for call c, built and rendered once.
func (m *cache) page(c Call, id pageID, build func() []twiml.Element) Reply {
	if m.pages == nil {
		return reply(build()...)
	}
	p := m.pages.Get(keyOf(c, id), func() renderedPage { return render(build()) })
	return Reply{doc: p.tmpl.Fill(""), stage: p.stage}
}

// pageWith is page for a page that is the same for every caller but for
// one value: build is given where it goes (slot), and the rendered page is
// served with value there, escaped.
func (m *cache) pageWith(c Call, id pageID, value string, build func(slot string) []twiml.Element) Reply {
	if m.pages == nil {
		return reply(build(value)...)
	}
	p := m.pages.Get(keyOf(c, id), func() renderedPage { return render(build(twimldoc.Slot)) })
	return Reply{doc: p.tmpl.Fill(value), stage: p.stage}
}

func keyOf(c Call, id pageID) pageKey {
	k := pageKey{pageID: id, open: c.Open, progress: c.Progress}
	if c.Line != nil {
		k.version, k.lang = c.Line.Version, c.Line.LanguageCode
	}
	return k
}

func render(els []twiml.Element) renderedPage {
	return renderedPage{tmpl: twimldoc.NewTemplate(twimldoc.Render(els)), stage: stageOf(els)}
}

// caller is phone.Caller, remembered.
func (m *cache) caller(from string) (string, bool) {
	p := m.callers.Get(from, func() parsedNumber { n, ok := phone.Caller(from); return parsedNumber{n, ok} })
	return p.n, p.ok
}

// region is phone.Region, remembered.
func (m *cache) region(e164 string) string {
	return m.regions.Get(e164, func() string { return phone.Region(e164) })
}

// callback is callbackNumber, remembered.
func (m *cache) callback(from string) (string, bool) {
	p := m.backs.Get(from, func() parsedNumber { n, ok := callbackNumber(from); return parsedNumber{n, ok} })
	return p.n, p.ok
}

// memberKey identifies the members rung, for cache keys: who is on duty
// changes the document. Every member of the configuration ("") is the
// usual case.
func memberKey(all, g routing.Group) string {
	if len(g.Members) == len(all.Members) {
		return ""
	}
	var b strings.Builder
	for _, m := range g.Members {
		b.WriteString(m.Address + "\x00")
	}
	return b.String()
}

// sayKey is the text of a preamble of <Say> elements, for a cache key, and
// false for anything else.
func sayKey(els []twiml.Element) (string, bool) {
	var b strings.Builder
	for _, e := range els {
		s, ok := e.(*twiml.VoiceSay)
		if !ok {
			return "", false
		}
		b.WriteString(s.Message + "\x00")
		for _, in := range s.InnerElements {
			b.WriteString(in.GetName() + "\x00" + in.GetText() + "\x00")
		}
	}
	return b.String(), true
}
