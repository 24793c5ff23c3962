// Package server assembles a whole Switchboard from its parts: the call flow,
// the callback queue with its spool, staff accounts, the API, the console
// and the HTTP server. The service, the in-process call simulator and the
// tests all build it here, so they run the same code.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/api"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/console"
	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/internal/metrics"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/internal/reports"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/staff"
	"github.com/switchboard-clinic/switchboard/internal/twilioapi"
	"github.com/switchboard-clinic/switchboard/ivr"
)

// Options are what New needs.
type Options struct {
	Env    config.Env // PublicURL, AuthToken, AccountSID, RedisPrefix, RedisTimeout
	Live   *config.Live
	Redis  redis.UniversalClient
	Now    func() time.Time
	Logger *slog.Logger
	// SpoolDir holds the callback spool.
	SpoolDir string
	// DataSealer seals client data at rest (the data key, and old keys
	// for reading). Required: every instance on one Redis needs the same key.
	DataSealer *seal.Sealer
	// StateSecret seals values carried in TwiML URLs; empty means the auth
	// token (every instance of a line derives the same key from it).
	StateSecret []byte
	// TwilioHTTP is the HTTP client for Twilio's REST API (tests point it at
	// a fake); nil means a default one with a 10-second timeout.
	TwilioHTTP *http.Client
	// InsecureCookies drops the Secure flag from console cookies even when
	// the public URL is https (a browser test over plain http).
	InsecureCookies bool
	// SetSimulatedTime, in local mode, is told the simulator's time of
	// each webhook (zero without one): serve's clock follows it.
	SetSimulatedTime func(time.Time)
	// StatusGrace is how long a status callback's outcome waits for the
	// call's last step to be recorded by another instance (serve: 2 s).
	StatusGrace time.Duration
}

// Server is an assembled Switchboard: an http.Handler for the whole HTTP
// surface, and the parts the commands and tests reach into.
type Server struct {
	http     *surface
	log      *slog.Logger
	Flow     *ivr.Flow
	Queue    *callback.Queue
	Spool    *callback.Spool
	Recorder *callback.Recorder
	Staff    *staff.Store
	Duty     *duty.Roster
	// DutyWatch texts the admins when a ring group has nobody taking calls
	// while the office is open; its Run is started by the server's owner.
	DutyWatch *duty.Watch
	Calls     *calls.Store
	// Tracks writes what calls did and decides their outcomes in the
	// background; its Run is started and stopped by the server's owner.
	Tracks *calls.Writer
	// Texts sends missed-call texts in the background; its Run is
	// started and stopped by the server's owner, like Tracks.
	Texts    *callback.Texter
	Reports  *reports.Book
	Sessions *console.Sessions
	Live     *config.Live
	Metrics  *metrics.Metrics
}

// New assembles a Switchboard. Without an auth token webhooks are not
// checked (local mode: the caller must keep it on loopback). The parts'
// constructors name themselves in their errors, so those are returned as
// they are.
func New(o Options) (*Server, error) {
	switch {
	case o.Live == nil, o.Redis == nil, o.Now == nil, o.Logger == nil, o.DataSealer == nil:
		return nil, errors.New("server: configuration, redis, clock, logger and data sealer are required")
	case o.Env.PublicURL == "":
		return nil, errors.New("server: the public URL is required")
	}
	line := o.Live.Current()
	a := &Server{Live: o.Live, log: o.Logger}
	a.Metrics = metrics.New(func(ctx context.Context) (metrics.QueueState, error) { return a.queueState(ctx, o.Now) })
	var err error
	if a.Queue, err = callback.NewQueue(callback.Options{
		Client: o.Redis, Sealer: o.DataSealer, Prefix: o.Env.RedisPrefix, Now: o.Now,
		ClaimTTL: line.Callback.ClaimTTL, Retention: line.Callback.Retention, Observer: a.Metrics,
		Replicas: o.Env.RedisReplicas, ReplicaWait: o.Env.RedisReplicaWait,
	}); err != nil {
		return nil, err
	}
	if a.Spool, err = callback.OpenSpool(o.SpoolDir); err != nil {
		return nil, err
	}
	timeout := o.Env.RedisTimeout
	if timeout <= 0 {
		timeout = 300 * time.Millisecond
	}
	if a.Recorder, err = callback.NewRecorder(a.Queue, a.Spool, timeout, o.Logger); err != nil {
		return nil, err
	}
	a.Recorder.KeepOrphansFor(o.Env.OrphanTTL)
	if a.Staff, err = staff.NewStore(o.Redis, o.Env.RedisPrefix, o.Now); err != nil {
		return nil, err
	}
	if a.Duty, err = duty.New(o.Redis, o.Env.RedisPrefix, o.Now); err != nil {
		return nil, err
	}
	if a.Calls, err = calls.New(o.Redis, o.Env.RedisPrefix, timeout); err != nil {
		return nil, err
	}
	if a.Reports, err = reports.New(o.Redis, o.Env.RedisPrefix, func() *time.Location { return o.Live.Current().Schedule.Location },
		func(err error) {
			o.Logger.Warn("report counts not written yet; kept for the next try", slog.String("error", err.Error()))
		}); err != nil {
		return nil, err
	}
	events := callEvents{m: a.Metrics, book: a.Reports, now: o.Now}
	a.Recorder.OnCreate(func(_ string, reason callback.Reason) {
		if reason != callback.ReasonMissedCall { // counted as the call's outcome instead
			events.count(reports.Requests)
		}
	})
	a.Queue.OnFirstAttempt(func(r *callback.Request, at time.Time) {
		line := o.Live.Current()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		attempt := reports.Attempt{At: at, Waited: line.WaitingAge(r.CreatedAt, at), Late: line.Overdue(r.CreatedAt, at),
			Missed: r.Reason == callback.ReasonMissedCall, Lang: cmp.Or(r.Language, line.LanguageCode)}
		if err := a.Reports.FirstAttempt(ctx, attempt); err != nil {
			o.Logger.Warn("a report count was lost", slog.String("counter", "first attempt"), slog.String("error", err.Error()))
		}
	})
	secret := o.StateSecret
	if len(secret) == 0 {
		secret = []byte(o.Env.AuthToken)
	}
	sealer, err := ivr.NewSealer(secret)
	if err != nil {
		return nil, fmt.Errorf("%w (set TWILIO_AUTH_TOKEN or a state secret)", err)
	}
	if a.Tracks, err = calls.NewWriter(a.Calls, 4096, o.StatusGrace, o.Logger); err != nil {
		return nil, err
	}
	keys, err := callback.NewNumberKeys(secret)
	if err != nil {
		return nil, fmt.Errorf("%w (set TWILIO_AUTH_TOKEN or a state secret)", err)
	}
	tw, err := twilioClient(o)
	if err != nil {
		return nil, err
	}
	var sender callback.TextSender
	if tw != nil {
		sender = tw
	}
	if a.Texts, err = callback.NewTexter(a.Queue, sender, a.Metrics, o.Logger); err != nil {
		return nil, err
	}
	if a.Flow, err = ivr.New(ivr.Deps{
		Tracks: a.Tracks, Missed: a.Recorder, NumberKeys: keys, Texts: a.Texts,
		Line: o.Live.Line, BaseURL: o.Env.PublicURL, Now: o.Now, Logger: o.Logger,
		Recorder: a.Recorder, Sealer: sealer, Events: events, Duty: a.Duty, Legs: a.Calls,
		// Without an auth token (local mode, loopback only) the simulator may
		// set the clock per request.
		SimulatedTime: o.Env.AuthToken == "", SetSimulatedTime: o.SetSimulatedTime,
	}); err != nil {
		return nil, err
	}
	staffAPI, err := api.New(a.Queue, a.Staff, o.Logger, 2*time.Second)
	if err != nil {
		return nil, err
	}
	staffAPI.OnReload(a.Reload)
	cons, err := a.console(o, tw)
	if err != nil {
		return nil, err
	}
	var validator ivr.Validator
	if o.Env.AuthToken != "" {
		validator = ivr.NewSignatureValidator(o.Env.AuthToken)
	}
	if a.http, err = newSurface(surfaceDeps{
		Flow: a.Flow, Validator: validator, BaseURL: o.Env.PublicURL, AccountSID: o.Env.AccountSID, TrustedProxies: o.Env.TrustedProxies,
		MetricsOwnListener: o.Env.MetricsAddr != "", Logger: o.Logger, Redis: o.Redis,
		SMS: &duty.SMS{Roster: a.Duty, Names: staffNames{a.Staff}, OptOuts: optOuts{a.Texts, keys}, Line: o.Live.Current, Now: o.Now, Log: o.Logger, Watch: a.DutyWatch},
		API: staffAPI, Spooled: a.Recorder.Waiting, Orphans: a.Recorder.Orphans, Unreplicated: a.Recorder.Unreplicated, SpoolCheck: a.Spool.Check, Console: cons, Metrics: a.Metrics,
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// ServeHTTP serves a request.
func (a *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.http.echo.ServeHTTP(w, r)
}

// MetricsHandler serves /metrics alone, for a listener of its own
// (SWITCHBOARD_METRICS_ADDR).
func (a *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	return mux
}

// console builds the staff console and, with Twilio credentials, its REST
// client and the new-request SMS.
func (a *Server) console(o Options, c *twilioapi.Client) (*console.Console, error) {
	var err error
	if a.Sessions, err = console.NewSessions(o.Redis, o.Env.RedisPrefix, 8*time.Hour, 12*time.Hour, o.Now); err != nil {
		return nil, err
	}
	line := o.Live.Current()
	var tw console.Twilio
	watch := duty.WatchOptions{Roster: a.Duty, Line: o.Live.Current, Now: o.Now, Admins: staffNames{a.Staff}, Logger: o.Logger}
	if c != nil {
		tw, watch.Texter = c, c
		a.Recorder.DeleteRecordingsWith(c, func() bool { return o.Live.Current().Callback.DeleteRecordings })
		if len(line.Callback.NotifySMS) > 0 {
			n, err := twilioapi.NewNotifier(c, line.MainNumber, line.Callback.NotifySMS, line.Practice, o.Logger)
			if err != nil {
				return nil, err
			}
			a.Recorder.OnCreate(func(_ string, reason callback.Reason) { n.NewRequest(reason.Urgent()) })
		}
	}
	if a.DutyWatch, err = duty.NewWatch(watch); err != nil {
		return nil, err
	}
	cons, err := console.New(console.Deps{
		Queue: a.Queue, Staff: a.Staff, Sessions: a.Sessions, Line: o.Live.Current, Now: o.Now, Logger: o.Logger, Duty: a.Duty, Reports: a.Reports,
		Watch:  a.DutyWatch,
		Twilio: tw, Secure: strings.HasPrefix(o.Env.PublicURL, "https://") && !o.InsecureCookies, Origin: o.Env.PublicURL,
		Unreplicated: a.Recorder.Unreplicated,
	})
	if err != nil {
		return nil, err
	}
	return cons, nil
}

// twilioClient is the Twilio REST client, or nil without credentials.
func twilioClient(o Options) (*twilioapi.Client, error) {
	if o.Env.AccountSID == "" || o.Env.AuthToken == "" {
		return nil, nil
	}
	c, err := twilioapi.New(o.Env.AccountSID, o.Env.AuthToken, o.TwilioHTTP)
	if err != nil {
		return nil, err
	}
	c.SetRecordingKeys(o.Env.RecordingKeys) // nil: recordings play as Twilio serves them
	return c, nil
}

// optOuts records texts' opt-out keywords by number key.
type optOuts struct {
	t    *callback.Texter
	keys *callback.NumberKeys
}

func (o optOuts) SetOptOut(ctx context.Context, from string, out bool) error {
	n, ok := phone.Caller(from)
	if !ok {
		return nil
	}
	return o.t.SetOptOut(ctx, o.keys.Of(n), out)
}

// staffNames finds the account of a phone for the duty log.
type staffNames struct{ s *staff.Store }

// AdminPhones lists the phones of the admins, whom the duty watch texts.
func (n staffNames) AdminPhones(ctx context.Context) ([]string, error) {
	accounts, err := n.s.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range accounts {
		if a.Admin && a.Phone != "" {
			out = append(out, a.Phone)
		}
	}
	return out, nil
}

func (n staffNames) NameOfPhone(ctx context.Context, e164 string) (string, bool, error) {
	accounts, err := n.s.List(ctx)
	if err != nil {
		return "", false, err
	}
	for _, a := range accounts {
		if a.Phone == e164 {
			return a.Name, true, nil
		}
	}
	return "", false, nil
}

// Reload re-reads the configuration; a file with problems is refused and the
// running configuration stays. It returns the new version.
func (a *Server) Reload() (string, error) {
	line, err := a.Live.Reload()
	if err != nil {
		return "", err
	}
	return line.Version, nil
}

// queueState reads the queue for the metrics: depth, claims, the oldest
// pending request, how many of the first 200 in the queue (urgent ones
// first, then the oldest) are overdue, and the spool.
func (a *Server) queueState(ctx context.Context, now func() time.Time) (metrics.QueueState, error) {
	st := metrics.QueueState{Spooled: a.Recorder.Spooled()}
	st.Unreplicated, st.OldestUnreplicated = a.Recorder.Unreplicated()
	stats, err := a.Queue.Stats(ctx)
	if err != nil {
		return st, err
	}
	st.Pending, st.Claimed, st.OldestPending = int(stats.Pending), int(stats.Claimed), stats.OldestPending
	line := a.Live.Current()
	pending, _, err := a.Queue.List(ctx, callback.StatusPending, 200, "")
	if err != nil {
		return st, err
	}
	for _, r := range pending {
		if line.Overdue(r.CreatedAt, now()) {
			st.Overdue++
		}
	}
	return st, nil
}
