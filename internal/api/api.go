// Package api is the staff JSON API under /api/v1: the callback queue,
// listed, read, claimed, released and completed by authenticated staff.
// Handlers decode, call the queue and encode; errors are mapped to status
// codes in one place (respondError).
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/internal/staff"
	"github.com/switchboard-clinic/switchboard/routing"
)

// Authenticator checks staff tokens.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (staff.Account, error)
}

var _ Authenticator = (*staff.Store)(nil)

// API serves /api/v1.
type API struct {
	queue   callback.Desk
	auth    Authenticator
	log     *slog.Logger
	timeout time.Duration
	reload  func() (string, error)
}

// OnReload sets what POST /api/v1/admin/reload runs: it re-reads the
// configuration and returns its version, or the reason it was refused.
func (a *API) OnReload(f func() (string, error)) { a.reload = f }

// reloadResponse is the body of a reload.
type reloadResponse struct {
	Version  string   `json:"version,omitempty"`
	Error    string   `json:"error,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// Reload answers POST /api/v1/admin/reload for administrators: 200 with the
// new version, or 422 with the file's problems (the running configuration
// stays).
func (a *API) Reload(c echo.Context) error {
	acct, _ := c.Get(staffKey).(staff.Account)
	if !acct.Admin {
		return c.JSON(http.StatusForbidden, errorBody{"reloading the configuration is for administrators (switchboard staff add NAME --admin)"})
	}
	if a.reload == nil {
		return c.JSON(http.StatusNotFound, errorBody{"reload is not available"})
	}
	v, err := a.reload()
	if err != nil {
		body := reloadResponse{Error: "configuration refused; the running one stays"}
		if ce, ok := config.AsError(err); ok {
			for _, p := range ce.Problems {
				body.Problems = append(body.Problems, p.String())
			}
		} else {
			body.Problems = []string{err.Error()}
		}
		a.log.Warn("configuration reload refused", slog.String("by", acct.Name), slog.String("error", err.Error()))
		return c.JSON(http.StatusUnprocessableEntity, body)
	}
	a.log.Info("configuration reloaded", slog.String("by", acct.Name), slog.String("version", v))
	return c.JSON(http.StatusOK, reloadResponse{Version: v})
}

// New returns the API. timeout bounds the Redis work of each request.
func New(q callback.Desk, auth Authenticator, log *slog.Logger, timeout time.Duration) (*API, error) {
	switch {
	case q == nil:
		return nil, errors.New("api: queue is required")
	case auth == nil:
		return nil, errors.New("api: authenticator is required")
	case log == nil:
		return nil, errors.New("api: logger is required")
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &API{queue: q, auth: auth, log: log, timeout: timeout}, nil
}

const staffKey = "staff"

// RequireStaff rejects requests without a valid "Authorization: Bearer
// TOKEN" with 401, and remembers who the caller is.
func (a *API) RequireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="switchboard"`)
			return c.JSON(http.StatusUnauthorized, errorBody{"missing bearer token: send Authorization: Bearer TOKEN (switchboard staff add NAME)"})
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), a.timeout)
		defer cancel()
		acct, err := a.auth.Authenticate(ctx, strings.TrimSpace(token))
		if err != nil {
			if errors.Is(err, staff.ErrUnauthorized) {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="switchboard", error="invalid_token"`)
				return c.JSON(http.StatusUnauthorized, errorBody{"invalid or revoked token"})
			}
			return a.respondError(c, fmt.Errorf("authenticate: %w", err))
		}
		c.Set(staffKey, acct)
		return next(c)
	}
}

func who(c echo.Context) string {
	acct, _ := c.Get(staffKey).(staff.Account)
	return acct.Name
}

// holder is the caller as a staff account that claims: claims are bound
// to its id.
func holder(c echo.Context) callback.Holder {
	acct, _ := c.Get(staffKey).(staff.Account)
	return acct.Holder()
}

type errorBody struct {
	Error string `json:"error"`
}

// errBadRequest marks a client mistake; its message says what to fix.
type errBadRequest struct{ msg string }

func (e errBadRequest) Error() string { return e.msg }

func badRequest(format string, args ...any) error { return errBadRequest{fmt.Sprintf(format, args...)} }

// respondError maps an error to a status code and a JSON body.
func (a *API) respondError(c echo.Context, err error) error {
	var bad errBadRequest
	var conflict *callback.ConflictError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		return c.JSON(he.Code, errorBody{fmt.Sprint(he.Message)})
	case errors.As(err, &bad):
		return c.JSON(http.StatusBadRequest, errorBody{bad.msg})
	case errors.Is(err, callback.ErrNotFound):
		return c.JSON(http.StatusNotFound, errorBody{"no callback request with that id"})
	case errors.As(err, &conflict):
		return c.JSON(http.StatusConflict, errorBody{conflict.Error()})
	case errors.Is(err, callback.ErrInvalid):
		return c.JSON(http.StatusBadRequest, errorBody{err.Error()})
	case errors.Is(err, callback.ErrForbidden):
		return c.JSON(http.StatusForbidden, errorBody{err.Error()})
	}
	a.log.Error("api request failed",
		slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		slog.String("route", c.Path()), slog.String("error", err.Error()))
	return c.JSON(http.StatusServiceUnavailable, errorBody{"the callback store is unavailable; try again shortly"})
}

func (a *API) ctx(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), a.timeout)
}

// respond runs one queue operation within the request's time budget and
// writes the request it returns, or the error.
func (a *API) respond(c echo.Context, op func(context.Context) (*callback.Request, error)) error {
	ctx, cancel := a.ctx(c)
	defer cancel()
	r, err := op(ctx)
	if err != nil {
		return a.respondError(c, err)
	}
	return c.JSON(http.StatusOK, viewOf(r))
}

// View is a request as the API shows it: the last four digits, never the
// full numbers or the transcription, to anyone. Those leave the server only
// through POST .../reveal, for the person who holds the claim, which writes
// "number revealed" to the history first.
type View struct {
	callback.Request
	CallbackNumberLast4 string `json:"callbackNumberLast4"`
	// Urgent marks a request to work before every other (a caller who may
	// be in crisis); the queue lists these first.
	Urgent bool `json:"urgent,omitempty"`
	// ReasonText says the reason in the words the console shows.
	ReasonText string `json:"reasonText,omitempty"`
}

func viewOf(r *callback.Request) *View {
	return &View{Request: *r.Masked(), CallbackNumberLast4: phone.LastFour(r.CallbackNumber),
		Urgent: r.Reason.Urgent(), ReasonText: r.Reason.Describe()}
}

// listResponse is the body of GET /callbacks.
type listResponse struct {
	Callbacks []*View `json:"callbacks"`
	Next      string  `json:"next"`
}

// List answers GET /api/v1/callbacks?status=&limit=&cursor=&language=&reason=.
func (a *API) List(c echo.Context) error {
	status := callback.Status(c.QueryParam("status"))
	if status == "" {
		status = callback.StatusPending
	}
	switch status {
	case callback.StatusPending, callback.StatusClaimed, callback.StatusDone, callback.StatusCancelled:
	default:
		return a.respondError(c, badRequest("status must be pending, claimed, done or cancelled"))
	}
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return a.respondError(c, badRequest("limit must be a whole number from 1 to 200"))
		}
		limit = n
	}
	lang := c.QueryParam("language")
	if lang != "" && !routing.IsLanguageCode(lang) {
		return a.respondError(c, badRequest("language must be a two-letter code such as en or es"))
	}
	reason, ok := callback.Reason(""), true
	if v := c.QueryParam("reason"); v != "" {
		if reason, ok = callback.LookupReason(v); !ok {
			return a.respondError(c, badRequest("reason must be one of %s", reasonNames()))
		}
	}
	ctx, cancel := a.ctx(c)
	defer cancel()
	reqs, next, err := a.queue.List(ctx, status, limit, c.QueryParam("cursor"))
	if err != nil {
		return a.respondError(c, err)
	}
	views := make([]*View, 0, len(reqs))
	for _, r := range reqs {
		// The language and reason filters apply to the page: it may hold
		// fewer than limit, and next still continues the whole queue.
		if (lang == "" || r.Language == lang) && (reason == "" || r.Reason == reason) {
			views = append(views, viewOf(r))
		}
	}
	return c.JSON(http.StatusOK, listResponse{Callbacks: views, Next: next})
}

func reasonNames() string {
	var names []string
	for _, r := range callback.Reasons() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// revealResponse is the body of POST .../reveal: everything the other
// answers mask.
type revealResponse struct {
	CallbackNumber string `json:"callbackNumber"`
	CallerNumber   string `json:"callerNumber,omitempty"`
	Transcription  string `json:"transcription,omitempty"`
}

// Reveal answers POST /api/v1/callbacks/:id/reveal: the full numbers and
// the transcription, for the person who holds the claim only, after "number
// revealed" is written to the request's history. It is the only answer of
// the API that carries them.
func (a *API) Reveal(c echo.Context) error {
	ctx, cancel := a.ctx(c)
	defer cancel()
	r, err := a.queue.Get(ctx, c.Param("id"))
	if err != nil {
		return a.respondError(c, err)
	}
	if !r.HeldBy(holder(c)) {
		return c.JSON(http.StatusForbidden, errorBody{"only the person who holds the claim can see the number: claim the request first"})
	}
	if _, err := a.queue.Log(ctx, r.ID, who(c), "number revealed"); err != nil {
		return a.respondError(c, err)
	}
	body := revealResponse{CallbackNumber: r.CallbackNumber, CallerNumber: r.CallerNumber}
	if r.Message != nil {
		body.Transcription = r.Message.Transcription
	}
	return c.JSON(http.StatusOK, body)
}

// Get answers GET /api/v1/callbacks/:id.
func (a *API) Get(c echo.Context) error {
	return a.respond(c, func(ctx context.Context) (*callback.Request, error) {
		return a.queue.Get(ctx, c.Param("id"))
	})
}

// Claim answers POST /api/v1/callbacks/:id/claim.
func (a *API) Claim(c echo.Context) error {
	return a.respond(c, func(ctx context.Context) (*callback.Request, error) {
		return a.queue.Claim(ctx, c.Param("id"), holder(c))
	})
}

// Release answers POST /api/v1/callbacks/:id/release.
func (a *API) Release(c echo.Context) error {
	return a.respond(c, func(ctx context.Context) (*callback.Request, error) {
		return a.queue.Release(ctx, c.Param("id"), holder(c))
	})
}

// completeBody is the body of POST .../complete.
type completeBody struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
	// Requeue puts the request back in the queue (true) or not (false);
	// absent, the outcome decides (callback.Attempt.Requeues).
	Requeue *bool `json:"requeue"`
}

// Complete answers POST /api/v1/callbacks/:id/complete.
func (a *API) Complete(c echo.Context) error {
	var body completeBody
	if err := decode(c, &body); err != nil {
		return a.respondError(c, err)
	}
	at := callback.Attempt{Outcome: callback.Outcome(body.Outcome), Note: body.Note}
	if body.Requeue != nil {
		at.Requeue = callback.RequeueIf(*body.Requeue)
	}
	return a.respond(c, func(ctx context.Context) (*callback.Request, error) {
		return a.queue.Complete(ctx, c.Param("id"), holder(c), at)
	})
}

// noteBody is the body of POST .../notes and .../cancel.
type noteBody struct {
	Note string `json:"note"`
}

// AddNote answers POST /api/v1/callbacks/:id/notes.
func (a *API) AddNote(c echo.Context) error {
	var body noteBody
	if err := decode(c, &body); err != nil {
		return a.respondError(c, err)
	}
	return a.respond(c, func(ctx context.Context) (*callback.Request, error) {
		return a.queue.AddNote(ctx, c.Param("id"), who(c), body.Note)
	})
}

// Cancel answers POST /api/v1/callbacks/:id/cancel: the queue lets
// administrators and the person who holds the claim cancel (the console
// has no cancel at all); anyone else gets 403 with the reason.
func (a *API) Cancel(c echo.Context) error {
	var body noteBody
	if err := decode(c, &body); err != nil {
		return a.respondError(c, err)
	}
	return a.respond(c, func(ctx context.Context) (*callback.Request, error) {
		return a.queue.Cancel(ctx, c.Param("id"), holder(c), body.Note)
	})
}

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors, an empty body is an empty object.
func decode(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return he // the body limit: 413
		}
		return badRequest("invalid JSON body: %v", err)
	}
	if dec.More() {
		return badRequest("invalid JSON body: more than one value")
	}
	return nil
}

// Routes adds the API's routes to g (/api/v1, behind RequireStaff).
func (a *API) Routes(g *echo.Group) {
	g.GET("/callbacks", a.List)
	g.GET("/callbacks/:id", a.Get)
	g.POST("/callbacks/:id/claim", a.Claim)
	g.POST("/callbacks/:id/release", a.Release)
	g.POST("/callbacks/:id/complete", a.Complete)
	g.POST("/callbacks/:id/notes", a.AddNote)
	g.POST("/callbacks/:id/cancel", a.Cancel)
	g.POST("/callbacks/:id/reveal", a.Reveal)
	g.POST("/admin/reload", a.Reload)
}
