package console_test

import (
	"context"
	"fmt"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// chromium finds Debian's chromium; under CI=true its absence fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	return testprog.Find(t, "chromium", "chromium", "chromium-browser", "google-chrome")
}

// artifactDir is where screenshots go: $ARTIFACTS_DIR or ./artifacts at the
// repository root.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBrowser starts headless chromium for the test and returns its
// context, bounded to 90 seconds (or the given bound, a guard against a
// hang, never a measure of speed); it stops at cleanup.
func startBrowser(t *testing.T, exe string, bound ...time.Duration) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1200, 900),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()))...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	limit := 90 * time.Second
	if len(bound) > 0 {
		limit = bound[0]
	}
	bounded, cancel := context.WithTimeout(browser, limit)
	t.Cleanup(cancel)
	return bounded
}

// signInBrowser opens a fresh browser context (its own cookies) and signs in.
func signInBrowser(t *testing.T, browserCtx context.Context, base, name, token string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/staff/signin"),
		chromedp.SetValue(chromedp.ID("name"), name),
		chromedp.SetValue(chromedp.ID("secret"), token),
		chromedp.Submit(chromedp.ID("secret")),
		chromedp.WaitVisible(chromedp.ID("count-pending")),
	)
	if err != nil {
		t.Fatalf("%s signs in: %v", name, err)
	}
	return ctx
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

func TestBrowserWorksACallback(t *testing.T) {
	testprog.Slow(t, "a browser")
	exe := chromium(t)
	s := testserver.New(t, testserver.Options{Twilio: true, PlainHTTP: true})
	web := httptest.NewServer(s.HTTP)
	t.Cleanup(web.Close)
	anaToken, benToken := s.AddStaff("ana"), s.AddStaff("ben")

	// A caller asks for a callback: signed webhooks through the real router.
	form := url.Values{"CallSid": {"CAb0000000000000000000000000000001"}, "AccountSid": {testserver.AccountSID}, "From": {"+12065550142"}, "To": {"+14258692644"}, "Digits": {"2"}}
	if rec := s.Post("/twilio/menu?n=0", form, true); rec.Code != 200 {
		t.Fatalf("menu webhook: %d", rec.Code)
	}
	form.Set("Digits", "1")
	if rec := s.Post("/twilio/callback/number?n=0&r=menu", form, true); rec.Code != 200 || !strings.Contains(rec.Body.String(), "saved") {
		t.Fatalf("callback webhook: %d %s", rec.Code, rec.Body)
	}
	form.Del("Digits")
	form.Set("RecordingSid", "RE0123456789abcdef0123456789abcdef")
	form.Set("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/"+testserver.AccountSID+"/Recordings/RE0123456789abcdef0123456789abcdef")
	form.Set("RecordingDuration", "11")
	if rec := s.Post("/twilio/callback/recorded", form, true); rec.Code != 200 {
		t.Fatalf("recording webhook: %d", rec.Code)
	}
	if err := s.Staff.SetPhone(t.Context(), "ana", "+14255550111"); err != nil {
		t.Fatal(err)
	}

	deadline := startBrowser(t, exe)

	ana := signInBrowser(t, deadline, web.URL, "ana", anaToken)
	ben := signInBrowser(t, deadline, web.URL, "ben", benToken)

	if got := text(t, ana, "table.queue tbody"); !strings.Contains(got, "…0142") || strings.Contains(got, "5550142") {
		t.Fatalf("queue row = %q, want the masked number", got)
	}
	shot, err := chromedp.Run(ana, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir(t), "queue.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	// Ana claims from the queue; Ben, whose page still shows the Claim
	// button, tries a moment later and sees the conflict.
	if err := chromedp.Do(ana, chromedp.Click(chromedp.CSS("table.queue tbody button")), chromedp.WaitVisible(chromedp.ID("reveal"))); err != nil {
		t.Fatalf("ana claims: %v", err)
	}
	if err := chromedp.Do(ben, chromedp.Click(chromedp.CSS("table.queue tbody button")), chromedp.WaitVisible(chromedp.CSS("p.error"))); err != nil {
		t.Fatalf("ben claims: %v", err)
	}
	if got := text(t, ben, "p.error"); !strings.Contains(got, "ana is working on this request") {
		t.Errorf("ben sees %q", got)
	}

	if err := chromedp.Do(ana, chromedp.Click(chromedp.ID("reveal")), chromedp.WaitNotPresent(chromedp.ID("reveal"))); err != nil {
		t.Fatalf("reveal: %v", err)
	}
	if got := text(t, ana, "h1"); !strings.Contains(got, "(206) 555-0142") {
		t.Errorf("after reveal the heading is %q", got)
	}
	if got := text(t, ana, "ol.history"); !strings.Contains(got, "number revealed") {
		t.Errorf("history lacks the reveal: %q", got)
	}

	// The voice message plays from Switchboard, never from a Twilio URL.
	played, err := chromedp.Run(ana, chromedp.Evaluate[string](`(async () => {
		const a = document.querySelector("audio");
		if (!a || new URL(a.src).origin !== location.origin) { return "player missing or not same-origin: " + (a && a.src); }
		const r = await fetch(a.src);
		const b = await r.arrayBuffer();
		return r.status + " " + r.headers.get("Content-Type") + " " + b.byteLength;
	})()`, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if err != nil || played != "200 audio/mpeg 17" {
		t.Errorf("playing the message: %q, %v", played, err)
	}
	if html, _ := chromedp.Run(ana, chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, "api.twilio.com") {
		t.Error("the page holds a Twilio URL")
	}

	// Call back rings ana's phone through (fake) Twilio.
	err = chromedp.Do(ana, chromedp.Click(chromedp.ID("call")))
	if err == nil {
		err = waitFlash(ana, "Calling")
	}
	if err != nil {
		t.Fatalf("call back: %v", err)
	}
	if got := text(t, ana, "p.flash"); !strings.Contains(got, "Calling your phone") {
		t.Errorf("after call back: %q", got)
	}
	var placed bool
	for _, r := range s.Fake.Requests() {
		placed = placed || (strings.HasSuffix(r.Path, "/Calls.json") && r.Form.Get("To") == "+14255550111")
	}
	if !placed {
		t.Error("no call reached the fake Twilio")
	}

	// Keyboard and labels: the outcome form is reachable by its labels.
	err = chromedp.Do(ana,
		chromedp.SetValue(chromedp.ID("outcome"), "reached"),
		chromedp.SendKeys(chromedp.ID("note"), "booked an intake"),
		chromedp.Click(chromedp.ID("complete")),
	)
	if err == nil {
		err = waitFlash(ana, "Recorded")
	}
	if err != nil {
		t.Fatalf("complete: %v", err)
	}
	if got := text(t, ana, "p.flash"); !strings.Contains(got, "Recorded: Reached") {
		t.Errorf("flash = %q", got)
	}
	if err := chromedp.Do(ana, chromedp.Navigate(web.URL+"/staff/done"), chromedp.WaitVisible(chromedp.CSS("main table"))); err != nil {
		t.Fatalf("done list: %v", err)
	}
	if got := text(t, ana, "main table tbody"); !strings.Contains(got, "…0142") || !strings.Contains(got, "Reached") {
		t.Errorf("done list = %q", got)
	}
}

// waitFlash waits for the page that answers a form to show a flash holding
// want: the page before it still shows the previous flash, and reading it
// while the browser navigates fails, so this retries until the deadline of
// ctx.
func waitFlash(ctx context.Context, want string) error {
	for {
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("p.flash")))
		if err == nil && strings.Contains(got, want) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no flash with %q (last: %q, %v)", want, got, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestBrowserReportsAndDuty makes a handful of simulated calls, then an
// admin opens the reports page: its figures and its CSV match the calls.
// A scheduler then marks themselves away in the console, and a call that
// presses 0 rings only the others.
func TestBrowserReportsAndDuty(t *testing.T) {
	testprog.Slow(t, "a browser")
	exe := chromium(t)
	s := testserver.New(t, testserver.Options{PlainHTTP: true})
	web := httptest.NewServer(s.HTTP)
	t.Cleanup(web.Close)
	anaToken, benToken := s.AddStaff("ana"), s.AddStaff("ben")
	if err := s.Staff.SetAdmin(t.Context(), "ana", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Staff.SetPhone(t.Context(), "ben", "+14255550102"); err != nil {
		t.Fatal(err)
	}
	post := func(sid, path string, kv ...string) string {
		t.Helper()
		form := url.Values{"CallSid": {sid}, "AccountSid": {testserver.AccountSID}, "From": {"+12065550142"}, "To": {"+14258692644"}}
		for i := 0; i+1 < len(kv); i += 2 {
			form.Set(kv[i], kv[i+1])
		}
		rec := s.Post(path, form, true)
		if rec.Code != 200 {
			t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	// Three calls: one answered by a scheduler, one nobody answers, one
	// that leaves a callback request, which staff then call back.
	sids := []string{"CAc0000000000000000000000000000001", "CAc0000000000000000000000000000002", "CAc0000000000000000000000000000003"}
	for _, sid := range sids {
		post(sid, "/twilio/voice")
	}
	post(sids[0], "/twilio/menu?n=0", "Digits", "0")
	post(sids[0], "/twilio/ring/result?g=scheduling&rc=1&s=0", "DialCallStatus", "completed", "DialBridged", "true", "DialCallDuration", "95")
	post(sids[1], "/twilio/menu?n=0", "Digits", "0")
	post(sids[1], "/twilio/ring/result?g=scheduling&rc=1&s=0", "DialCallStatus", "no-answer", "DialBridged", "false")
	post(sids[2], "/twilio/menu?n=0", "Digits", "2")
	if body := post(sids[2], "/twilio/callback/number?n=0&r=menu", "Digits", "1"); !strings.Contains(body, "saved") {
		t.Fatalf("not saved: %s", body)
	}
	reqs, _, err := s.Queue.List(t.Context(), "pending", 10, "")
	if err != nil || len(reqs) != 1 {
		t.Fatalf("pending: %v %v", reqs, err)
	}
	anaAcct, err := s.Staff.Get(t.Context(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Queue.Claim(t.Context(), reqs[0].ID, anaAcct.Holder()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Queue.CallPlaced(t.Context(), reqs[0].ID, anaAcct.Holder(), ""); err != nil {
		t.Fatal(err)
	}
	// The counts are written in the background: wait for them to land.
	want := map[string]int64{"calls": 3, "rang": 2, "answered": 1, "unanswered": 1, "requests": 1, "first_ontime": 1}
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, err := s.App.Reports.Read(t.Context(), 7, testserver.MondayMorning)
		if err != nil {
			t.Fatal(err)
		}
		landed := true
		for k, v := range want {
			landed = landed && p.Total(k) == v
		}
		if landed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the counts never reached %v: %+v", want, p.Days[len(p.Days)-1].Counts)
		}
		time.Sleep(20 * time.Millisecond)
	}

	bounded := startBrowser(t, exe)

	ana := signInBrowser(t, bounded, web.URL, "ana", anaToken)
	if err := chromedp.Do(ana, chromedp.Navigate(web.URL+"/staff/reports?days=7"), chromedp.WaitVisible(chromedp.ID("report-calls"))); err != nil {
		t.Fatalf("open the reports: %v", err)
	}
	for id, want := range map[string]string{"#sum-ontime .value": "100%", "#overdue-now .value": "0"} {
		if got := text(t, ana, id); got != want {
			t.Errorf("reports page: %s = %q, want %q", id, got, want)
		}
	}
	bars, err := chromedp.Run(ana, chromedp.Evaluate[int](`document.querySelectorAll("#report-rings svg rect").length`))
	// Monday: answered by a member and offered a callback, stacked; a zero
	// mark on each of the six other days.
	if err != nil || bars != 8 {
		t.Errorf("the ring groups chart has %d bars and zero marks (%v), want 8", bars, err)
	}
	// At a phone's width nothing scrolls sideways and chart labels are
	// at least 12 px.
	if err := chromedp.Do(ana, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	wide, err := chromedp.Run(ana, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || wide > 390 {
		t.Errorf("the reports page is %d px wide at 390 px (%v)", wide, err)
	}
	smallest, err := chromedp.Run(ana, chromedp.Evaluate[float64](`Math.min(...[...document.querySelectorAll(".rchart .xlabels span, .rchart .peak, .rchart .legend li")].map(e => parseFloat(getComputedStyle(e).fontSize)))`))
	if err != nil || smallest < 12 {
		t.Errorf("the smallest chart label is %v px (%v), want 12 or more", smallest, err)
	}
	shot, err := chromedp.Run(ana, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir(t), "reports.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ana, chromedp.EmulateViewport(1200, 900)); err != nil {
		t.Fatal(err)
	}
	csvText, err := chromedp.Run(ana, chromedp.Evaluate[string](`fetch("/staff/reports.csv?days=7").then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(csvText, "Day,Calls,Reached a person,") || !strings.Contains(csvText, ",Overdue now,") ||
		!strings.Contains(csvText, "\n2026-11-30,") {
		t.Errorf("the CSV does not have the page's columns:\n%s", csvText)
	}

	// Ben marks himself away; the next press 0 rings the other two.
	ben := signInBrowser(t, bounded, web.URL, "ben", benToken)
	if got := text(t, ben, "#duty-state"); got != "Taking calls" {
		t.Fatalf("ben's duty = %q", got)
	}
	if err := chromedp.Do(ben, chromedp.Click(chromedp.ID("duty-toggle"))); err != nil {
		t.Fatal(err)
	}
	if err := waitFlash(ben, "You are away"); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ben, "#duty-state"); got != "Away" {
		t.Errorf("after the switch ben's duty = %q", got)
	}
	body := post("CAc0000000000000000000000000000004", "/twilio/menu?n=0", "Digits", "0")
	if strings.Contains(body, "+14255550102") || !strings.Contains(body, "+14255550101") || !strings.Contains(body, "+14255550103") {
		t.Errorf("with ben away the ring is %s", body)
	}
	if err := chromedp.Do(ana, chromedp.Navigate(web.URL+"/staff/duty"), chromedp.WaitVisible(chromedp.CSS("table.duty-log"))); err != nil {
		t.Fatalf("duty page: %v", err)
	}
	if got := text(t, ana, "table.duty-log tbody"); !strings.Contains(got, "ben") || !strings.Contains(got, "away") || !strings.Contains(got, "console") {
		t.Errorf("the duty log = %q", got)
	}
}
