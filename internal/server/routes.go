package server

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/ivr"
)

// maxBody is the largest body accepted anywhere: 64 KiB (in Echo's units
// "64K" would be 64,000 bytes). Twilio's webhooks are a few KiB.
const maxBody = "64KiB"

// routes lists the whole HTTP surface and the middleware on each part.
func (s *surface) routes() error {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	// Metrics are never public: on a listener of their own when one is
	// configured, else here for loopback clients that are not behind a
	// proxy (a proxy's X-Forwarded-For means the request came from outside).
	if s.deps.Metrics != nil && !s.deps.MetricsOwnListener {
		e.GET("/metrics", echo.WrapHandler(s.deps.Metrics.Handler()), s.loopbackOnly)
	}
	verify, err := ivr.VerifySignature(s.deps.Validator, s.deps.BaseURL, s.deps.AccountSID, s.deps.Logger, s.deps.Metrics.SignatureFailure)
	if err != nil {
		return fmt.Errorf("server routes: %w", err)
	}
	// Twilio webhooks: body limit, then the signature check on every route.
	tw := []echo.MiddlewareFunc{s.timeWebhooks, middleware.BodyLimit(maxBody), verify}
	s.deps.Flow.Routes(e, tw...)
	if s.deps.SMS != nil {
		e.POST(duty.PathSMS, s.deps.SMS.Handle, tw...)
	}

	// Staff API: body limit, then a bearer token on every route.
	if a := s.deps.API; a != nil {
		a.Routes(e.Group("/api/v1", middleware.BodyLimit(maxBody), a.RequireStaff))
	}

	// Staff console: security headers and a body limit everywhere; a session
	// (and, for forms, its CSRF token) on everything but sign-in and assets.
	if x := s.deps.Console; x != nil {
		e.GET("/staff", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/staff/") })
		st := e.Group("/staff", x.Headers, middleware.BodyLimit(maxBody))
		st.GET("/static/:name", x.Static)
		st.GET("/signin", x.SignInForm)
		st.POST("/signin", x.SignIn)
		in := st.Group("", x.RequireSession)
		in.GET("/", x.QueuePage)
		in.GET("/queue/rows", x.QueueRows)
		in.POST("/signout", x.SignOut)
		in.GET("/requests/:id", x.RequestPage)
		in.POST("/requests/:id/claim", x.Claim)
		in.POST("/requests/:id/release", x.Release)
		in.POST("/requests/:id/complete", x.Complete)
		in.POST("/requests/:id/note", x.Note)
		in.POST("/requests/:id/reveal", x.Reveal)
		in.POST("/requests/:id/call", x.Call)
		in.GET("/requests/:id/audio", x.Audio)
		in.GET("/done", x.DonePage)
		in.POST("/done", x.DonePage)
		in.POST("/duty", x.SetMyDuty)
		in.GET("/duty", x.DutyPage)
		in.POST("/duty/member", x.SetDuty)
		in.GET("/reports", x.ReportsPage)
		in.GET("/reports.csv", x.ReportsCSV)
	}
	return nil
}
