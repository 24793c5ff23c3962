package server

import (
	"fmt"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/switchboard-clinic/switchboard/ivr"
)

// maxWebhookBody is the largest webhook body accepted; Twilio's are a few KiB.
const maxWebhookBody = "64K"

// routes lists the whole HTTP surface and the middleware on each part.
func (s *Server) routes() error {
	e, f := s.echo, s.deps.Flow
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	verify, err := ivr.VerifySignature(s.deps.Validator, s.deps.BaseURL, s.deps.Logger)
	if err != nil {
		return fmt.Errorf("server routes: %w", err)
	}
	// Twilio webhooks: body limit, then the signature check on every route.
	tw := []echo.MiddlewareFunc{middleware.BodyLimit(maxWebhookBody), verify}
	e.POST(ivr.PathVoice, f.Handler(f.Answer), tw...)
	e.POST(ivr.PathStatus, f.Status, tw...)
	e.POST(ivr.PathMenu, f.Handler(f.MenuChoice), tw...)
	e.POST(ivr.PathInfo, f.Handler(f.Info), tw...)
	e.POST(ivr.PathInfoChoice, f.Handler(f.InfoChoice), tw...)
	e.POST(ivr.PathRingResult, f.Handler(f.RingResult), tw...)
	e.POST(ivr.PathScreen, f.Handler(f.Screen), tw...)
	e.POST(ivr.PathScreenAnswer, f.Handler(f.ScreenAnswer), tw...)
	return nil
}
