package ivr

import (
	"bytes"
	"encoding/xml"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/twilio/twilio-go/twiml"
)

// render writes twilio-go TwiML elements as a document, like twiml.Voice,
// without building an etree first: that was a third of each webhook's CPU
// time. Attributes come out sorted, so documents are stable byte for byte.
// TestRenderMatchesTwilioGo checks that both agree on every document the
// flow produces.
func render(els []twiml.Element) []byte {
	if len(els) == 1 {
		if p, ok := els[0].(preRendered); ok {
			return p.doc
		}
	}
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	defer bufPool.Put(b)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response>`)
	for _, e := range els {
		writeElement(b, e)
	}
	b.WriteString(`</Response>`)
	return bytes.Clone(b.Bytes())
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func writeElement(b *bytes.Buffer, e twiml.Element) {
	name := e.GetName()
	if name == "" { // text between SSML elements
		escape(b, e.GetText(), false)
		return
	}
	b.WriteByte('<')
	b.WriteString(name)
	opt, params := e.GetAttr()
	keys := make([]string, 0, len(opt)+len(params))
	vals := make(map[string]string, len(opt)+len(params))
	for _, m := range []map[string]string{opt, params} {
		for k, v := range m {
			if v == "" {
				continue
			}
			k = attrName(k)
			if _, dup := vals[k]; !dup {
				keys = append(keys, k)
			}
			vals[k] = v
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(' ')
		b.WriteString(k)
		b.WriteString(`="`)
		escape(b, vals[k], true)
		b.WriteByte('"')
	}
	text, inner := e.GetText(), e.GetInnerElements()
	if text == "" && len(inner) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	escape(b, text, false)
	for _, c := range inner {
		writeElement(b, c)
	}
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// attrName is twilio-go's attribute naming: the field name with a lowercase
// first letter (ActionOnEmptyResult becomes actionOnEmptyResult).
func attrName(k string) string {
	if k == "" {
		return k
	}
	return strings.ToLower(k[:1]) + k[1:]
}

// escape writes s as XML text or attribute value; characters XML cannot
// hold become U+FFFD, as encoding/xml does. Runs of plain ASCII are copied
// at once.
func escape(b *bytes.Buffer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'' {
			i++
			continue
		}
		b.WriteString(s[last:i])
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"' && attr:
			b.WriteString("&quot;")
		case r == '\'' && attr:
			b.WriteString("&apos;")
		case (r == '\n' || r == '\r' || r == '\t') && attr:
			xml.EscapeText(b, []byte(s[i:i+size]))
		case r == utf8.RuneError && size == 1, !validXMLChar(r):
			b.WriteString("\uFFFD")
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
		last = i
	}
	b.WriteString(s[last:])
}

func validXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// preRendered is a whole document rendered once and served again: the
// greeting, the menus and the information pages depend only on the
// configuration version and a few URL parameters, never on the caller.
type preRendered struct {
	doc   []byte
	stage calls.Stage // stageOf the elements it was rendered from
}

func (preRendered) GetName() string                                 { return "" }
func (preRendered) GetText() string                                 { return "" }
func (preRendered) GetAttr() (map[string]string, map[string]string) { return nil, nil }
func (preRendered) GetInnerElements() []twiml.Element               { return nil }

// docCache holds pre-rendered documents; it is emptied when it grows past
// maxCachedDocs (old configuration versions leave entries behind).
type docCache struct {
	mu   sync.RWMutex
	docs map[string]preRendered
}

const maxCachedDocs = 4096

// memo returns the document for key, building and rendering it once. With
// the cache off (tests of the builders) it returns the elements themselves.
func (f *Flow) memo(key string, build func() []twiml.Element) []twiml.Element {
	if f.cache == nil {
		return build()
	}
	f.cache.mu.RLock()
	d, ok := f.cache.docs[key]
	f.cache.mu.RUnlock()
	if !ok {
		els := build()
		d = preRendered{doc: render(els), stage: stageOf(els)}
		f.cache.mu.Lock()
		if len(f.cache.docs) >= maxCachedDocs {
			f.cache.docs = map[string]preRendered{}
		}
		f.cache.docs[key] = d
		f.cache.mu.Unlock()
	}
	return []twiml.Element{d}
}
