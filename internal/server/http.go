package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/api"
	"github.com/switchboard-clinic/switchboard/internal/console"
	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/internal/metrics"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/ivr"
)

// surfaceDeps are what the HTTP surface needs. Validator may be nil only in
// local mode.
type surfaceDeps struct {
	Flow      *ivr.Flow
	SMS       *duty.SMS     // the schedulers' ON/OFF texts
	Validator ivr.Validator // nil: local mode, webhooks are not checked
	BaseURL   string
	// AccountSID, when set, is the only AccountSid a signed webhook may carry.
	AccountSID string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// MetricsOwnListener: /metrics is served elsewhere, not on this router.
	MetricsOwnListener bool
	Logger             *slog.Logger
	Redis              redis.UniversalClient
	// ReadyTimeout bounds the Redis ping behind /readyz.
	ReadyTimeout time.Duration
	// API is the staff JSON API; nil leaves /api/v1 out.
	API *api.API
	// Spooled reports callback writes waiting for Redis; nil means none.
	Spooled func() int
	// Orphans reports spooled updates whose request is unknown; they are
	// shown but do not make the service unready.
	Orphans func() int
	// Unreplicated reports callback writes the master took that no replica
	// has acknowledged yet, and when the oldest was taken; nil means none.
	// Staff see them, so they do not make the service unready.
	Unreplicated func() (int, time.Time)
	// SpoolCheck reports whether the spool can take a write; nil skips it.
	SpoolCheck func() error
	// Console is the staff web console; nil leaves /staff out.
	Console *console.Console
	// Metrics serves /metrics and times webhooks; nil leaves both out.
	Metrics *metrics.Metrics
}

// surface is Switchboard's HTTP handler: the Echo instance, its middleware
// and the routes of routes.go.
type surface struct {
	deps surfaceDeps
	echo *echo.Echo
}

// newSurface builds the Echo instance and its routes.
func newSurface(d surfaceDeps) (*surface, error) {
	switch {
	case d.Flow == nil:
		return nil, errors.New("http surface: Flow is required")
	case d.BaseURL == "":
		return nil, errors.New("http surface: BaseURL is required")
	case d.Logger == nil:
		return nil, errors.New("http surface: Logger is required")
	case d.Redis == nil:
		return nil, errors.New("http surface: Redis is required")
	}
	if d.ReadyTimeout <= 0 {
		d.ReadyTimeout = 500 * time.Millisecond
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// Sign-in throttling keys on the client address: the connection's peer,
	// or, behind proxies the operator trusts, the last address in
	// X-Forwarded-For that none of them added. Nothing else is trusted: not
	// loopback, private or link-local peers by default.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(d.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range d.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	s := &surface{deps: d, echo: e}
	// The console's errors, the router's 404 and 405 under /staff/
	// included, are pages for people; everything else keeps Echo's JSON.
	if d.Console != nil {
		e.HTTPErrorHandler = func(err error, c echo.Context) {
			if p := c.Request().URL.Path; p == "/staff" || strings.HasPrefix(p, "/staff/") {
				d.Console.HandleError(err, c)
				return
			}
			e.DefaultHTTPErrorHandler(err, c)
		}
	}
	// Request ids are made here: a client's X-Request-Id is dropped, never
	// echoed or logged.
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Request().Header.Del(echo.HeaderXRequestID)
			return next(c)
		}
	})
	e.Use(middleware.RequestID())
	e.Use(s.requestLog())
	e.Use(middleware.Recover())
	if err := s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

// requestLog writes one line per request: what was asked, the answer, the
// request id and the CallSid. Numbers and bodies are never logged.
func (s *surface) requestLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus:    true,
		LogMethod:    true,
		LogURIPath:   true,
		LogRoutePath: true,
		LogLatency:   true,
		LogRequestID: true,
		LogError:     true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []slog.Attr{
				slog.String("request_id", v.RequestID),
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.String("route", v.RoutePath),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
			}
			if sid := c.Request().PostForm.Get("CallSid"); sid != "" {
				attrs = append(attrs, slog.String("call_sid", sid))
			}
			level := slog.LevelInfo
			if v.Error != nil {
				attrs = append(attrs, slog.String("error", v.Error.Error()))
				if v.Status >= 500 {
					level = slog.LevelError
				}
			}
			s.deps.Logger.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

func (s *surface) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readiness is the body of /readyz.
type readiness struct {
	Status  string `json:"status"` // ready, degraded
	Redis   string `json:"redis"`  // ok, unreachable
	Spool   string `json:"spool"`  // ok, or why it cannot be written
	Spooled int    `json:"spooled"`
	Orphans int    `json:"orphans"`
	// Unreplicated writes are on the master, not yet on a replica: a
	// failover could drop them from Redis, and this instance's spool would
	// put them back.
	Unreplicated              int     `json:"unreplicated"`
	OldestUnreplicatedSeconds float64 `json:"oldestUnreplicatedSeconds"`
}

// readyz answers 200 when this instance can serve: Redis answers and no
// write waits in the spool for it (writes that only wait for a replica are
// counted, and staff see them); 503 with the reason otherwise.
func (s *surface) readyz(c echo.Context) error {
	r := readiness{Status: "ready", Redis: "ok", Spool: "ok"}
	if s.deps.Unreplicated != nil {
		n, oldest := s.deps.Unreplicated()
		if r.Unreplicated = n; n > 0 {
			r.OldestUnreplicatedSeconds = time.Since(oldest).Round(time.Second).Seconds()
		}
	}
	if err := redisconn.Ping(context.WithoutCancel(c.Request().Context()), s.deps.Redis, s.deps.ReadyTimeout); err != nil {
		r.Status, r.Redis = "degraded", "unreachable"
	}
	if s.deps.Spooled != nil {
		if r.Spooled = s.deps.Spooled(); r.Spooled > 0 {
			r.Status = "degraded"
		}
	}
	if s.deps.Orphans != nil {
		r.Orphans = s.deps.Orphans()
	}
	if s.deps.SpoolCheck != nil {
		if err := s.deps.SpoolCheck(); err != nil {
			r.Status, r.Spool = "degraded", err.Error()
			s.deps.Logger.Error("the callback spool cannot be written: requests are lost if Redis fails too", slog.String("error", err.Error()))
		}
	}
	if r.Status != "ready" {
		return c.JSON(http.StatusServiceUnavailable, r)
	}
	return c.JSON(http.StatusOK, r)
}

// timeWebhooks records how long each Twilio webhook took, by route.
func (s *surface) timeWebhooks(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		s.deps.Metrics.ObserveWebhook(c.Path(), time.Since(start))
		return err
	}
}

// loopbackOnly refuses a request whose peer is not a loopback address,
// whose peer is a trusted proxy, or that carries any forwarding header
// (Forwarded, X-Forwarded-*, X-Real-IP): only a client on this machine that
// came through no proxy at all reads /metrics here.
func (s *surface) loopbackOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		proxied := err != nil || ip == nil || !ip.IsLoopback()
		for _, n := range s.deps.TrustedProxies {
			proxied = proxied || ip != nil && n.Contains(ip)
		}
		for name := range r.Header {
			k := strings.ToLower(name)
			proxied = proxied || k == "forwarded" || k == "x-real-ip" || strings.HasPrefix(k, "x-forwarded-")
		}
		if proxied {
			return echo.NewHTTPError(http.StatusForbidden, "metrics are served to loopback clients only (or set SWITCHBOARD_METRICS_ADDR)")
		}
		return next(c)
	}
}
