package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/logbatch"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/server"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/ivr"
	"github.com/switchboard-clinic/switchboard/routing"
)

// newHandler is the process log's handler in the configured format.
func newHandler(format string, w io.Writer) slog.Handler {
	if format == "json" {
		return slog.NewJSONHandler(w, nil)
	}
	return slog.NewTextHandler(w, nil)
}

// logFlushInterval is the longest a log line waits in serve's batch.
const logFlushInterval = 100 * time.Millisecond

// serve runs the webhook service until ctx is cancelled.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	env, err := config.FromEnv(getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	// Log lines are written in batches (one write for many request lines):
	// at most logFlushInterval late, warnings and errors at once, and
	// everything when serve returns (Run's last flush, after every other
	// deferred step).
	logs := logbatch.New(stderr)
	flushCtx, stopFlushing := context.WithCancel(context.WithoutCancel(ctx))
	flushDone := make(chan struct{})
	go func() { defer close(flushDone); logs.Run(flushCtx, logFlushInterval) }()
	defer func() { stopFlushing(); <-flushDone }()
	log := slog.New(logbatch.Urgent(newHandler(env.LogFormat, logs), logs, slog.LevelWarn))
	if env.LocalMode() {
		if !env.LoopbackOnly() {
			return &exitError{code: 2, err: fmt.Errorf("refusing to listen on %s without TWILIO_AUTH_TOKEN: "+
				"unsigned webhooks are accepted only on loopback (set TWILIO_AUTH_TOKEN, or SWITCHBOARD_ADDR=127.0.0.1:8080)", env.Addr)}
		}
		log.Warn("LOCAL MODE: TWILIO_AUTH_TOKEN is not set, so webhook signatures are NOT checked; listening on loopback only")
	}
	sealer, err := dataSealer(env)
	if err != nil {
		return &exitError{code: 2, err: err}
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

	if env.AccountSID == "" {
		log.Warn("TWILIO_ACCOUNT_SID not set: the console cannot play voice messages or place calls, and no new-request SMS is sent")
	}
	live := config.NewLive(env.ConfigPath, line)
	var stateSecret []byte
	if env.LocalMode() {
		stateSecret = ivr.RandomSecret() // one local instance: any key will do
	}
	// In local mode the clock follows the simulator's --at, so that a
	// simulated call is counted on its own day and waits from its own time.
	now, setSimTime := time.Now, func(time.Time) {}
	if env.LocalMode() {
		clock := simulate.NewClock(time.Now)
		now, setSimTime = clock.Now, clock.Set
	}
	a, err := server.New(server.Options{
		Env: env, Live: live, Redis: rdb, Now: now, Logger: log,
		SpoolDir: filepath.Join(env.DataDir, "spool"), StateSecret: stateSecret, StatusGrace: 2 * time.Second,
		DataSealer: sealer, SetSimulatedTime: setSimTime,
	})
	if err != nil {
		return err
	}
	if n := a.Spool.Len(); n > 0 {
		log.Warn("callback spool holds writes from an earlier run; replaying them into redis", slog.Int("spooled", n))
	}
	demoToken := ""
	if env.RedisURL == "" {
		if demoToken, err = addDemo(ctx, a, line); err != nil {
			return fmt.Errorf("demo staff account: %w", err)
		}
	}
	srv := a

	ln, err := net.Listen("tcp", env.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", env.Addr, err)
	}
	var mln net.Listener
	if env.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", env.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen for metrics on %s: %w", env.MetricsAddr, err)
		}
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

	// Every background loop runs under the server, which stops and flushes
	// them once the HTTP servers are done.
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	bgDone := make(chan struct{})
	go func() { defer close(bgDone); a.Run(bgCtx) }()
	// SIGHUP re-reads the configuration; a bad file is refused and logged.
	go reloadOnHangup(bgCtx, a, log)

	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	if mln != nil {
		ms := &http.Server{Handler: a.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second}
		defer ms.Close()
		log.Info("metrics listening", slog.String("addr", mln.Addr().String()))
		go func() { errc <- ms.Serve(mln) }()
	}
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
	return serveErr
}

// writeState writes the embedded store's URL for this user alone.
func writeState(path, url string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(url+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// reloadOnHangup re-reads the configuration on every SIGHUP until ctx ends.
func reloadOnHangup(ctx context.Context, a *server.Server, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if v, err := a.Reload(); err != nil {
				log.Error("SIGHUP: configuration refused; the running one stays", slog.String("error", err.Error()))
			} else {
				log.Info("SIGHUP: configuration reloaded", slog.String("version", v))
			}
		}
	}
}

// dataSealer is the sealer of client data at rest: the data key (and old
// keys) from the environment. The embedded store, which keeps nothing, gets
// a random key of its own; a real Redis without a key is refused.
func dataSealer(env config.Env) (*seal.Sealer, error) {
	if env.DataKey == nil {
		if env.RedisURL != "" {
			return nil, errors.New("refusing to store client data in REDIS_URL without a data key: " +
				"make one with 'switchboard keys new' and set SWITCHBOARD_DATA_KEY (or SWITCHBOARD_DATA_KEY_FILE); every instance needs the same key")
		}
		return seal.Random(), nil
	}
	s, err := seal.New(env.DataKey, env.OldDataKeys...)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	return s, nil
}

// addDemo creates the try-out's "demo" account: an admin, with the first
// phone of the scheduling (fallback) ring group, so that the duty and
// reports pages can be tried. The built-in configuration's phones are
// fictional 555-01xx numbers.
func addDemo(ctx context.Context, a *server.Server, line *routing.Line) (string, error) {
	token, err := a.Staff.Add(ctx, "demo")
	if err != nil {
		return "", err
	}
	if err := a.Staff.SetAdmin(ctx, "demo", true); err != nil {
		return "", err
	}
	for _, m := range line.Groups[line.Fallback].Members {
		if m.Kind == routing.MemberPhone {
			return token, a.Staff.SetPhone(ctx, "demo", m.Address)
		}
	}
	return token, nil
}

// embeddedStateFile is where serve writes the embedded store's address and
// password (mode 0600) while it runs, so that "switchboard staff" run with
// the same SWITCHBOARD_DATA_DIR can reach it.
func embeddedStateFile(env config.Env) string {
	return filepath.Join(env.DataDir, "embedded-redis.url")
}

// embeddedWarning is said by serve and by the staff commands on the
// embedded store.
const embeddedWarning = "NO REDIS_URL: using an embedded in-memory Redis. NOTHING IS KEPT: callback requests and staff accounts are lost when Switchboard stops"

// openRedis connects to REDIS_URL or starts the embedded store (and writes
// its state file).
func openRedis(env config.Env, log *slog.Logger) (redis.UniversalClient, func(), error) {
	if env.RedisURL == "" {
		emb, err := redisconn.StartEmbedded()
		if err != nil {
			return nil, nil, err
		}
		log.Warn(embeddedWarning)
		state := embeddedStateFile(env)
		if err := writeState(state, emb.URL()); err != nil {
			log.Warn("the staff commands cannot reach the embedded store", slog.String("error", err.Error()))
		}
		return emb.Client, func() { _ = os.Remove(state); _ = emb.Close() }, nil
	}
	rdb, err := redisconn.Connect(env.RedisURL, env.RedisTimeout)
	if err != nil {
		return nil, nil, err
	}
	return rdb, func() { _ = rdb.Close() }, nil
}
