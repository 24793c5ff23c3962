package ivr

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/twilio/twilio-go/twiml"
)

// Tracks keeps what each call did while it lasts (calls.Writer implements
// it): every step's stage and what happened, written in the background, and
// the call's end, handled once Twilio reports the call completed. Neither
// call waits for Redis.
type Tracks interface {
	Mark(callSID string, m calls.Mark)
	End(callSID string, f calls.EndFunc)
}

var _ Tracks = (*calls.Writer)(nil)

// MissedCalls records missed calls as requests (callback.Recorder
// implements it, through Record like every callback write) and finds
// whether a call left a request (callback.Queue, through the recorder).
type MissedCalls interface {
	Missed(ctx context.Context, m callback.MissedCall) (spooled bool, err error)
	Supersede(ctx context.Context, callSID, numberKey string) (spooled bool, err error)
	HasRequest(ctx context.Context, callSID string) (bool, error)
}

// MissedTexts sends missed-call texts in the background
// (callback.Texter implements it): Text never waits.
type MissedTexts interface {
	Text(m callback.MissedText)
}

var _ MissedTexts = (*callback.Texter)(nil)

// CallOutcomes, when Events also implements it, is told how each call
// ended, for the reports and metrics: its outcome, where the caller was,
// the call's language, and how long it waited for a person.
type CallOutcomes interface {
	CallEnded(e calls.End)
}

type noCallOutcomes struct{}

func (noCallOutcomes) CallEnded(calls.End) {}

// mark notes a step of call c in the background (no-op without Tracks).
func (f *Flow) mark(c Call, m calls.Mark) {
	if f.tracks == nil || c.Sid == "" {
		return
	}
	if c.Line != nil {
		m.Lang = c.Line.LanguageCode
	}
	f.tracks.Mark(c.Sid, m)
}

// track is the one hook on every step of the caller's call (run calls it):
// what the caller hears next says where they are. The whisper steps run on
// the scheduler's leg, not the caller's, and are not tracked.
func (f *Flow) track(path string, c Call, r Reply) {
	if path == PathScreen || path == PathScreenAnswer {
		return
	}
	m := calls.Mark{Stage: r.Stage(), Crisis: c.Progress.Crisis, Request: r.did.Request, Extension: r.did.Extension}
	if m.Stage == "" {
		m.Stage = stageOfPath(path)
	}
	if m.Stage == calls.StageRing {
		m.Asked = c.Now // the first ring of the call is kept: when the caller asked for a person
	}
	switch {
	case path == PathRingResult && bridged(c.Form):
		m.Person = true
		m.Reached = reachedAt(c)
	case m.Stage == calls.StageInfo:
		m.Info = true
	case m.Stage == calls.StageCrisis || crisisIn(r.Elements()):
		m.Crisis = true
	}
	f.mark(c, m)
}

// reachedAt is when the person a Dial bridged answered, from the Dial's
// action request, and zero for a screened group, whose whisper says it
// (personReached). Twilio requests the action URL "when the dialed call
// ends", with DialCallDuration the dialed call's length in seconds
// (https://www.twilio.com/docs/voice/twiml/dial#action): that is the
// conversation itself here, since the Dial answers on bridge
// (answerOnBridge="true"). A screened leg's duration also counts the
// whisper (twilio-notes.md), which is why its accept is taken instead.
// Without a duration the moment is unknown: zero, and no sample.
func reachedAt(c Call) time.Time {
	if g, ok := c.Line.Groups[c.Query.Get("g")]; ok && g.Screen {
		return time.Time{}
	}
	secs, err := strconv.Atoi(c.Form.Get("DialCallDuration"))
	if err != nil || secs < 0 {
		return time.Time{}
	}
	return c.Now.Add(-time.Duration(secs) * time.Second)
}

// personReached notes, on the caller's call, that the scheduler whose
// whisper this is accepted it: the parties are connected when the whisper
// TwiML ends ("after they answer, but before the parties are connected",
// https://www.twilio.com/docs/voice/twiml/number, the url attribute). The
// whisper's requests are made for the answering child leg, whose
// ParentCallSid is the caller's call (see recordAnswered). Twilio also
// offers a statusCallback with the event "answered" on <Number> and
// <Client>, but that is the phone picking up, before the whisper, and one
// more request per leg rung; the accept is the moment the caller hears a
// person.
func (f *Flow) personReached(c Call) {
	parent := c.Form.Get("ParentCallSid")
	if f.tracks == nil || parent == "" {
		return
	}
	f.tracks.Mark(parent, calls.Mark{Reached: c.Now})
}

// stageOf is the stage of the first verb in els that waits for the caller
// or ends the call: the step the caller is in until the next webhook.
func stageOf(els []twiml.Element) calls.Stage {
	for _, el := range els {
		switch v := el.(type) {
		case *twiml.VoiceHangup:
			return calls.StageEnded
		case *twiml.VoiceRecord:
			return calls.StageCallback
		case *twiml.VoiceDial:
			if p := urlPath(v.Action); p == PathLifeline {
				return calls.StageCrisis
			}
			return calls.StageRing
		case *twiml.VoiceGather:
			return stageOfPath(urlPath(v.Action))
		case *twiml.VoiceRedirect:
			return stageOfPath(urlPath(v.Url))
		}
	}
	return ""
}

// crisisIn reports whether els ring for a caller in crisis (their URLs
// carry the crisis flag).
func crisisIn(els []twiml.Element) bool {
	for _, el := range els {
		if d, ok := el.(*twiml.VoiceDial); ok {
			if u, err := url.Parse(d.Action); err == nil && u.Query().Get("cr") == "1" {
				return true
			}
		}
	}
	return false
}

func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// stageOfPath is the stage of the step a webhook path answers.
func stageOfPath(path string) calls.Stage {
	switch {
	case path == PathVoice, path == PathMenu, path == PathExtension:
		return calls.StageMenu
	case path == PathInfo, path == PathInfoChoice:
		return calls.StageInfo
	case path == PathRingResult:
		return calls.StageRing
	case path == PathCrisis, path == PathLifeline:
		return calls.StageCrisis
	case strings.HasPrefix(path, PathCallback):
		return calls.StageCallback
	}
	return ""
}

// Status takes Twilio's call status callbacks and answers 204 at once. A
// completed call's outcome is decided in the background (Tracks.End):
// Twilio posts CallStatus=completed with CallDuration, the call's length in
// seconds, when the call ends ("Call Status Callbacks":
// https://www.twilio.com/docs/usage/webhooks/voice-webhooks#call-status-callbacks;
// its parameters include CallSid, CallStatus, From and CallDuration). Any
// instance can answer it: the call's record is in Redis, and only the first
// callback for a call (Store.Finish) decides its outcome.
func (f *Flow) Status(c echo.Context) error {
	req := c.Request()
	if err := req.ParseForm(); err != nil {
		return formError(err)
	}
	sid, status := req.PostForm.Get("CallSid"), req.PostForm.Get("CallStatus")
	f.log.Info("call status",
		slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		slog.String("call_sid", sid),
		slog.String("status", status),
		slog.String("duration", req.PostForm.Get("CallDuration")))
	if f.tracks != nil && sid != "" && status == "completed" {
		end := callEnd{from: req.PostForm.Get("From"), at: f.now()}
		end.seconds, _ = strconv.Atoi(req.PostForm.Get("CallDuration"))
		f.tracks.End(sid, func(ctx context.Context, sid string, rec calls.Record, first bool, err error) {
			f.callEnded(ctx, sid, end, rec, first, err)
		})
	}
	return c.NoContent(http.StatusNoContent)
}

// callEnd is what the status callback said of a completed call.
type callEnd struct {
	from    string
	seconds int
	at      time.Time
}

// callEnded decides a completed call's outcome, counts it, and turns a
// missed call from a callable number into a request (or supersedes the
// number's missed-call request when this call left a real one).
func (f *Flow) callEnded(ctx context.Context, sid string, end callEnd, rec calls.Record, first bool, err error) {
	if err != nil {
		f.log.Warn("call outcome not decided (redis unavailable): not counted, no missed-call request", slog.String("call_sid", sid),
			slog.String("error", err.Error()))
		return
	}
	if !first {
		return // a repeated status callback: decided already
	}
	if rec.Missed() && f.missed != nil {
		has, err := f.missed.HasRequest(ctx, sid)
		if err != nil {
			f.log.Warn("call outcome not decided (redis unavailable): not counted, no missed-call request", slog.String("call_sid", sid),
				slog.String("error", err.Error()))
			return
		}
		rec.Request = rec.Request || has
	}
	line := f.line("")
	lang := rec.Lang
	if lang == "" {
		lang = line.LanguageCode
	}
	stage := rec.Stage
	if stage == "" {
		stage = calls.StageGreeting
	}
	outcome := rec.Outcome()
	toPerson, reached := rec.ToPerson()
	f.callOutcomes.CallEnded(calls.End{Outcome: outcome, Stage: stage, Lang: lang, At: end.at, ToPerson: toPerson, Reached: reached})
	if f.missed == nil || f.capture == nil || f.keys == nil {
		return
	}
	number, callable := f.capture.callable(Call{From: end.from, Line: line})
	if !callable {
		return
	}
	key := f.keys.Of(number)
	switch {
	case rec.Request:
		if _, err := f.missed.Supersede(ctx, sid, key); err != nil {
			f.log.Warn("a missed-call request was not superseded by this call's request", slog.String("call_sid", sid), slog.String("error", err.Error()))
		}
	case rec.Missed() && line.Callback.MissedCalls && end.seconds >= line.Callback.MissedCallSeconds:
		spooled, err := f.missed.Missed(ctx, callback.MissedCall{
			CallSID: sid, Number: number, NumberKey: key, Stage: string(stage), Seconds: end.seconds,
			Note: fmt.Sprintf("hung up in %s after %d s", stage.Describe(), end.seconds), Language: lang, At: end.at,
		})
		switch {
		case err != nil:
			f.log.Error("missed call not recorded anywhere", slog.String("call_sid", sid), slog.String("error", err.Error()))
		case spooled:
			// The request is not in Redis yet; neither are the day's mark
			// and the opt-out list that guard the text.
			if line.Callback.MissedText.Enabled && f.texts != nil {
				f.log.Warn("missed-call text not sent: redis unavailable", slog.String("call_sid", sid))
			}
		default:
			f.textMissed(line, sid, number, key, lang, end.at)
		}
	}
}

// textMissed queues the missed-call text, when it is enabled, in the
// call's language. The number was found callable (not withheld, foreign,
// premium or the practice's own) before; premium is checked again here,
// because a text to such a number costs the practice too.
func (f *Flow) textMissed(line *routing.Line, sid, number, key, lang string, at time.Time) {
	mt := line.Callback.MissedText
	if f.texts == nil || !mt.Enabled || phone.Premium(number) {
		return
	}
	body := mt.In(lang, line.LanguageCode)
	if body == "" {
		return
	}
	f.texts.Text(callback.MissedText{
		CallSID: sid, Number: number, NumberKey: key, From: line.MainNumber, Body: body, Language: lang,
		Day: at.In(line.Schedule.Location).Format(time.DateOnly),
	})
}
