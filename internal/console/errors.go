package console

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
)

// problem is an error the console shows as a page in its own layout: what
// happened in words for people, a way back, and, for admins only, what to
// set up (the same hint goes to the log).
type problem struct {
	Status int
	Title  string // the page's h1
	Text   string
	// Admin is a configuration hint ("set TWILIO_ACCOUNT_SID"), shown to
	// admins only and logged.
	Admin    string
	BackHref string
	BackText string
}

func (p *problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Text) }

// titles are the headings of the statuses the console answers with.
var titles = map[int]string{
	http.StatusBadRequest:            "That did not work",
	http.StatusForbidden:             "Not allowed",
	http.StatusNotFound:              "Page not found",
	http.StatusMethodNotAllowed:      "This address opens from a button",
	http.StatusConflict:              "Not possible right now",
	http.StatusRequestEntityTooLarge: "Too much text",
	http.StatusBadGateway:            "Twilio did not answer",
	http.StatusServiceUnavailable:    "Not available right now",
}

// actionPath is a request's form address: /staff/requests/ID/claim.
var actionPath = regexp.MustCompile(`^/staff/requests/([0-9A-Za-z]{1,40})/[a-z]+$`)

// HandleError answers any error under /staff/, the router's own 404 and
// 405 included, with an HTML page in the console's layout.
func (x *Console) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var p *problem
	if !errors.As(err, &p) {
		p = x.fromHTTPError(err, c)
	}
	if err := x.problemPage(c, p); err != nil {
		x.d.Logger.Error("console error page not written", slog.String("error", err.Error()))
	}
}

// fromHTTPError turns Echo's errors (and any other) into a page.
func (x *Console) fromHTTPError(err error, c echo.Context) *problem {
	p := &problem{Status: http.StatusInternalServerError, Title: "Something went wrong",
		Text: "The console could not answer. Nothing was changed; try again in a moment."}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		p.Status = he.Code
		if t, ok := titles[he.Code]; ok {
			p.Title = t
		}
		switch msg, _ := he.Message.(string); {
		case he.Code == http.StatusNotFound && (msg == "" || msg == http.StatusText(http.StatusNotFound)):
			p.Text = "There is no page at this address."
		case he.Code == http.StatusMethodNotAllowed:
			p.Text = "This address is what a button on the console sends; opening it does nothing. Nothing was changed."
		case he.Code == http.StatusRequestEntityTooLarge:
			p.Text = "The form held more than the console takes. Nothing was changed; shorten the note and try again."
		case msg != "" && msg != http.StatusText(he.Code):
			p.Text = sentence(msg)
		case he.Code < 500:
			p.Text = http.StatusText(he.Code) + "."
		}
	}
	if p.Status >= 500 {
		x.d.Logger.Error("console request failed", slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("route", c.Path()), slog.String("error", err.Error()))
	}
	if m := actionPath.FindStringSubmatch(c.Request().URL.Path); m != nil {
		p.BackHref, p.BackText = "/staff/requests/"+m[1], "Back to the request"
		// A form's address opened as a page (a reload, a bookmark, the
		// back button): the router has only the POST, and says 404.
		if p.Status == http.StatusNotFound || p.Status == http.StatusMethodNotAllowed {
			p.Status, p.Title = http.StatusMethodNotAllowed, titles[http.StatusMethodNotAllowed]
			p.Text = "This address is what a button on the request's page sends; opening it does nothing. Nothing was changed."
		}
	}
	return p
}

// sentence makes a short message a sentence: a capital first letter and
// a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// problemPage renders p. A signed-in person gets the whole layout (the
// router's 404 and 405 come before the session check, so the session is
// looked up here, read-only); others a page without the menu.
func (x *Console) problemPage(c echo.Context, p *problem) error {
	if p.BackHref == "" {
		p.BackHref, p.BackText = "/staff/", "Back to the queue"
	}
	if p.Admin != "" {
		x.d.Logger.Warn("console feature not set up", slog.String("route", c.Path()), slog.String("hint", p.Admin))
	}
	if session(c).Name == "" {
		if ck, err := c.Cookie(sessionCookie); err == nil {
			ctx, cancel := x.ctx(c)
			sess, err := x.d.Sessions.Get(ctx, ck.Value)
			cancel()
			if err == nil {
				c.Set(sessionKey, sess)
			}
		}
	}
	pg := page{Title: p.Title, Problem: p}
	if session(c).Name != "" {
		pg = x.base(c, p.Title)
		pg.Problem = p
		if !x.isAdmin(c) {
			p.Admin = ""
		}
	} else {
		p.Admin = ""
		if p.BackHref == "/staff/" {
			p.BackHref, p.BackText = "/staff/signin", "Go to sign-in"
		}
	}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(p.Status)
	}
	return x.render(c, p.Status, "error.html", pg)
}

// isAdmin reports whether the signed-in person is an admin.
func (x *Console) isAdmin(c echo.Context) bool {
	ctx, cancel := x.ctx(c)
	defer cancel()
	acct, err := x.d.Staff.Get(ctx, session(c).Name)
	return err == nil && acct.Admin
}
