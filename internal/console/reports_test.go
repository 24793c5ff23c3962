package console_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// clock is a test clock the test moves on.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// simCall posts one simulated call's webhooks, signed as Twilio signs
// them, through the real router.
type simCall struct {
	t    *testing.T
	s    *testserver.Server
	sid  string
	from string
}

func (c simCall) post(path string, kv ...string) {
	c.t.Helper()
	form := url.Values{"CallSid": {c.sid}, "AccountSid": {testserver.AccountSID}, "From": {c.from}, "To": {"+14258692644"}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	rec := c.s.Post(path, form, true)
	if rec.Code != http.StatusOK && rec.Code != http.StatusNoContent {
		c.t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
	}
}

// accept is the scheduler's press of 1 in the whisper, on their leg.
func (c simCall) accept() {
	c.t.Helper()
	form := url.Values{"CallSid": {"CA" + strings.Repeat("b", 30) + c.sid[32:]}, "ParentCallSid": {c.sid},
		"AccountSid": {testserver.AccountSID}, "From": {"+14258692644"}, "To": {"+14255550101"}, "Digits": {"1"}}
	if rec := c.s.Post("/twilio/screen/answer?g=scheduling", form, true); rec.Code != http.StatusOK {
		c.t.Fatalf("accept: %d", rec.Code)
	}
}

func (c simCall) end(seconds string) {
	c.t.Helper()
	c.post("/twilio/status", "CallStatus", "completed", "CallDuration", seconds)
}

// reportFixture makes simulated calls on Monday 30 November, and first
// call-backs that day and the next: five calls (one hangs up in the menu,
// one while the phones ring, two reach a person after 14 s and 30 s,
// one leaves a request), the two hang-ups become missed-call requests,
// one called back on Monday (on time), the other on Tuesday afternoon
// (late), and the request left is overdue by then. The clock ends on
// Tuesday 1 December, 16:00 in Seattle.
func reportFixture(t *testing.T) (*testserver.Server, *browser) {
	t.Helper()
	monday := testserver.MondayMorning // 10:00 in Seattle
	clk := &clock{t: monday}
	s := testserver.New(t, testserver.Options{Clock: clk.now})
	at := func(secs int) { clk.set(monday.Add(time.Duration(secs) * time.Second)) }
	call := func(n int, from string) simCall {
		return simCall{t: t, s: s, sid: "CA" + strings.Repeat("0", 31) + string(rune('0'+n)), from: from}
	}
	menu := call(1, "+12065550141")
	menu.post("/twilio/voice")
	at(20)
	menu.end("20")

	gone := call(2, "+12065550142")
	gone.post("/twilio/voice")
	gone.post("/twilio/menu?n=0", "Digits", "0")
	at(60)
	gone.end("60")

	for i, wait := range []int{14, 30} {
		c := call(3+i, "+1206555014"+string(rune('3'+i)))
		at(100)
		c.post("/twilio/voice")
		c.post("/twilio/menu?n=0", "Digits", "0")
		at(100 + wait)
		c.accept()
		at(400)
		c.post("/twilio/ring/result?g=scheduling&s=0", "DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "250")
		c.end("300")
	}

	req := call(5, "+12065550145")
	at(500)
	req.post("/twilio/voice")
	req.post("/twilio/menu?n=0", "Digits", "2")
	req.post("/twilio/callback/number?n=0&r=menu", "Digits", "1")
	req.end("90")
	s.WaitCalls()

	pending, _, err := s.Queue.List(t.Context(), callback.StatusPending, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	missed := map[string]*callback.Request{}
	for _, r := range pending {
		if r.Reason == callback.ReasonMissedCall {
			missed[r.CallSID] = r
		}
	}
	if len(pending) != 3 || len(missed) != 2 {
		t.Fatalf("pending: %d requests, %d missed calls; want 3 and 2", len(pending), len(missed))
	}
	ana := callback.Holder{ID: "ana-id", Name: "ana"}
	attempt := func(r *callback.Request) {
		t.Helper()
		if _, err := s.Queue.Claim(t.Context(), r.ID, ana); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Queue.CallPlaced(t.Context(), r.ID, ana, ""); err != nil {
			t.Fatal(err)
		}
	}
	at(3600) // 11:00 on Monday: on time
	attempt(missed[menu.sid])
	clk.set(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) // Tuesday 16:00 in Seattle: late
	attempt(missed[gone.sid])
	if err := s.App.Reports.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	tok := s.AddStaff("ana")
	if err := s.Staff.SetAdmin(t.Context(), "ana", true); err != nil {
		t.Fatal(err)
	}
	return s, signIn(t, s, "ana", tok)
}

// node helpers over the parsed page.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(doc *html.Node, id string) *html.Node {
	if ns := findAll(doc, func(n *html.Node) bool { return attr(n, "id") == id }); len(ns) == 1 {
		return ns[0]
	}
	return nil
}

// pageColumns are the column headers of the page's value tables in page
// order, each table's own "Day" first.
func pageColumns(t *testing.T, doc *html.Node) []string {
	t.Helper()
	var cols []string
	tables := findAll(doc, func(n *html.Node) bool {
		return n.Data == "table" && strings.Contains(attr(n, "class"), "report-table")
	})
	if len(tables) == 0 {
		t.Fatal("the page has no value tables")
	}
	for _, tb := range tables {
		ths := findAll(tb, func(n *html.Node) bool { return n.Data == "th" && attr(n, "scope") == "col" })
		if len(ths) < 2 || textOf(ths[0]) != "Day" {
			t.Errorf("table %s does not start with Day", attr(tb, "id"))
			continue
		}
		if len(findAll(tb, func(n *html.Node) bool { return n.Data == "caption" })) != 1 {
			t.Errorf("table %s has no caption", attr(tb, "id"))
		}
		if len(cols) == 0 {
			cols = append(cols, "Day")
		}
		for _, th := range ths[1:] {
			cols = append(cols, textOf(th))
		}
	}
	return cols
}

func TestReportsPageAndCSV(t *testing.T) {
	t.Parallel()
	_, ana := reportFixture(t)
	rec := ana.do(http.MethodGet, "/staff/reports?days=7", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("reports: %d %s", rec.Code, rec.Body)
	}
	doc, err := html.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("summary figures", func(t *testing.T) {
		for id, want := range map[string]string{
			"sum-calls":     "5 calls",
			"sum-helped":    "60% got help 3 of 5 calls",
			"sum-abandoned": "2 gave up",
			"sum-toperson":  "22 s median time to a person 9 in 10 within 30 s",
			"sum-ontime":    "50% call-backs on time 1 of 2; missed calls 1 of 2",
			"overdue-now":   "1 overdue now",
		} {
			n := byID(doc, id)
			if n == nil {
				t.Errorf("no #%s", id)
				continue
			}
			if got := textOf(n); !strings.HasPrefix(got, want) {
				t.Errorf("#%s = %q, want it to start %q", id, got, want)
			}
		}
	})

	t.Run("headings and charts", func(t *testing.T) {
		var levels []string
		for _, h := range findAll(doc, func(n *html.Node) bool {
			return len(n.Data) == 2 && n.Data[0] == 'h' && n.Data[1] >= '1' && n.Data[1] <= '6'
		}) {
			levels = append(levels, h.Data)
		}
		if len(levels) == 0 || levels[0] != "h1" || slices.Index(levels[1:], "h1") >= 0 {
			t.Errorf("headings %v: want one h1, first", levels)
		}
		for i := 1; i < len(levels); i++ {
			if levels[i][1] > levels[i-1][1]+1 {
				t.Errorf("headings skip a level: %v", levels)
			}
		}
		charts := findAll(doc, func(n *html.Node) bool { return strings.Contains(attr(n, "class"), "rchart") })
		if len(charts) == 0 || len(charts) >= 8 {
			t.Errorf("%d charts, want fewer than eight", len(charts))
		}
		for _, c := range charts {
			if attr(c, "aria-hidden") != "true" {
				t.Errorf("a chart is not hidden from screen readers (its table carries the values)")
			}
		}
		calls := byID(doc, "report-calls")
		if calls == nil {
			t.Fatal("no calls chart")
		}
		// Wed 25 Nov to Sun 29 Nov and Tue 1 Dec had no calls: drawn as zero.
		if zeros := findAll(calls, func(n *html.Node) bool { return n.Data == "rect" && attr(n, "class") == "zero" }); len(zeros) != 6 {
			t.Errorf("%d zero days drawn in the calls chart, want 6", len(zeros))
		}
		labels := textOf(findAll(calls, func(n *html.Node) bool { return attr(n, "class") == "xlabels" })[0])
		if labels != "Wed 25 Nov Thu 26 Nov Fri 27 Nov Sat 28 Nov Sun 29 Nov Mon 30 Nov Tue 1 Dec" {
			t.Errorf("day labels: %q", labels)
		}
	})

	// The CSV's header is the page's table headers, word for word and in
	// order; its rows are the tables' values.
	csvRec := ana.do(http.MethodGet, "/staff/reports.csv?days=7", nil)
	if csvRec.Code != http.StatusOK || !strings.HasPrefix(csvRec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", csvRec.Code, csvRec.Header().Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(csvRec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cols := pageColumns(t, doc)
	if !slices.Equal(rows[0], cols) {
		t.Errorf("CSV header and page headers differ:\n csv: %q\npage: %q", rows[0], cols)
	}
	for _, want := range []string{"Overdue now", "Median seconds to a person", "90th percentile seconds to a person",
		"Missed calls called back on time", "Gave up while phones rang"} {
		if !slices.Contains(rows[0], want) {
			t.Errorf("the CSV lacks %q", want)
		}
	}
	if len(rows) != 8 {
		t.Fatalf("%d CSV rows, want a header and 7 days", len(rows))
	}
	value := func(date, col string) string {
		i := slices.Index(rows[0], col)
		for _, r := range rows[1:] {
			if r[0] == date && i >= 0 {
				return r[i]
			}
		}
		return "?"
	}
	for _, c := range []struct{ date, col, want string }{
		{"2026-11-30", "Calls", "5"},
		{"2026-11-30", "Reached a person", "2"},
		{"2026-11-30", "Left a request", "1"},
		{"2026-11-30", "Gave up", "2"},
		{"2026-11-30", "Gave up in the menu", "1"},
		{"2026-11-30", "Gave up while phones rang", "1"},
		{"2026-11-30", "Answered by a person", "2"},
		{"2026-11-30", "Median seconds to a person", "22"},
		{"2026-11-30", "90th percentile seconds to a person", "30"},
		{"2026-11-30", "Missed calls called back on time", "1"},
		{"2026-11-30", "Missed calls called back late", "0"},
		{"2026-12-01", "Missed calls called back late", "1"},
		{"2026-12-01", "Calls", "0"},
		{"2026-12-01", "Overdue now", "1"},
		{"2026-11-30", "Overdue now", ""},
		{"2026-11-29", "Median seconds to a person", ""},
	} {
		if got := value(c.date, c.col); got != c.want {
			t.Errorf("CSV %s %q = %q, want %q", c.date, c.col, got, c.want)
		}
	}
}

// TestReportsByLanguage: the language filter keeps the same columns (so
// the CSV still matches), counts only that language's calls, and refuses
// a language the line does not speak.
func TestReportsByLanguage(t *testing.T) {
	t.Parallel()
	_, ana := reportFixture(t)
	rec := ana.do(http.MethodGet, "/staff/reports?days=30&lang=es", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("reports in Spanish: %d", rec.Code)
	}
	doc, err := html.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := textOf(byID(doc, "sum-calls")); !strings.HasPrefix(got, "0 calls") {
		t.Errorf("Spanish calls: %q, want none", got)
	}
	csvRec := ana.do(http.MethodGet, "/staff/reports.csv?days=30&lang=es", nil)
	rows, err := csv.NewReader(strings.NewReader(csvRec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], pageColumns(t, doc)) || len(rows) != 31 {
		t.Errorf("the Spanish CSV does not match its page: %q, %d rows", rows[0], len(rows))
	}
	if rec := ana.do(http.MethodGet, "/staff/reports?lang=fr", nil); rec.Code != http.StatusBadRequest {
		t.Errorf("an unknown language: %d, want 400", rec.Code)
	}
}
