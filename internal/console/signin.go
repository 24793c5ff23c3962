package console

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/switchboard-clinic/switchboard/internal/staff"
)

// Failed sign-ins allowed per account and per address in 15 minutes.
const (
	maxFailuresPerName = 5
	maxFailuresPerAddr = 20
	failurePause       = 400 * time.Millisecond
)

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
// API token from "switchboard staff add". Repeated failures for an account
// or an address are refused for 15 minutes, and every failure is slowed.
func (x *Console) SignIn(c echo.Context) error {
	ctx, cancel := x.ctx(c)
	defer cancel()
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	secret := c.FormValue("secret")
	addr := c.RealIP()
	for _, key := range []struct {
		k   string
		max int64
	}{{"name:" + name, maxFailuresPerName}, {"addr:" + addr, maxFailuresPerAddr}} {
		n, err := x.d.Staff.SignInFailures(ctx, key.k, false)
		if err != nil {
			return x.unavailable(c, err)
		}
		if n >= key.max {
			return x.render(c, http.StatusTooManyRequests, "signin.html", signInData{Name: name,
				Message: "Too many failed sign-ins. Wait 15 minutes, or ask an administrator to check your account."})
		}
	}
	var acct staff.Account
	var err error
	if strings.HasPrefix(secret, "sbt_") {
		acct, err = x.d.Staff.Authenticate(ctx, secret)
		if err == nil && name != "" && acct.Name != name {
			err = staff.ErrUnauthorized
		}
	} else {
		acct, err = x.d.Staff.CheckPassword(ctx, name, secret)
	}
	if errors.Is(err, staff.ErrUnauthorized) {
		cancel()
		ctx, cancel = x.ctx(c)
		defer cancel()
		for _, k := range []string{"name:" + name, "addr:" + addr} {
			if _, ferr := x.d.Staff.SignInFailures(ctx, k, true); ferr != nil {
				return x.unavailable(c, ferr)
			}
		}
		x.d.Logger.Warn("console sign-in failed", slog.String("name", name))
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
	_ = x.d.Staff.ClearSignInFailures(ctx, "name:"+acct.Name)
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
