// Package console is the staff web console under /staff/: server-rendered
// pages where schedulers sign in, work the callback queue, play voice
// messages and call clients back from the practice's number. Every core
// action is a plain HTML form (no JavaScript needed); a small script only
// refreshes the queue.
package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/internal/reports"
	"github.com/switchboard-clinic/switchboard/internal/staff"
	"github.com/switchboard-clinic/switchboard/internal/twilioapi"
	"github.com/switchboard-clinic/switchboard/routing"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// Staff is what the console needs of the staff accounts.
type Staff interface {
	Authenticate(ctx context.Context, token string) (staff.Account, error)
	CheckPassword(ctx context.Context, name, password string) (staff.Account, error)
	Get(ctx context.Context, name string) (staff.Account, error)
	SignInAttempt(ctx context.Context, name, addr string, t staff.Throttle) (time.Duration, error)
	SignInSucceeded(ctx context.Context, name, addr string) error
	List(ctx context.Context) ([]staff.Account, error)
}

var _ Staff = (*staff.Store)(nil)

// Twilio is what the console asks of Twilio's REST API.
type Twilio interface {
	AccountSID() string
	CallBack(staffPhone, clientNumber, mainNumber string) (string, error)
	FetchRecording(ctx context.Context, recordingSID, rangeHeader string) (*twilioapi.Recording, error)
}

// Deps are the console's dependencies. Twilio may be nil (no
// TWILIO_ACCOUNT_SID): playback and call back then say they are not set up.
type Deps struct {
	Queue    callback.Desk
	Staff    Staff
	Sessions *Sessions
	Line     func() *routing.Line
	Now      func() time.Time
	Logger   *slog.Logger
	Twilio   Twilio
	// Secure marks cookies Secure (the public URL is https).
	Secure bool
	// Origin is the console's own origin (the public URL's scheme and
	// host): a sign-in posted from any other is refused.
	Origin string
	// Throttle paces failed sign-ins; zero means staff.DefaultThrottle().
	Throttle staff.Throttle
	// Timeout bounds the Redis work of each page.
	Timeout time.Duration
	// Duty is who of the ring groups' members takes calls; nil hides the
	// duty controls.
	Duty *duty.Roster
	// Watch says whether every ring group has somebody taking calls: while
	// one has nobody and the office is open, every page warns. nil: never.
	Watch *duty.Watch
	// Reports are the daily counts behind /staff/reports; nil: no reports.
	Reports *reports.Book
	// Unreplicated reports callback writes no Redis replica has
	// acknowledged yet, and when the oldest was taken; while there are
	// some, admins see a banner. nil: never.
	Unreplicated func() (int, time.Time)
}

// Console serves /staff/.
type Console struct {
	d    Deps
	tmpl *template.Template
}

// New returns the console.
func New(d Deps) (*Console, error) {
	switch {
	case d.Queue == nil, d.Staff == nil, d.Sessions == nil, d.Line == nil, d.Now == nil, d.Logger == nil:
		return nil, errors.New("console: queue, staff, sessions, line, clock and logger are required")
	}
	if d.Timeout <= 0 {
		d.Timeout = 2 * time.Second
	}
	if d.Throttle == (staff.Throttle{}) {
		d.Throttle = staff.DefaultThrottle()
	}
	loc := func() *time.Location { return d.Line().Schedule.Location }
	tmpl, err := template.New("").Funcs(funcs(loc)).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	return &Console{d: d, tmpl: tmpl}, nil
}

const (
	sessionCookie = "sb_session"
	sessionKey    = "console.session"
	accountKey    = "console.account"
)

// Headers sets the security headers of every console response: a strict
// Content-Security-Policy (no inline script or style), no framing, no
// referrer, and no caching of pages that hold health information.
func (x *Console) Headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

// RequireSession lets through requests with a live session; others get 401
// and the sign-in page. Unsafe methods must also carry the session's CSRF
// token (403 otherwise).
func (x *Console) RequireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := x.ctx(c)
		defer cancel()
		cookie, err := c.Cookie(sessionCookie)
		if err != nil {
			return x.signInPage(c, http.StatusUnauthorized, "Please sign in.")
		}
		sess, err := x.d.Sessions.Get(ctx, cookie.Value)
		if errors.Is(err, ErrNoSession) {
			return x.signInPage(c, http.StatusUnauthorized, "Your session has ended. Please sign in again.")
		}
		if err != nil {
			return x.unavailable(c, err)
		}
		// Every request re-checks the account: a removed staff member, one
		// removed and added again, or one whose password changed is out.
		acct, err := x.d.Staff.Get(ctx, sess.Name)
		if errors.Is(err, staff.ErrNotFound) || err == nil && acct.Generation != sess.Generation {
			_ = x.d.Sessions.Delete(ctx, sess.ID)
			return x.signInPage(c, http.StatusUnauthorized, "Your session has ended. Please sign in again.")
		}
		if err != nil {
			return x.unavailable(c, err)
		}
		if c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead {
			token := c.FormValue("_csrf")
			if subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
				return &problem{Status: http.StatusForbidden, Title: "This form has expired",
					Text: "The form has expired or did not come from the console. Nothing was changed. Go back, reload the page and try again."}
			}
		}
		c.Set(sessionKey, sess)
		c.Set(accountKey, acct)
		return next(c)
	}
}

func session(c echo.Context) Session {
	s, _ := c.Get(sessionKey).(Session)
	return s
}

// me is the signed-in staff member as a claim holder: claims are bound to
// the account's id, read again on every request.
func me(c echo.Context) callback.Holder {
	a, _ := c.Get(accountKey).(staff.Account)
	return a.Holder()
}

func (x *Console) ctx(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), x.d.Timeout)
}

func (x *Console) render(c echo.Context, status int, name string, data any) error {
	var b strings.Builder
	if err := x.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		x.d.Logger.Error("render console page", slog.String("page", name), slog.String("error", err.Error()))
		return c.String(http.StatusInternalServerError, "the page could not be rendered")
	}
	return c.HTML(status, b.String())
}

// unavailable answers when the store cannot be reached: 503, never a
// silent failure.
func (x *Console) unavailable(c echo.Context, err error) error {
	x.d.Logger.Error("console request failed",
		slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		slog.String("route", c.Path()), slog.String("error", err.Error()))
	return x.problemPage(c, &problem{Status: http.StatusServiceUnavailable, Title: "Not available right now",
		Text: "The callback store is unavailable right now. Nothing was changed; try again in a moment."})
}

// Static serves the console's stylesheet and script.
func (x *Console) Static(c echo.Context) error {
	name := c.Param("name")
	data, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ct := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, ct, data)
}
