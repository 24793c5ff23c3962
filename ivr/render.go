package ivr

import (
	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/memo"
	"github.com/switchboard-clinic/switchboard/internal/twimldoc"
	"github.com/twilio/twilio-go/twiml"
)

// Speed, in one place: most documents of a call (the greeting, the menus,
// the information pages, the consent questions, a ring) depend only on the
// configuration and a few URL parameters, never on the caller, so each is
// rendered once and served again (docs); a ring's only caller-specific
// part, the caller ID, fills a slot. The steps say what a caller hears and
// ask memo for it by a docKey. Parsing a caller's number, the costliest
// thing a webhook does, is remembered the same way (numbers.go).

// docKey identifies a cached document: the step that makes it and
// everything the document depends on.
type docKey struct {
	step     string // "answer", "menu", "info", "consent", "ring"
	version  string // the configuration's
	lang     string // the line's language (the caller's choice)
	open     bool
	progress Progress
	n        int    // the step's try
	a, b, c  string // the step's own parameters: a prompt, a notice, a group...
}

// maxCachedDocs bounds the cache: old configuration versions leave
// documents behind, and a full cache starts again.
const maxCachedDocs = 4096

// newDocs is an empty document cache.
func newDocs() *memo.Memo[docKey, cachedDoc] { return memo.New[docKey, cachedDoc](maxCachedDocs) }

// cachedDoc is a rendered document, with the stage (stageOf) of the
// elements it was rendered from.
type cachedDoc struct {
	tmpl  twimldoc.Template
	stage calls.Stage
}

// preRendered is a document served from the cache, as the single element a
// step returns: document writes it as it is.
type preRendered struct {
	doc   []byte
	stage calls.Stage
}

func (preRendered) GetName() string                                 { return "" }
func (preRendered) GetText() string                                 { return "" }
func (preRendered) GetAttr() (map[string]string, map[string]string) { return nil, nil }
func (preRendered) GetInnerElements() []twiml.Element               { return nil }

// memo returns the document for k, building and rendering it once. With the
// cache off (tests of the builders) it returns the elements themselves.
func (f *Flow) memo(k docKey, build func() []twiml.Element) []twiml.Element {
	return f.memoFilled(k, "", build)
}

// memoFilled is memo for a document whose twimldoc.Slot, which build puts
// in it, takes value.
func (f *Flow) memoFilled(k docKey, value string, build func() []twiml.Element) []twiml.Element {
	if f.docs == nil {
		return build()
	}
	d := f.docs.Get(k, func() cachedDoc {
		els := build()
		return cachedDoc{tmpl: twimldoc.NewTemplate(twimldoc.Render(els)), stage: stageOf(els)}
	})
	return []twiml.Element{preRendered{doc: d.tmpl.Fill(value), stage: d.stage}}
}

// document is the TwiML a step's elements make.
func document(els []twiml.Element) []byte {
	if len(els) == 1 {
		if p, ok := els[0].(preRendered); ok {
			return p.doc
		}
	}
	return twimldoc.Render(els)
}
