package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/ivr"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/switchboard-clinic/switchboard/server"
	"github.com/switchboard-clinic/switchboard/store"
	"github.com/twilio/twilio-go/client"
)

// newLogger builds the process logger in the configured format.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// serve runs the webhook service until ctx is cancelled.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	env, err := config.FromEnv(getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	log := newLogger(env.LogFormat, stderr)
	if env.LocalMode() {
		if !env.LoopbackOnly() {
			return &exitError{code: 2, err: fmt.Errorf("refusing to listen on %s without TWILIO_AUTH_TOKEN: "+
				"unsigned webhooks are accepted only on loopback (set TWILIO_AUTH_TOKEN, or SWITCHBOARD_ADDR=127.0.0.1:8080)", env.Addr)}
		}
		log.Warn("LOCAL MODE: TWILIO_AUTH_TOKEN is not set, so webhook signatures are NOT checked; listening on loopback only")
	}
	line, err := config.LoadFile(env.ConfigPath)
	if err != nil {
		return fmt.Errorf("load line configuration: %w", err)
	}
	if env.ConfigPath == "" {
		log.Warn("using the built-in line configuration: its scheduling numbers are fictional 555-01xx numbers; set SWITCHBOARD_CONFIG")
	}

	rdb, closeRedis, err := openRedis(env, log)
	if err != nil {
		return err
	}
	defer closeRedis()

	flow, err := ivr.New(ivr.Deps{
		Line:    func() *routing.Line { return line },
		BaseURL: env.PublicURL,
		Now:     time.Now,
		Logger:  log,
	})
	if err != nil {
		return fmt.Errorf("build call flow: %w", err)
	}
	var validator ivr.Validator
	if !env.LocalMode() {
		v := client.NewRequestValidator(env.AuthToken)
		validator = &v
	}
	srv, err := server.New(server.Deps{Flow: flow, Validator: validator, BaseURL: env.PublicURL, Logger: log, Redis: rdb})
	if err != nil {
		return fmt.Errorf("build server: %w", err)
	}

	ln, err := net.Listen("tcp", env.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", env.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      20 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("switchboard listening", slog.String("addr", ln.Addr().String()), slog.String("env", env.String()),
		slog.String("voice_webhook", env.PublicURL+ivr.PathVoice))
	fmt.Fprintf(stdout, "Switchboard is answering %s at %s%s\n", line.MainNumber, env.PublicURL, ivr.PathVoice)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// openRedis connects to REDIS_URL or starts the embedded store.
func openRedis(env config.Env, log *slog.Logger) (redis.UniversalClient, func(), error) {
	if env.RedisURL == "" {
		emb, err := store.StartEmbedded()
		if err != nil {
			return nil, nil, err
		}
		log.Warn("NO REDIS_URL: using an embedded in-memory Redis. NOTHING IS KEPT: callback requests and staff accounts are lost when Switchboard stops")
		return emb.Client, func() { _ = emb.Close() }, nil
	}
	rdb, err := store.Connect(env.RedisURL, env.RedisTimeout)
	if err != nil {
		return nil, nil, err
	}
	return rdb, func() { _ = rdb.Close() }, nil
}
