// Package testserver assembles a whole Switchboard for tests: the real
// configuration loader, call flow, callback queue and spool, staff store,
// API and Echo router, on a real redis-server that the test owns.
package testserver

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/console"
	"github.com/switchboard-clinic/switchboard/internal/faketwilio"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/server"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/staff"
	"github.com/switchboard-clinic/switchboard/routing"
)

// Token and Base are the Twilio auth token and public URL of test servers.
const (
	Token = "5ecre7a0be5ecre7a0be5ecre7a0be99"
	Base  = "https://phone.example.org"
)

// DataKey is the data key (SWITCHBOARD_DATA_KEY) of test servers: 32 fixed
// bytes, so instances of one test share it.
const DataKey = "dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LTMyYnk="

// Sealer returns a sealer holding DataKey.
func Sealer(tb testing.TB) *seal.Sealer {
	tb.Helper()
	k, err := seal.ParseKey(DataKey)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := seal.New(k)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Logs collects log output written from handler goroutines.
type Logs struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Options shape a test server.
type Options struct {
	At time.Time // the clock; zero means a Monday morning when the practice is open
	// Clock, when set, is the clock instead of At: for tests whose calls
	// take time (the wait to a person).
	Clock func() time.Time
	YAML  string // the line configuration; empty means the built-in default
	// ConfigPath loads (and reloads) the configuration from a file instead.
	ConfigPath string
	// RedisArgs are extra redis-server arguments.
	RedisArgs []string
	// Twilio starts a fake Twilio REST API for the console to use.
	Twilio bool
	// PlainHTTP serves the console to a browser over http (cookies not Secure).
	PlainHTTP bool
	// SpoolDir holds the callback spool; empty means a temporary directory.
	SpoolDir string
	// RedisTimeout is the deadline of each Redis command. The default (5 s)
	// holds on a busy machine; only the tests that prove the short
	// production deadline (300 ms) set it.
	RedisTimeout time.Duration
	// TrustedProxies is SWITCHBOARD_TRUSTED_PROXIES.
	TrustedProxies string
	// RedisReplicas is SWITCHBOARD_REDIS_REPLICAS: the test's lone Redis
	// has none, so every callback write waits for one in the spool.
	RedisReplicas int
	// RecordingKeys is SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE's keys: the
	// console decrypts recordings the fake Twilio encrypted for them.
	RecordingKeys *seal.RecordingKeys
}

// AccountSID is the Twilio account of test servers.
const AccountSID = "AC0123456789abcdef0123456789abcdef"

// Server is a Switchboard under test.
type Server struct {
	T        testing.TB
	HTTP     http.Handler // the whole router
	Logs     *Logs
	Redis    *redistest.Server
	Queue    *callback.Queue
	Recorder *callback.Recorder
	Staff    *staff.Store
	Line     *routing.Line
	Fake     *faketwilio.Server // nil unless Options.Twilio
	Sessions *console.Sessions
	App      *server.Server
}

// MondayMorning is 10:00 in Seattle on Monday 2026-11-30 (open).
var MondayMorning = time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)

// LoadLine loads the line o names: ConfigPath, else YAML, else the
// built-in default.
func LoadLine(t testing.TB, o Options) *routing.Line {
	t.Helper()
	var line *routing.Line
	var err error
	switch {
	case o.ConfigPath != "":
		line, err = config.LoadFile(o.ConfigPath)
	case o.YAML == "":
		line, err = config.LoadFile("")
	default:
		line, err = config.Load("test.yaml", []byte(o.YAML))
	}
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	return line
}

// New starts a redis-server and builds a Switchboard on it.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	if o.At.IsZero() {
		o.At = MondayMorning
	}
	line := LoadLine(t, o)
	logs := &Logs{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	now := func() time.Time { return o.At }
	if o.Clock != nil {
		now = o.Clock
	}
	if o.RedisTimeout <= 0 {
		o.RedisTimeout = 5 * time.Second
	}
	rs := redistest.Start(t, o.RedisArgs...)
	rdb, err := redisconn.Connect(rs.URL(), o.RedisTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	env := config.Env{PublicURL: Base, AuthToken: Token, RedisPrefix: "test:", RedisTimeout: o.RedisTimeout, RedisReplicas: o.RedisReplicas,
		RecordingKeys: o.RecordingKeys}
	if env.TrustedProxies, err = config.ParseTrustedProxies(o.TrustedProxies); err != nil {
		t.Fatal(err)
	}
	var fake *faketwilio.Server
	var hc *http.Client
	if o.Twilio {
		fake = faketwilio.Start(t, AccountSID, Token)
		env.AccountSID = AccountSID
		hc = fake.HTTPClient(2 * time.Second)
	}
	spoolDir := o.SpoolDir
	if spoolDir == "" {
		spoolDir = t.TempDir()
	}
	a, err := server.New(server.Options{
		Env: env, Live: config.NewLive(o.ConfigPath, line), Redis: rdb, Now: now, Logger: log,
		SpoolDir: spoolDir, TwilioHTTP: hc, InsecureCookies: o.PlainHTTP, DataSealer: Sealer(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The loops of server.Run whose work tests look at: calls' steps and
	// outcomes, missed-call texts, report counts and new-request notices. The recorder's upkeep
	// and the duty watch run on real timers, so tests drive them directly.
	ctx, stop := context.WithCancel(context.Background())
	var loops sync.WaitGroup
	loops.Go(func() { a.Tracks.Run(ctx) })
	loops.Go(func() { a.Texts.Run(ctx) })
	loops.Go(func() { a.Reports.Run(ctx) })
	loops.Go(func() { a.Recorder.RunNotices(ctx, 4) })
	t.Cleanup(func() { stop(); loops.Wait() })
	return &Server{T: t, HTTP: a, Logs: logs, Redis: rs, Queue: a.Queue, Recorder: a.Recorder, Staff: a.Staff,
		Line: line, Fake: fake, Sessions: a.Sessions, App: a}
}

// WaitCalls returns once every call step and status callback posted so
// far has been handled by the background writer, and the missed-call
// texts they queued by the texter.
func (s *Server) WaitCalls() {
	s.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.App.Tracks.Wait(ctx); err != nil {
		s.T.Fatalf("call steps not handled: %v", err)
	}
	if err := s.App.Texts.Wait(ctx); err != nil {
		s.T.Fatalf("missed-call texts not handled: %v", err)
	}
}

// Post sends a form to pathAndQuery, signed as Twilio signs it when sign is true.
func (s *Server) Post(pathAndQuery string, form url.Values, sign bool) *httptest.ResponseRecorder {
	return Post(s.HTTP, pathAndQuery, form, sign)
}

// Do serves any request through the router.
func (s *Server) Do(req *http.Request) *httptest.ResponseRecorder { return Do(s.HTTP, req) }

// Post sends a form through h to pathAndQuery, signed as Twilio signs it
// for a test server (Token, Base) when sign is true.
func Post(h http.Handler, pathAndQuery string, form url.Values, sign bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, pathAndQuery, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign {
		req.Header.Set("X-Twilio-Signature", simulate.Sign(Token, Base+pathAndQuery, form))
	}
	return Do(h, req)
}

// Do serves req through h.
func Do(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Record records the callback request c as the call flow does and returns
// its id; t is the test (or subtest) that needs it.
func (s *Server) Record(t testing.TB, c callback.Capture) string {
	t.Helper()
	id, _, err := s.Queue.Apply(t.Context(), s.Queue.CreateOp(c))
	if err != nil {
		t.Fatalf("record the request of %s: %v", c.CallSID, err)
	}
	return id
}

// AddStaff creates a staff account and returns its token.
func (s *Server) AddStaff(name string) string {
	s.T.Helper()
	tok, err := s.Staff.Add(s.T.Context(), name)
	if err != nil {
		s.T.Fatalf("add staff %s: %v", name, err)
	}
	return tok
}
