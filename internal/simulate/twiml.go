package simulate

// This file parses TwiML documents into a tree that tests and the call
// simulator can walk. twilio-go writes attributes in random order, so TwiML
// is compared by structure, never as a string.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Node is one TwiML element.
type Node struct {
	Name  string
	Attrs map[string]string
	// Text is what the element says: its character data, trimmed, and for
	// a <Say> the text of the SSML elements inside it, in document order.
	Text string
	// Own is the character data directly inside the element alone: what
	// Canonical writes, beside the elements themselves.
	Own      string
	Children []*Node
}

// Parse reads a TwiML document whose root must be <Response>.
func ParseTwiML(doc []byte) (*Node, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*Node
	var root *Node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse twiml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &Node{Name: t.Name.Local, Attrs: map[string]string{}}
			for _, a := range t.Attr {
				n.Attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("parse twiml: more than one root element")
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				cur := stack[len(stack)-1]
				cur.Text = strings.TrimSpace(cur.Text + string(t))
				cur.Own = strings.TrimSpace(cur.Own + string(t))
				// SSML inside <Say> (<prosody>, <break>: lowercase names) is
				// said too: its text counts as the <Say>'s.
				if say := sayAbove(stack); say != nil && say != cur && strings.TrimSpace(string(t)) != "" {
					say.Text = strings.TrimSpace(say.Text + " " + strings.TrimSpace(string(t)))
				}
			}
		}
	}
	if root == nil || root.Name != "Response" {
		return nil, fmt.Errorf("parse twiml: root element is not <Response>")
	}
	return root, nil
}

// sayAbove is the innermost <Say> on the stack whose elements below it are
// all SSML (lowercase names), or nil.
func sayAbove(stack []*Node) *Node {
	for i := len(stack) - 1; i >= 0; i-- {
		n := stack[i]
		if n.Name == "Say" {
			return n
		}
		if n.Name == "" || n.Name[0] < 'a' || n.Name[0] > 'z' {
			return nil
		}
	}
	return nil
}

// All returns every descendant element named name, in document order.
func (n *Node) All(name string) []*Node {
	var out []*Node
	for _, c := range n.Children {
		if c.Name == name {
			out = append(out, c)
		}
		out = append(out, c.All(name)...)
	}
	return out
}

// First returns the first descendant named name, or nil.
func (n *Node) First(name string) *Node {
	if all := n.All(name); len(all) > 0 {
		return all[0]
	}
	return nil
}

// Said joins the text of every <Say> in the document, for assertions on what
// a caller hears.
func (n *Node) Said() string {
	var parts []string
	for _, s := range n.All("Say") {
		parts = append(parts, s.Text)
	}
	return strings.Join(parts, " ")
}

// Last returns the last top-level verb, or nil for an empty response.
func (n *Node) Last() *Node {
	if len(n.Children) == 0 {
		return nil
	}
	return n.Children[len(n.Children)-1]
}

// DeadEnd explains why the call would end in silence or a bare hangup after
// this document, or returns "" when it continues: its last verb must send the
// call on (Redirect, a Dial with an action, a Gather followed by a redirect)
// or end it after something was said.
func (n *Node) DeadEnd() string {
	last := n.Last()
	if last == nil {
		return "empty response: the call ends in silence"
	}
	switch last.Name {
	case "Redirect":
		return ""
	case "Dial":
		if last.Attrs["action"] == "" {
			return "<Dial> without an action: the call ends when nobody answers"
		}
		return ""
	case "Hangup":
		if len(n.Children) < 2 || n.Children[len(n.Children)-2].Name != "Say" {
			return "bare <Hangup> with nothing said before it"
		}
		return ""
	case "Gather":
		if last.Attrs["actionOnEmptyResult"] != "true" {
			return "<Gather> last without actionOnEmptyResult: no input ends the call"
		}
		return ""
	}
	return fmt.Sprintf("the call ends after <%s>", last.Name)
}

// Canonical writes the document as indented XML with each element's
// attributes sorted, so that two documents that mean the same compare equal
// (twilio-go writes attributes in random order). Golden files hold it.
// normalise, when not nil, rewrites each attribute value (named) and each
// element's text (named "#text") first, to blank out what changes from run
// to run, such as a sealed number.
func (n *Node) Canonical(normalise func(name, value string) string) string {
	var b strings.Builder
	n.canonical(&b, 0, normalise)
	return b.String()
}

func (n *Node) canonical(b *strings.Builder, depth int, normalise func(name, value string) string) {
	if normalise == nil {
		normalise = func(_, v string) string { return v }
	}
	indent := strings.Repeat("  ", depth)
	b.WriteString(indent + "<" + n.Name)
	names := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(b, " %s=\"%s\"", k, escapeXML(normalise(k, n.Attrs[k])))
	}
	text := escapeXML(normalise("#text", n.Own))
	switch {
	case len(n.Children) == 0 && text == "":
		b.WriteString("/>\n")
	case len(n.Children) == 0:
		fmt.Fprintf(b, ">%s</%s>\n", text, n.Name)
	default:
		b.WriteString(">\n")
		if text != "" {
			b.WriteString(indent + "  " + text + "\n")
		}
		for _, c := range n.Children {
			c.canonical(b, depth+1, normalise)
		}
		b.WriteString(indent + "</" + n.Name + ">\n")
	}
}

func escapeXML(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
