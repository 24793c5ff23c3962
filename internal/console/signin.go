package console

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/switchboard-clinic/switchboard/internal/staff"
)

// failurePause slows each failed sign-in a little more.
const failurePause = 400 * time.Millisecond

type signInData struct {
	Message string
	Name    string
}

func (x *Console) signInPage(c echo.Context, status int, msg string) error {
	return x.render(c, status, "signin.html", signInData{Message: msg})
}

// SignInForm answers GET /staff/signin.
func (x *Console) SignInForm(c echo.Context) error {
	return x.signInPage(c, http.StatusOK, "")
}

// SignIn answers POST /staff/signin: a staff name with a password, or an
// API token from "switchboard staff add". The attempt is counted before the
// secret is checked; past a few free tries a name from one address, or an
// address, waits a delay that grows with each failure (see staff.Throttle),
// so guessing is slow, the owner from another address is never held up,
// and unknown names are answered like known ones. A sign-in posted
// from another site is refused (login CSRF).
func (x *Console) SignIn(c echo.Context) error {
	if !x.sameOrigin(c.Request()) {
		return c.String(http.StatusForbidden, "Sign in from the console's own page.")
	}
	ctx, cancel := x.ctx(c)
	defer cancel()
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	secret := c.FormValue("secret")
	addr := c.RealIP()
	wait, err := x.d.Staff.SignInAttempt(ctx, name, addr, x.d.Throttle)
	if err != nil {
		return x.unavailable(c, err)
	}
	if wait > 0 {
		secs := int(wait.Seconds() + 0.999)
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return x.render(c, http.StatusTooManyRequests, "signin.html", signInData{Name: name,
			Message: fmt.Sprintf("Too many failed sign-ins. Try again in %d seconds.", secs)})
	}
	var acct staff.Account
	if strings.HasPrefix(secret, "sbt_") {
		acct, err = x.d.Staff.Authenticate(ctx, secret)
		if err == nil && name != "" && acct.Name != name {
			err = staff.ErrUnauthorized
		}
	} else {
		acct, err = x.d.Staff.CheckPassword(ctx, name, secret)
	}
	if errors.Is(err, staff.ErrUnauthorized) {
		// Not the typed name: it may be a password typed in the wrong field.
		x.d.Logger.Warn("console sign-in failed", slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
		time.Sleep(failurePause)
		return x.render(c, http.StatusUnauthorized, "signin.html", signInData{Name: name, Message: "That name and password or token did not match."})
	}
	if err != nil {
		return x.unavailable(c, err)
	}
	// The deadline bounds Redis work, not the password hash: a bcrypt check
	// on a busy machine must not make the writes after it time out.
	cancel()
	ctx, cancel = x.ctx(c)
	defer cancel()
	_ = x.d.Staff.SignInSucceeded(ctx, name, addr)
	sess, err := x.d.Sessions.Create(ctx, acct.Name, acct.Generation)
	if err != nil {
		return x.unavailable(c, err)
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: sess.ID, Path: "/staff", HttpOnly: true, Secure: x.d.Secure,
		SameSite: http.SameSiteStrictMode,
	})
	x.d.Logger.Info("console sign-in", slog.String("name", acct.Name))
	return c.Redirect(http.StatusSeeOther, "/staff/")
}

// SignOut answers POST /staff/signout.
func (x *Console) SignOut(c echo.Context) error {
	ctx, cancel := x.ctx(c)
	defer cancel()
	_ = x.d.Sessions.Delete(ctx, session(c).ID)
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/staff", MaxAge: -1, HttpOnly: true, Secure: x.d.Secure, SameSite: http.SameSiteStrictMode})
	return x.signInPage(c, http.StatusOK, "You are signed out.")
}

// sameOrigin reports whether a form was posted from the console itself:
// Sec-Fetch-Site (sent by current browsers) says same-origin or none, or,
// without it, Origin is the console's own. A request with neither (not a
// browser) passes; the CSRF token protects every other form.
func (x *Console) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	return origin == "" || x.d.Origin == "" || origin == x.d.Origin
}
