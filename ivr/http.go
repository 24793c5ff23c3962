package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Step is one step of the call flow: it turns a webhook into TwiML. ctx is
// the webhook request's.
type Step func(ctx context.Context, c Call) (Reply, error)

// Handler adapts a Step to Echo. It always answers a webhook that carries a
// CallSid with 200 and TwiML: a step that fails or panics becomes an apology
// followed by the main menu, because any other answer makes Twilio play its
// generic error and hang up on the caller.
func (f *Flow) Handler(step Step) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if err := req.ParseForm(); err != nil {
			return formError(err)
		}
		sid := req.PostForm.Get("CallSid")
		if sid == "" {
			return echo.NewHTTPError(http.StatusBadRequest, "missing CallSid: this URL takes Twilio voice webhooks")
		}
		line := f.line(req.URL.Query().Get("cv"))
		now := f.now()
		if f.simTime {
			var sim time.Time
			if v := req.Header.Get(SimulatedTimeHeader); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return echo.NewHTTPError(http.StatusBadRequest, SimulatedTimeHeader+" must be RFC 3339")
				}
				now, sim = t, t
				c.Response().Header().Set(SimulatedTimeHeader, "honoured")
			}
			if f.setSimTime != nil {
				f.setSimTime(sim)
			}
		}
		call := Call{
			Sid:    sid,
			From:   req.PostForm.Get("From"),
			To:     req.PostForm.Get("To"),
			Digits: req.PostForm.Get("Digits"),
			Speech: req.PostForm.Get("SpeechResult"),
			Line:   line,
			Now:    now,
			Open:   line.OpenAt(now),
			Query:  req.URL.Query(),
			Form:   req.PostForm,
		}
		call.Progress = progressOf(call.Query)
		// The language the caller chose: an unknown code (a language removed
		// by a reload) continues in the line's own.
		if view := line.In(call.Progress.Lang); view != line {
			call.Line = view
		} else {
			call.Progress.Lang = ""
		}
		return c.Blob(http.StatusOK, "text/xml; charset=utf-8", f.run(c, step, call))
	}
}

// run executes a step and renders its TwiML, turning any failure into the
// apology document.
func (f *Flow) run(c echo.Context, step Step, call Call) (doc []byte) {
	defer func() {
		if r := recover(); r != nil {
			f.fail(c, call, fmt.Errorf("panic: %v", r))
			doc = f.apology(call)
		}
	}()
	r, err := f.maybeCrisis(step)(c.Request().Context(), call)
	if err != nil {
		f.fail(c, call, err)
		return f.apology(call)
	}
	f.track(c.Path(), call, r)
	return r.Render()
}

func (f *Flow) fail(c echo.Context, call Call, err error) {
	f.log.Error("call step failed; caller hears an apology and the main menu",
		slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		slog.String("call_sid", call.Sid),
		slog.String("path", c.Path()),
		slog.String("error", err.Error()))
}

// apology tells the caller something went wrong and returns them to the
// main menu. It does not depend on anything that can fail but rendering,
// and falls back to a fixed document if even that does.
func (f *Flow) apology(call Call) []byte {
	if call.Line != nil {
		return f.menuPage(call, 0, call.Line.Prompts.Apology).Render()
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>We're sorry, something went wrong. Please hold.</Say><Redirect method="POST">` +
		f.URL(PathVoice) + `</Redirect></Response>`)
}

// formError maps a body that cannot be read to 413 or 400.
func formError(err error) error {
	var maxErr *http.MaxBytesError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &maxErr):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body too large")
	case errors.As(err, &he):
		return he
	}
	return echo.NewHTTPError(http.StatusBadRequest, "malformed form body: "+err.Error())
}

// Transcription takes Twilio's transcription callback for a voice message.
// It answers 204 once the transcription is recorded (or spooled), and 503
// when it could not be kept, so that it is not lost silently.
func (f *Flow) Transcription(c echo.Context) error {
	req := c.Request()
	if err := req.ParseForm(); err != nil {
		return formError(err)
	}
	sid := req.PostForm.Get("CallSid")
	if sid == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "missing CallSid")
	}
	if f.capture == nil {
		return echo.NewHTTPError(http.StatusNotFound, "callback capture is not configured")
	}
	call := Call{Sid: sid, Form: req.PostForm, Query: req.URL.Query()}
	if err := f.capture.Transcript(req.Context(), call); err != nil {
		// The request log writes this failure once, with the request id and
		// the CallSid.
		return echo.NewHTTPError(http.StatusServiceUnavailable, "transcription not stored; retry").WithInternal(err)
	}
	return c.NoContent(http.StatusNoContent)
}
