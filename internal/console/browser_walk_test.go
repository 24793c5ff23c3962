package console_test

import (
	"context"
	_ "embed"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// axeSource is axe-core (MPL-2.0, see testdata/README.md), injected into
// each page. DevTools' Runtime.evaluate is not bound by the page's
// Content-Security-Policy, so the console's CSP stays as it is.
//
//go:embed testdata/axe.min.js
var axeSource string

// pageCheck is what the walk checks on every page: axe-core's violations
// and, on a phone, whether the page scrolls sideways.
type pageCheck struct {
	Violations []struct {
		ID     string   `json:"id"`
		Impact string   `json:"impact"`
		Nodes  []string `json:"nodes"`
	} `json:"violations"`
	ScrollWidth int `json:"scrollWidth"`
	InnerWidth  int `json:"innerWidth"`
	H1          int `json:"h1"`
}

const checkScript = `(async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return {
    violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))})),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    h1: document.querySelectorAll("h1").length,
  };
})()`

// walker is one person at one width, walking the console.
type walker struct {
	t     *testing.T
	ctx   context.Context
	base  string
	who   string
	width int
}

// check runs axe-core and the overflow and h1 checks on the page shown.
func (w *walker) check(page string) {
	w.t.Helper()
	if _, err := chromedp.Run(w.ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
		w.t.Fatalf("%s at %d px, %s: load axe: %v", w.who, w.width, page, err)
	}
	got, err := chromedp.Run(w.ctx, chromedp.Evaluate[pageCheck](checkScript, chromedp.EvalAwaitPromise))
	if err != nil {
		w.t.Fatalf("%s at %d px, %s: axe: %v", w.who, w.width, page, err)
	}
	fail := w.t.Errorf
	for _, v := range got.Violations {
		fail("%s at %d px, %s: axe %s (%s) on %v", w.who, w.width, page, v.ID, v.Impact, v.Nodes)
	}
	if got.ScrollWidth > got.InnerWidth {
		fail("%s at %d px, %s: the page is %d px wide and scrolls sideways", w.who, w.width, page, got.ScrollWidth)
	}
	if got.H1 != 1 {
		fail("%s at %d px, %s: %d h1 elements, want one", w.who, w.width, page, got.H1)
	}
	if dir := os.Getenv("ARTIFACTS_DIR"); dir != "" && w.width < 600 { // the phone's pages; CI keeps them
		if shot, err := chromedp.Run(w.ctx, chromedp.FullScreenshot(100)); err == nil {
			name := fmt.Sprintf("walk-%s-%d-%s.png", w.who, w.width, strings.ReplaceAll(page, " ", "-"))
			_ = os.WriteFile(filepath.Join(dir, name), shot, 0o644)
		}
	}
}

// open navigates to path and waits for its h1.
func (w *walker) open(path string) {
	w.t.Helper()
	if err := chromedp.Do(w.ctx, chromedp.Navigate(w.base+path), chromedp.WaitReady(chromedp.CSS("h1"))); err != nil {
		w.t.Fatalf("%s opens %s: %v", w.who, path, err)
	}
}

// focused is the id of the element that has the focus.
func (w *walker) focused() string {
	w.t.Helper()
	id, err := chromedp.Run(w.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// TestBrowserWalkAtBothWidths walks the console as a scheduler and as an
// admin, on a desktop (1280 px) and a phone (390 px): sign-in, queue,
// request, reveal, outcome, done, duty, reports and the error pages. On
// every page axe-core finds no violation, there is one h1, and nothing
// scrolls sideways; after each action the focus is on its confirmation.
// Then every scheduler is switched away and every page warns.
func TestBrowserWalkAtBothWidths(t *testing.T) {
	testprog.Slow(t, "a browser walk at two widths")
	exe := chromium(t)
	s := testserver.New(t, testserver.Options{PlainHTTP: true})
	web := httptest.NewServer(s.HTTP)
	t.Cleanup(web.Close)
	tokens := map[string]string{"ben": s.AddStaff("ben"), "ada": s.AddStaff("ada")}
	if err := s.Staff.SetPhone(t.Context(), "ben", "+14255550102"); err != nil {
		t.Fatal(err)
	}
	if err := s.Staff.SetPhone(t.Context(), "ada", "+14255550190"); err != nil {
		t.Fatal(err)
	}
	if err := s.Staff.SetAdmin(t.Context(), "ada", true); err != nil {
		t.Fatal(err)
	}
	at := testserver.MondayMorning.Add(-90 * time.Minute)
	create := func(sid, number string, reason callback.Reason, at time.Time) string {
		return s.Record(t, callback.Capture{CallSID: sid, CallerNumber: number, CallbackNumber: number, Reason: reason, At: at})
	}
	create("CAwalkcrisis", "+12065550100", callback.ReasonCrisis, at)
	create("CAwalkmissed", "+12065550101", callback.ReasonMissedCall, at)
	// One request for each walk to work, and one a colleague holds.
	work := map[string]string{}
	for i, key := range []string{"ben-1280", "ben-390", "ada-1280", "ada-390"} {
		work[key] = create(fmt.Sprintf("CAwalk%d", i), fmt.Sprintf("+1206555017%d", i), callback.ReasonMenu, at.Add(time.Duration(i+1)*time.Minute))
	}
	if _, err := s.Queue.Claim(t.Context(), create("CAwalkheld", "+12065550188", callback.ReasonMenu, at), callback.Holder{ID: "carl-id", Name: "carl", Created: at}); err != nil {
		t.Fatal(err)
	}

	// About a minute on an idle 2-core machine; the bound only stops a hang
	// (a busy machine running other suites may take twice as long).
	browser := startBrowser(t, exe, 4*time.Minute)
	for _, who := range []string{"ben", "ada"} {
		for _, width := range []int{1280, 390} {
			ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
			w := &walker{t: t, ctx: ctx, base: web.URL, who: who, width: width}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 900)); err != nil {
				t.Fatal(err)
			}
			w.open("/staff/signin")
			w.check("sign-in")
			if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("name"), who), chromedp.SetValue(chromedp.ID("secret"), tokens[who]),
				chromedp.Submit(chromedp.ID("secret")), chromedp.WaitVisible(chromedp.ID("count-pending"))); err != nil {
				t.Fatalf("%s signs in: %v", who, err)
			}
			w.check("queue")
			id := work[fmt.Sprintf("%s-%d", who, width)]
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`tr[data-id="`+id+`"] button`)), chromedp.WaitVisible(chromedp.ID("reveal"))); err != nil {
				t.Fatalf("%s claims: %v", who, err)
			}
			if got := w.focused(); got != "confirm" {
				t.Errorf("%s at %d px: after claiming the focus is on %q, want the confirmation", who, width, got)
			}
			w.check("request")
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("reveal")), chromedp.WaitVisible(chromedp.ID("tel"))); err != nil {
				t.Fatalf("%s reveals: %v", who, err)
			}
			w.check("revealed")
			if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("outcome"), "no-answer"), chromedp.Click(chromedp.ID("complete"))); err != nil {
				t.Fatalf("%s records the outcome: %v", who, err)
			}
			if err := waitFlash(ctx, "Recorded: No answer"); err != nil {
				t.Fatal(err)
			}
			if got := w.focused(); got != "confirm" {
				t.Errorf("%s at %d px: after the outcome the focus is on %q, want the confirmation", who, width, got)
			}
			w.open("/staff/done")
			w.check("done")
			w.open("/staff/duty")
			w.check("duty")
			w.open("/staff/reports")
			if who == "ada" {
				w.check("reports")
			} else {
				w.check("reports refused")
			}
			if width < 600 {
				w.open("/staff/requests/" + id + "/reveal")
				w.check("error page")
			}
			cancel()
		}
	}

	// Every error a person can meet is an HTML page with an h1.
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	ben := &walker{t: t, ctx: signInBrowser(t, ctx, web.URL, "ben", tokens["ben"]), base: web.URL, who: "ben", width: 1200}
	kinds, err := chromedp.Run(ben.ctx, chromedp.Evaluate[[]string](`(async () => {
	  const out = [];
	  for (const p of ["/staff/requests/`+work["ben-390"]+`/claim", "/staff/nothing", "/staff/reports", "/staff/requests/01KZZZZZZZZZZZZZZZZZZZZZZZ", "/staff/requests/`+work["ben-390"]+`/audio"]) {
	    const r = await fetch(p);
	    const body = await r.text();
	    out.push(p + " " + r.status + " " + r.headers.get("Content-Type") + " " + (body.includes("<h1") ? "h1" : "no-h1"));
	  }
	  return out;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if !strings.Contains(k, " text/html") || !strings.HasSuffix(k, " h1") || strings.Contains(k, " 200 ") {
			t.Errorf("an error that is not an HTML page with an h1: %s", k)
		}
	}

	// Every scheduler away: every page warns, on a phone too.
	ada := &walker{t: t, ctx: signInBrowser(t, ctx, web.URL, "ada", tokens["ada"]), base: web.URL, who: "ada", width: 390}
	if err := chromedp.Do(ada.ctx, chromedp.EmulateViewport(390, 900)); err != nil {
		t.Fatal(err)
	}
	ada.open("/staff/duty")
	taking := func() int {
		n, err := chromedp.Run(ada.ctx, chromedp.Evaluate[int](`document.readyState === "complete" ? document.querySelectorAll('table.duty button[value="0"]').length : -1`))
		if err != nil {
			return -1 // navigating
		}
		return n
	}
	for left := taking(); left != 0; {
		if err := chromedp.Do(ada.ctx, chromedp.Click(chromedp.CSS(`table.duty button[value="0"]`))); err != nil {
			t.Fatalf("ada switches a member away: %v", err)
		}
		// The page after the switch has one member fewer taking calls.
		for n := taking(); n < 0 || n >= left; n = taking() {
			if ada.ctx.Err() != nil {
				t.Fatalf("the switch never showed: %v", ada.ctx.Err())
			}
		}
		left = taking()
	}
	ada.check("duty with nobody taking calls")
	for _, path := range []string{"/staff/", "/staff/done", "/staff/duty"} {
		ada.open(path)
		if got := text(t, ada.ctx, "#duty-banner"); !strings.Contains(got, "Scheduling") {
			t.Errorf("%s: the warning = %q", path, got)
		}
	}
	ada.check("queue with the warning")
	ben.open("/staff/")
	if got := text(t, ben.ctx, "#duty-banner"); !strings.Contains(got, "Scheduling") {
		t.Errorf("ben sees no warning: %q", got)
	}
}
