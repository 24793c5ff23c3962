// Package redisconn connects Switchboard to Redis: a real server given by a URL,
// with timeouts short enough for a phone call, or an embedded in-memory
// server for demos that keeps nothing across restarts.
package redisconn

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Connect returns a client for REDIS_URL. The same code serves three kinds of
// deployment, through redis.UniversalClient:
//
//	redis://[:password@]host:port/0                       one server (also rediss://, unix://)
//	redis://host:port?master_name=NAME&addr=host2:port2   Sentinel (the hosts are sentinels)
//	redis+cluster://host:port?addr=host2:port2            Cluster (also any URL with addr= and no master_name)
//
// timeout bounds each command; go-redis's defaults (5 s timeouts, several
// retries and dial attempts) would leave a caller in silence while Redis is
// down.
func Connect(rawURL string, timeout time.Duration) (redis.UniversalClient, error) {
	if timeout <= 0 {
		return nil, errors.New("redis timeout must be positive")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	q := u.Query()
	dial := max(timeout, 500*time.Millisecond)
	switch {
	case strings.HasSuffix(u.Scheme, "+cluster") || (q.Has("addr") && !isSentinel(q)):
		u.Scheme = strings.TrimSuffix(u.Scheme, "+cluster")
		opt, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("parse cluster REDIS_URL: %w", err)
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = dial, timeout, timeout, timeout
		opt.MaxRetries, opt.DialerRetries, opt.ContextTimeoutEnabled = 1, 1, true
		opt.MaxRedirects = 3
		return redis.NewClusterClient(opt), nil
	case isSentinel(q):
		opt, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("parse sentinel REDIS_URL: %w", err)
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = dial, timeout, timeout, timeout
		opt.MaxRetries, opt.DialerRetries, opt.ContextTimeoutEnabled = 1, 1, true
		return redis.NewFailoverClient(opt), nil
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = dial, timeout, timeout, timeout
	opt.MaxRetries, opt.DialerRetries, opt.ContextTimeoutEnabled = 1, 1, true
	return redis.NewClient(opt), nil
}

// IsSentinel reports whether rawURL names a Sentinel deployment (a
// master_name parameter), as Connect reads it.
func IsSentinel(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && isSentinel(u.Query())
}

func isSentinel(q url.Values) bool { return q.Has("master_name") }

// logger routes go-redis's internal messages (dial retries) to slog.
type logger struct{ log *slog.Logger }

func (l logger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn("redis client", slog.String("message", fmt.Sprintf(format, v...)))
}

// RouteClientLogs sends go-redis's own log lines (otherwise printed to
// stderr) to log. go-redis keeps one logger per process, so the binary's
// main calls this once.
func RouteClientLogs(log *slog.Logger) {
	redis.SetLogger(logger{log: log})
}

// Embedded is an in-process Redis (miniredis) for running without a server.
// Everything in it is lost when the process exits.
type Embedded struct {
	server   *miniredis.Miniredis
	password string
	Client   redis.UniversalClient
}

// StartEmbedded starts an embedded Redis on a loopback port. It takes a
// random password, so that only who can read URL (the serve process, and
// the state file it writes for the staff commands) can reach it.
func StartEmbedded() (*Embedded, error) {
	m := miniredis.NewMiniRedis()
	pw := rand.Text()
	m.RequireAuth(pw)
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	client := redis.NewClient(&redis.Options{Addr: m.Addr(), Password: pw, MaxRetries: 1, ContextTimeoutEnabled: true})
	return &Embedded{server: m, password: pw, Client: client}, nil
}

// URL is the embedded store's address with its password, as REDIS_URL
// would give it.
func (e *Embedded) URL() string {
	return (&url.URL{Scheme: "redis", User: url.UserPassword("", e.password), Host: e.server.Addr()}).String()
}

// Close stops the embedded server and its client.
func (e *Embedded) Close() error {
	err := e.Client.Close()
	e.server.Close()
	return err
}

// Ping reports whether Redis answers within timeout.
func Ping(ctx context.Context, c redis.UniversalClient, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}
