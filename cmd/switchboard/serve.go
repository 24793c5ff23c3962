package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/api"
	"github.com/switchboard-clinic/switchboard/callback"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/console"
	"github.com/switchboard-clinic/switchboard/ivr"
	"github.com/switchboard-clinic/switchboard/routing"
	"github.com/switchboard-clinic/switchboard/server"
	"github.com/switchboard-clinic/switchboard/staff"
	"github.com/switchboard-clinic/switchboard/store"
	"github.com/switchboard-clinic/switchboard/twilioapi"
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

	queue, err := callback.NewQueue(callback.Options{
		Client: rdb, Prefix: env.RedisPrefix, Now: time.Now,
		ClaimTTL: line.Callback.ClaimTTL, Retention: line.Callback.Retention,
	})
	if err != nil {
		return fmt.Errorf("callback queue: %w", err)
	}
	spool, err := callback.OpenSpool(filepath.Join(env.DataDir, "spool"))
	if err != nil {
		return fmt.Errorf("callback spool (SWITCHBOARD_DATA_DIR=%s): %w", env.DataDir, err)
	}
	if n := spool.Len(); n > 0 {
		log.Warn("callback spool holds writes from an earlier run; replaying them into redis", slog.Int("spooled", n))
	}
	recorder, err := callback.NewRecorder(queue, spool, env.RedisTimeout, log)
	if err != nil {
		return fmt.Errorf("callback recorder: %w", err)
	}
	staffStore, err := staff.NewStore(rdb, env.RedisPrefix, time.Now)
	if err != nil {
		return fmt.Errorf("staff store: %w", err)
	}
	demoToken := ""
	if env.RedisURL == "" {
		if demoToken, err = staffStore.Add(ctx, "demo"); err != nil {
			return fmt.Errorf("demo staff account: %w", err)
		}
	}
	sealer, err := stateSealer(env)
	if err != nil {
		return err
	}
	staffAPI, err := api.New(queue, staffStore, log, 2*time.Second)
	if err != nil {
		return fmt.Errorf("staff api: %w", err)
	}
	staffConsole, err := newConsole(env, line, queue, staffStore, recorder, rdb, log)
	if err != nil {
		return err
	}

	flow, err := ivr.New(ivr.Deps{
		Line:     func() *routing.Line { return line },
		BaseURL:  env.PublicURL,
		Now:      time.Now,
		Logger:   log,
		Recorder: recorder,
		Sealer:   sealer,
	})
	if err != nil {
		return fmt.Errorf("build call flow: %w", err)
	}
	var validator ivr.Validator
	if !env.LocalMode() {
		v := client.NewRequestValidator(env.AuthToken)
		validator = &v
	}
	srv, err := server.New(server.Deps{
		Flow: flow, Validator: validator, BaseURL: env.PublicURL, Logger: log, Redis: rdb,
		API: staffAPI, Spooled: recorder.Spooled, Console: staffConsole,
	})
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
	if demoToken != "" {
		fmt.Fprintf(stdout, "Embedded store: staff account \"demo\" lasts until Switchboard stops. Its API token (SWITCHBOARD_TOKEN):\n%s\n", demoToken)
	}

	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		recorder.Run(bgCtx, 2*time.Second, time.Minute)
	}()

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
		serveErr = fmt.Errorf("shutdown: %w", err)
	}
	stopBackground()
	<-bgDone
	// One last attempt to hand spooled requests to Redis; what stays is kept
	// on disk and replayed at the next start.
	if spool.Len() > 0 {
		if _, err := recorder.Replay(shutdownCtx); err != nil {
			log.Warn("spool not drained at shutdown; kept on disk", slog.String("error", err.Error()))
		}
		if n := spool.Len(); n > 0 {
			log.Warn("callback writes remain in the spool for the next start", slog.Int("spooled", n), slog.String("path", spool.Path()))
		}
	}
	return serveErr
}

// stateSealer protects values carried in TwiML URLs. With a Twilio auth
// token every instance derives the same key from it; in local mode a random
// key serves the one instance.
func stateSealer(env config.Env) (*ivr.Sealer, error) {
	secret := []byte(env.AuthToken)
	if env.LocalMode() {
		secret = ivr.RandomSecret()
	}
	s, err := ivr.NewSealer(secret)
	if err != nil {
		return nil, fmt.Errorf("call state sealer: %w", err)
	}
	return s, nil
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

// newConsole builds the staff console and, with Twilio credentials, its
// REST client and the new-request SMS.
func newConsole(env config.Env, line *routing.Line, q *callback.Queue, st *staff.Store, rec *callback.Recorder,
	rdb redis.UniversalClient, log *slog.Logger) (*console.Console, error) {
	sessions, err := console.NewSessions(rdb, env.RedisPrefix, 8*time.Hour, 12*time.Hour, time.Now)
	if err != nil {
		return nil, fmt.Errorf("console sessions: %w", err)
	}
	var tw console.Twilio
	if env.AccountSID != "" && env.AuthToken != "" {
		client, err := twilioapi.New(env.AccountSID, env.AuthToken, nil)
		if err != nil {
			return nil, err
		}
		tw = client
		if len(line.Callback.NotifySMS) > 0 {
			n, err := twilioapi.NewNotifier(client, line.MainNumber, line.Callback.NotifySMS, line.Practice, log)
			if err != nil {
				return nil, err
			}
			rec.OnCreate(n.NewRequest)
		}
	} else {
		log.Warn("TWILIO_ACCOUNT_SID not set: the console cannot play voice messages or place calls, and no new-request SMS is sent")
	}
	c, err := console.New(console.Deps{
		Queue: q, Staff: st, Sessions: sessions, Line: func() *routing.Line { return line }, Now: time.Now, Logger: log,
		Twilio: tw, Secure: strings.HasPrefix(env.PublicURL, "https://"), Deadline: line.Callback.Deadline,
		DeleteRecordings: line.Callback.DeleteRecordings,
	})
	if err != nil {
		return nil, fmt.Errorf("staff console: %w", err)
	}
	return c, nil
}
