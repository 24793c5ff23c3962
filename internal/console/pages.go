package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/routing"
)

// item is one request as the console shows it.
type item struct {
	*callback.Request
	Mine bool // claimed by the viewer
	// Number is the number for reading: masked ("…0142") unless revealed,
	// then "(206) 555-0142"; Tel is the tel: link of a revealed number.
	Number string
	Tel    template.URL
	// Age is the waiting time in office hours ("35 min"), "after hours"
	// for a request left while the office is closed and not yet waited
	// through any office hour, and "" once the request is finished.
	Age     string
	Overdue bool
	Created string // local time with its zone
	Reason  string
	// Urgent marks a request to work before every other (a caller who may
	// be in crisis): the queue lists it first, with a badge. Missed marks a
	// caller who hung up before reaching anyone or leaving a request.
	Urgent   bool
	Missed   bool
	HasAudio bool
	// Language names the caller's language for staff ("Spanish"), and is
	// "" for the line's own.
	Language string
	// The latest attempt: its outcome in words, when and by whom.
	LastOutcome, LastAttempt, LastBy string
	Claimed                          string // since when the claim is held
	Finished                         string
	// Label names the request in its row's controls: "request from …0142
	// left Mon Nov 30, 9:30 AM PST".
	Label string
}

// stamp is how the console writes a time: local, with the zone.
const stamp = "Mon Jan 2, 3:04 PM MST"

func (x *Console) item(r *callback.Request, viewer callback.Holder, revealed bool) item {
	l := x.d.Line()
	now := x.d.Now()
	loc := l.Schedule.Location
	it := item{
		Request: r, Mine: r.HeldBy(viewer),
		Number:  phone.Mask(r.CallbackNumber),
		Overdue: !r.Finished() && l.Overdue(r.CreatedAt, now),
		Created: r.CreatedAt.In(loc).Format(stamp),
		Reason:  r.Reason.Describe(), Urgent: r.Reason.Urgent(), Missed: r.Reason == callback.ReasonMissedCall,
		HasAudio: r.Message != nil && r.Message.RecordingSID != "",
	}
	if !r.Finished() {
		age := l.WaitingAge(r.CreatedAt, now)
		it.Age = humanDuration(age)
		if age < time.Minute && !l.OpenAt(now) {
			it.Age = "after hours"
		}
	} else if !r.FinishedAt.IsZero() {
		it.Finished = r.FinishedAt.In(loc).Format(stamp)
	}
	if r.Status == callback.StatusClaimed && !r.ClaimedAt.IsZero() {
		it.Claimed = r.ClaimedAt.In(loc).Format(stamp)
	}
	for i := len(r.History) - 1; i >= 0; i-- {
		e := r.History[i]
		if o, ok := strings.CutPrefix(e.What, "complete: "); ok || e.What == "call placed" {
			it.LastOutcome, it.LastAttempt, it.LastBy = "Call placed", e.At.In(loc).Format(stamp), e.Who
			if ok {
				it.LastOutcome = outcomeWords(callback.Outcome(o))
			}
			break
		}
	}
	if it.LastOutcome == "" && r.Outcome != "" {
		it.LastOutcome = outcomeWords(r.Outcome)
	}
	if lang, ok := l.LanguageOf(r.Language); !ok || lang.Key != "" {
		it.Language = cmp.Or(lang.Name, r.Language)
	}
	it.Label = "request from " + it.Number + " left " + it.Created
	// The full number and the transcription reach the page only after the
	// claim holder asked for them ("show number"), which the history records.
	if revealed && it.Mine {
		it.Number = phone.Readable(r.CallbackNumber)
		if telNumber.MatchString(r.CallbackNumber) { // html/template trusts no tel: URL of its own
			it.Tel = template.URL("tel:" + r.CallbackNumber)
		}
	} else {
		it.Request = r.Masked()
	}
	return it
}

// telNumber is what a tel: link may carry: an E.164 number.
var telNumber = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// outcomeWords says an outcome for people.
func outcomeWords(o callback.Outcome) string {
	switch o {
	case callback.OutcomeReached:
		return "Reached"
	case callback.OutcomeLeftVoicemail:
		return "Left a voicemail"
	case callback.OutcomeNoAnswer:
		return "No answer"
	case callback.OutcomeWrongNumber:
		return "Wrong number"
	case callback.OutcomeOther:
		return "Other (see the notes)"
	}
	return string(o)
}

// statusWords says a request's status for people.
func statusWords(s callback.Status) string {
	switch s {
	case callback.StatusPending:
		return "Waiting in the queue"
	case callback.StatusClaimed:
		return "Claimed"
	case callback.StatusDone:
		return "Done"
	case callback.StatusCancelled:
		return "Cancelled"
	}
	return string(s)
}

// historyWords says a history entry for people: "complete: no-answer"
// becomes "recorded the outcome: No answer".
func historyWords(what string) string {
	if o, ok := strings.CutPrefix(what, "complete: "); ok {
		return "recorded the outcome: " + outcomeWords(callback.Outcome(o))
	}
	switch what {
	case "claim":
		return "claimed it"
	case "release":
		return "released it to the queue"
	case "note":
		return "added a note"
	}
	return what
}

func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d min", h, m)
}

type page struct {
	Title   string
	Who     string
	CSRF    string
	Flash   string
	Error   string
	Pending int64
	Urgent  int64 // pending requests to work before every other
	Overdue int
	Mine    []item
	// Others are the requests colleagues are working on, with who and
	// since when: they stay in sight instead of vanishing.
	Others   []item
	Queue    []item
	More     bool
	Item     *item
	Outcomes []callback.Outcome
	CanCall  bool
	CallNote string
	Results  []item
	Last4    string
	Date     string
	Searched bool
	Deadline string
	// Filter is the language code the queue is filtered by ("" for all),
	// and Languages the line's other languages, to filter by.
	Filter    string
	Languages []routing.Language
	// LineLanguage names the line's own language ("English").
	LineLanguage string
	// Duty is the signed-in scheduler's own control (nil: not a member);
	// Path is the page's own path, to come back to after it.
	Duty *dutyBar
	Path string
	// The reports page.
	Report *reportView
	// Banner tells admins that callback writes wait for a Redis replica.
	Banner string
	// Gap names the ring groups nobody takes calls for while the office is
	// open: every page warns everyone ("" when all is well).
	Gap string
	// ClosedGap is the same while the office is closed: only the duty page
	// says it, quietly (nobody is expected to take calls then).
	ClosedGap string
	// Problem is an error page's content.
	Problem *problem
	// AudioNote says why a voice message cannot be played here; AdminNote
	// is the set-up hint behind it or behind CallNote, for admins only.
	AudioNote string
	AdminNote string
	// The duty page.
	Admin   bool
	Members []dutyRow
	DutyLog []dutyEvent
	Groups  []dutyGroup
}

func (x *Console) base(c echo.Context, title string) page {
	s := session(c)
	ctx, cancel := x.ctx(c)
	defer cancel()
	p := page{Title: title, Who: s.Name, CSRF: s.CSRF, Flash: x.d.Sessions.TakeFlash(ctx, s.ID),
		Deadline: humanDuration(x.d.Line().Callback.Deadline), LineLanguage: x.d.Line().LanguageName,
		Duty: x.myDuty(c, s.Name), Path: c.Request().URL.Path, Banner: x.replicaBanner(ctx, s.Name)}
	if x.d.Watch != nil {
		// A page that cannot tell still shows: the duty page says more.
		if cover, err := x.d.Watch.Cover(ctx); err == nil && len(cover.Uncovered) > 0 {
			titles := strings.Join(duty.Titles(x.d.Line(), cover.Uncovered), " or ")
			if cover.Open {
				p.Gap = titles
			} else {
				p.ClosedGap = titles
			}
		}
	}
	return p
}

// replicaBanner is the admins' banner while callback writes wait for a
// Redis replica ("" otherwise, and for everyone else).
func (x *Console) replicaBanner(ctx context.Context, who string) string {
	if x.d.Unreplicated == nil {
		return ""
	}
	n, oldest := x.d.Unreplicated()
	if n == 0 {
		return ""
	}
	if acct, err := x.d.Staff.Get(ctx, who); err != nil || !acct.Admin {
		return ""
	}
	return fmt.Sprintf("Redis has no replica taking callback writes: %d of them (the oldest %s ago) are on one Redis server only, "+
		"and kept in this instance's spool until a replica has them. Staff see every request; check the Redis replicas.",
		n, humanDuration(time.Since(oldest)))
}

// maxHistoryReads bounds the requests whose history one queue page reads.
const maxHistoryReads = 50

// queuePage fills the queue: pending requests, urgent ones first, then
// oldest first (the queue's order), and those the viewer holds.
func (x *Console) queuePage(c echo.Context) (page, error) {
	p := x.base(c, "Callback queue")
	ctx, cancel := x.ctx(c)
	defer cancel()
	st, err := x.d.Queue.Stats(ctx)
	if err != nil {
		return p, err
	}
	p.Pending, p.Urgent = st.Pending, st.Urgent
	p.Languages = x.d.Line().Languages
	if lang := c.QueryParam("language"); routing.IsLanguageCode(lang) {
		p.Filter = lang
	}
	pending, next, err := x.d.Queue.List(ctx, callback.StatusPending, 200, "")
	if err != nil {
		return p, err
	}
	p.More = next != ""
	tried := 0
	for _, r := range pending {
		if p.Filter != "" && r.Language != p.Filter {
			continue
		}
		// Lists carry no history: the last attempt's time and who made it
		// come from the request itself, for the (few) tried before.
		if r.Attempts > 0 && tried < maxHistoryReads {
			tried++
			if full, err := x.d.Queue.Get(ctx, r.ID); err == nil {
				r = full
			}
		}
		it := x.item(r, me(c), false)
		if it.Overdue {
			p.Overdue++
		}
		p.Queue = append(p.Queue, it)
	}
	claimed, _, err := x.d.Queue.List(ctx, callback.StatusClaimed, 200, "")
	if err != nil {
		return p, err
	}
	for _, r := range claimed {
		if p.Filter != "" && r.Language != p.Filter {
			continue
		}
		if r.HeldBy(me(c)) {
			p.Mine = append(p.Mine, x.item(r, me(c), false))
		} else {
			p.Others = append(p.Others, x.item(r, me(c), false))
		}
	}
	return p, nil
}

// QueuePage answers GET /staff/.
func (x *Console) QueuePage(c echo.Context) error {
	p, err := x.queuePage(c)
	if err != nil {
		return x.unavailable(c, err)
	}
	return x.render(c, http.StatusOK, "queue.html", p)
}

// QueueRows answers GET /staff/queue/rows: the live part of the queue page,
// fetched by the page's script to refresh itself.
func (x *Console) QueueRows(c echo.Context) error {
	p, err := x.queuePage(c)
	if err != nil {
		return x.unavailable(c, err)
	}
	return x.render(c, http.StatusOK, "rows", p)
}

func (x *Console) requestPage(c echo.Context, status int, r *callback.Request, revealed bool, errMsg string) error {
	p := x.base(c, "Callback request")
	it := x.item(r, me(c), revealed)
	p.Item, p.Outcomes, p.Error = &it, callback.Outcomes(), errMsg
	if it.Mine {
		ctx, cancel := x.ctx(c)
		defer cancel()
		acct, err := x.d.Staff.Get(ctx, p.Who)
		var hint string
		switch {
		case err != nil:
			p.CallNote = "Your account could not be read."
		case x.d.Twilio == nil:
			p.CallNote = "Calling from the console is not set up: call the client from the practice's phone."
			hint = "Calling and playing voice messages from the console need TWILIO_ACCOUNT_SID (with TWILIO_AUTH_TOKEN)."
		case acct.Phone == "":
			p.CallNote = "Calling from the console needs your phone number on your account: ask an admin to add it."
			hint = "Add it with: switchboard staff phone " + p.Who + " +1…"
		default:
			p.CanCall = true
			p.CallNote = "Rings your phone (" + phone.Mask(acct.Phone) + ") first, then the client, who sees the main number."
		}
		if it.HasAudio && x.d.Twilio == nil {
			p.AudioNote = "This voice message cannot be played here: playback from Twilio is not set up. The request's other details are below."
		}
		if hint != "" {
			x.d.Logger.Warn("console feature not set up", slog.String("hint", hint))
			if err == nil && acct.Admin {
				p.AdminNote = "For admins: " + hint
			}
		}
	}
	return x.render(c, status, "request.html", p)
}

func (x *Console) load(c echo.Context) (*callback.Request, error) {
	ctx, cancel := x.ctx(c)
	defer cancel()
	return x.d.Queue.Get(ctx, c.Param("id"))
}

func (x *Console) notFound(c echo.Context) error {
	return x.problemPage(c, &problem{Status: http.StatusNotFound, Title: "No such callback request",
		Text: "There is no callback request with that id. It may have been deleted after its retention period."})
}

// RequestPage answers GET /staff/requests/:id.
func (x *Console) RequestPage(c echo.Context) error {
	r, err := x.load(c)
	if errors.Is(err, callback.ErrNotFound) {
		return x.notFound(c)
	}
	if err != nil {
		return x.unavailable(c, err)
	}
	return x.requestPage(c, http.StatusOK, r, false, "")
}

// act runs a state change and then shows the request (or the queue), or
// explains on the request's page what the queue refused: a conflict (409),
// an input to fix (400) or a change not for this person (403).
func (x *Console) act(c echo.Context, op func(id string, by callback.Holder) (*callback.Request, error), flash, next string) error {
	s := session(c)
	id := c.Param("id")
	_, err := op(id, me(c))
	var conflict *callback.ConflictError
	switch {
	case errors.Is(err, callback.ErrNotFound):
		return x.notFound(c)
	case errors.As(err, &conflict):
		r, lerr := x.load(c)
		if lerr != nil {
			return x.unavailable(c, lerr)
		}
		return x.requestPage(c, http.StatusConflict, r, false, conflictText(conflict, s.Name))
	case errors.Is(err, callback.ErrInvalid), errors.Is(err, callback.ErrForbidden):
		r, lerr := x.load(c)
		if errors.Is(lerr, callback.ErrNotFound) {
			return x.notFound(c)
		}
		if lerr != nil {
			return x.unavailable(c, lerr)
		}
		if errors.Is(err, callback.ErrForbidden) {
			return x.requestPage(c, http.StatusForbidden, r, false, sentence(err.Error())+" Nothing was changed.")
		}
		return x.requestPage(c, http.StatusBadRequest, r, false, invalidText(err))
	case err != nil:
		return x.unavailable(c, err)
	}
	ctx, cancel := x.ctx(c)
	defer cancel()
	_ = x.d.Sessions.SetFlash(ctx, s.ID, flash)
	if next == "" {
		next = "/staff/requests/" + id
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// invalidText says on the request's form what to fix in what the queue
// refused.
func invalidText(err error) string {
	switch {
	case errors.Is(err, callback.ErrBadOutcome):
		return "Choose an outcome."
	case errors.Is(err, callback.ErrNoteRequired):
		return "Write a note."
	case errors.Is(err, callback.ErrNoteTooLong):
		return fmt.Sprintf("The note is longer than %d bytes: shorten it and try again. Nothing was changed.", callback.MaxNote)
	}
	return sentence(err.Error()) + " Nothing was changed."
}

func conflictText(e *callback.ConflictError, viewer string) string {
	switch {
	case e.Status == callback.StatusClaimed && e.ClaimedBy != viewer:
		return fmt.Sprintf("%s is working on this request. Nothing was changed.", e.ClaimedBy)
	case e.Status == callback.StatusDone || e.Status == callback.StatusCancelled:
		return "This request is already " + string(e.Status) + ". Nothing was changed."
	case e.Status == callback.StatusPending:
		return "Claim this request first. Nothing was changed."
	}
	return "That is not possible now. Nothing was changed."
}

// Claim answers POST /staff/requests/:id/claim.
func (x *Console) Claim(c echo.Context) error {
	ctx, cancel := x.ctx(c)
	defer cancel()
	return x.act(c, func(id string, by callback.Holder) (*callback.Request, error) { return x.d.Queue.Claim(ctx, id, by) }, "You claimed this request.", "")
}

// Release answers POST /staff/requests/:id/release.
func (x *Console) Release(c echo.Context) error {
	ctx, cancel := x.ctx(c)
	defer cancel()
	return x.act(c, func(id string, by callback.Holder) (*callback.Request, error) { return x.d.Queue.Release(ctx, id, by) },
		"Released: the request is back in the queue.", "/staff/")
}

// Complete answers POST /staff/requests/:id/complete. The form's requeue
// is "yes", "no" or absent (the outcome decides).
func (x *Console) Complete(c echo.Context) error {
	ctx, cancel := x.ctx(c)
	defer cancel()
	at := callback.Attempt{Outcome: callback.Outcome(c.FormValue("outcome")), Note: c.FormValue("note")}
	if v := c.FormValue("requeue"); v != "" {
		at.Requeue = callback.RequeueIf(v == "yes")
	}
	// A finished request's recording is deleted at Twilio by the queue's
	// upkeep (callback.Recorder.DeleteRecordings), whichever way it
	// finished.
	return x.act(c, func(id string, by callback.Holder) (*callback.Request, error) {
		return x.d.Queue.Complete(ctx, id, by, at)
	}, "Recorded: "+outcomeWords(at.Outcome)+".", "/staff/")
}

// Note answers POST /staff/requests/:id/note.
func (x *Console) Note(c echo.Context) error {
	ctx, cancel := x.ctx(c)
	defer cancel()
	return x.act(c, func(id string, by callback.Holder) (*callback.Request, error) {
		return x.d.Queue.AddNote(ctx, id, by.Name, c.FormValue("note"))
	}, "Note added.", "")
}

// Reveal answers POST /staff/requests/:id/reveal: the full number and the
// transcription, for the staff member who holds the claim, written to the
// request's history.
func (x *Console) Reveal(c echo.Context) error {
	ctx, cancel := x.ctx(c)
	defer cancel()
	s := session(c)
	r, err := x.load(c)
	if errors.Is(err, callback.ErrNotFound) {
		return x.notFound(c)
	}
	if err != nil {
		return x.unavailable(c, err)
	}
	if !r.HeldBy(me(c)) {
		return x.requestPage(c, http.StatusForbidden, r, false, "Claim the request to see the full number.")
	}
	if r, err = x.d.Queue.Log(ctx, r.ID, s.Name, "number revealed"); err != nil {
		return x.unavailable(c, err)
	}
	return x.requestPage(c, http.StatusOK, r, true, "")
}

// Audio answers GET /staff/requests/:id/audio: the voice message, fetched
// from Twilio by Switchboard (the browser never sees a Twilio URL), for the
// staff member who holds the claim. Each playback is written to the history.
func (x *Console) Audio(c echo.Context) error {
	s := session(c)
	r, err := x.load(c)
	if errors.Is(err, callback.ErrNotFound) {
		return x.notFound(c)
	}
	if err != nil {
		return x.unavailable(c, err)
	}
	if !r.HeldBy(me(c)) {
		return &problem{Status: http.StatusForbidden, Title: "Not allowed", Text: "Claim the request to play its voice message.",
			BackHref: "/staff/requests/" + r.ID, BackText: "Back to the request"}
	}
	if r.Message == nil || r.Message.RecordingSID == "" {
		return &problem{Status: http.StatusNotFound, Title: "No voice message", Text: "This request has no voice message.",
			BackHref: "/staff/requests/" + r.ID, BackText: "Back to the request"}
	}
	if x.d.Twilio == nil {
		return &problem{Status: http.StatusServiceUnavailable, Title: "Playback is not set up",
			Text:     "Voice messages cannot be played from the console yet.",
			Admin:    "Playing voice messages needs TWILIO_ACCOUNT_SID (with TWILIO_AUTH_TOKEN).",
			BackHref: "/staff/requests/" + r.ID, BackText: "Back to the request"}
	}
	// One byte range, as players ask to seek; anything else plays it whole.
	rg := c.Request().Header.Get("Range")
	if !singleRange.MatchString(rg) {
		rg = ""
	}
	// Every request for the audio is written to the history before a byte
	// is sent, a seek as well as a start.
	what := "message played"
	if from, _, _ := strings.Cut(strings.TrimPrefix(rg, "bytes="), "-"); rg != "" && from != "0" {
		what = "message played (from byte " + from + ")"
	}
	ctx, cancel := x.ctx(c)
	_, err = x.d.Queue.Log(ctx, r.ID, s.Name, what)
	cancel()
	if err != nil {
		return x.unavailable(c, err)
	}
	rec, err := x.d.Twilio.FetchRecording(c.Request().Context(), r.Message.RecordingSID, rg)
	if err != nil {
		// twilioapi's errors say what failed (Twilio's answer, a key that
		// does not fit, audio that fails its check) and hold no client data.
		x.d.Logger.Warn("recording fetch failed", slog.String("request", r.ID), slog.String("error", err.Error()))
		return &problem{Status: http.StatusBadGateway, Title: "The voice message could not be played",
			Text:     "The voice message could not be played: " + err.Error() + ".",
			BackHref: "/staff/requests/" + r.ID, BackText: "Back to the request"}
	}
	defer rec.Close()
	if rec.Audio != nil {
		// Decrypted in memory for this playback only; ranges served from it.
		c.Response().Header().Set("Content-Type", rec.ContentType)
		http.ServeContent(c.Response(), c.Request(), "", time.Time{}, rec.Audio)
		return nil
	}
	h := c.Response().Header()
	h.Set("Content-Type", rec.ContentType)
	h.Set("Accept-Ranges", "bytes")
	if rec.ContentLength != "" {
		h.Set("Content-Length", rec.ContentLength)
	}
	if rec.Status == http.StatusPartialContent && rec.ContentRange != "" {
		h.Set("Content-Range", rec.ContentRange)
	}
	c.Response().WriteHeader(rec.Status)
	_, err = io.Copy(c.Response(), rec.Body)
	return err
}

var singleRange = regexp.MustCompile(`^bytes=[0-9]{1,12}-[0-9]{0,12}$`)

// Call answers POST /staff/requests/:id/call: Twilio rings the staff
// member's phone and connects them to the client from the main number. The
// attempt is counted and written to the history.
func (x *Console) Call(c echo.Context) error {
	s := session(c)
	r, err := x.load(c)
	if errors.Is(err, callback.ErrNotFound) {
		return x.notFound(c)
	}
	if err != nil {
		return x.unavailable(c, err)
	}
	if !r.HeldBy(me(c)) {
		return x.requestPage(c, http.StatusConflict, r, false, "Claim the request before calling.")
	}
	ctx, cancel := x.ctx(c)
	defer cancel()
	acct, err := x.d.Staff.Get(ctx, s.Name)
	if err != nil {
		return x.unavailable(c, err)
	}
	if x.d.Twilio == nil || acct.Phone == "" {
		return x.requestPage(c, http.StatusConflict, r, false, "Calling from the console is not set up for you (see below).")
	}
	if _, err := x.d.Twilio.CallBack(acct.Phone, r.CallbackNumber, x.d.Line().MainNumber); err != nil {
		msg := phone.MaskIn(err.Error())
		x.d.Logger.Warn("call back failed", slog.String("request", r.ID), slog.String("error", msg))
		return x.requestPage(c, http.StatusBadGateway, r, false, "The call could not be placed. "+msg)
	}
	return x.act(c, func(id string, by callback.Holder) (*callback.Request, error) {
		return x.d.Queue.CallPlaced(ctx, id, by, "")
	},
		"Calling your phone now. Answer it to be connected, then record the outcome below.", "")
}

// DonePage answers GET and POST /staff/done: finished requests, searchable
// by the last four digits and the day (a POST, so digits stay out of URLs).
func (x *Console) DonePage(c echo.Context) error {
	p := x.base(c, "Done")
	l := x.d.Line()
	var day time.Time
	if c.Request().Method == http.MethodPost {
		p.Searched = true
		p.Last4 = strings.TrimSpace(c.FormValue("last4"))
		p.Date = strings.TrimSpace(c.FormValue("date"))
		if p.Last4 != "" && (len(p.Last4) != 4 || strings.Trim(p.Last4, "0123456789") != "") {
			p.Error = "Give exactly four digits."
			return x.render(c, http.StatusBadRequest, "done.html", p)
		}
		if p.Date != "" {
			d, err := time.ParseInLocation("2006-01-02", p.Date, l.Schedule.Location)
			if err != nil {
				p.Error = "Give the date as YYYY-MM-DD."
				return x.render(c, http.StatusBadRequest, "done.html", p)
			}
			day = d
		}
	}
	ctx, cancel := x.ctx(c)
	defer cancel()
	reqs, err := x.d.Queue.SearchFinished(ctx, p.Last4, day, l.Schedule.Location, 100)
	if err != nil {
		return x.unavailable(c, err)
	}
	for _, r := range reqs {
		p.Results = append(p.Results, x.item(r, me(c), false))
	}
	return x.render(c, http.StatusOK, "done.html", p)
}

func funcs(loc func() *time.Location) template.FuncMap {
	return template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(loc()).Format(stamp)
		},
		"outcome": outcomeWords,
		// maxNote is the note limit for the forms' maxlength (characters
		// there, bytes in the queue, which says so when it refuses).
		"maxNote": func() int { return callback.MaxNote },
		"status":  statusWords,
		"what":    historyWords,
		"consent": func(s callback.Consent) string {
			if s == "" {
				return "not asked"
			}
			return string(s)
		},
	}
}
