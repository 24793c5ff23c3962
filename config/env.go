package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/seal"
)

// Env is the service's environment: where it listens, how Twilio reaches it,
// its secrets and its store. Read it with FromEnv.
type Env struct {
	Addr       string // SWITCHBOARD_ADDR, default 127.0.0.1:8080
	PublicURL  string // SWITCHBOARD_PUBLIC_URL: the base URL Twilio calls, without a trailing slash
	AuthToken  string // TWILIO_AUTH_TOKEN: validates webhook signatures; empty means local mode
	AccountSID string // TWILIO_ACCOUNT_SID: for the REST API (staff console)
	RedisURL   string // REDIS_URL: empty means an embedded in-memory store
	ConfigPath string // SWITCHBOARD_CONFIG: the line's YAML file; empty means the built-in default
	LogFormat  string // SWITCHBOARD_LOG_FORMAT: text (default) or json
	// RedisTimeout bounds every Redis call a webhook makes (SWITCHBOARD_REDIS_TIMEOUT, default 300ms).
	RedisTimeout time.Duration
	// RedisPrefix starts every Redis key (SWITCHBOARD_REDIS_PREFIX, default "switchboard:").
	RedisPrefix string
	// DataDir holds local files such as the callback spool (SWITCHBOARD_DATA_DIR, default ./data).
	DataDir string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// (SWITCHBOARD_TRUSTED_PROXIES: addresses or CIDR ranges, comma
	// separated). Empty: the client is the connection's peer.
	TrustedProxies []*net.IPNet
	// MetricsAddr is where /metrics is served on a listener of its own
	// (SWITCHBOARD_METRICS_ADDR). Empty: on the main listener, to loopback
	// clients only.
	MetricsAddr string
	// RedisReplicas is how many replicas must acknowledge each callback
	// write before it counts as saved (SWITCHBOARD_REDIS_REPLICAS, 0 to 5;
	// default 1 when REDIS_URL names a Sentinel master, else 0). A write
	// they do not acknowledge in time stays in the local spool until they do.
	RedisReplicas int
	// RedisReplicaWait is how long a callback write waits for those
	// replicas (SWITCHBOARD_REDIS_REPLICA_WAIT, default 100ms or a third of
	// SWITCHBOARD_REDIS_TIMEOUT if less; shorter than that timeout).
	RedisReplicaWait time.Duration
	// OrphanTTL is how long a spooled update whose request is unknown is
	// kept (SWITCHBOARD_ORPHAN_TTL, default 10m).
	OrphanTTL time.Duration
	// DataKey seals client data at rest (SWITCHBOARD_DATA_KEY: 32 random
	// bytes in standard base64, or SWITCHBOARD_DATA_KEY_FILE: a file holding
	// them). Nil when unset: serve then refuses a real REDIS_URL.
	DataKey []byte
	// OldDataKeys open values sealed before a rotation
	// (SWITCHBOARD_DATA_OLD_KEYS: base64 keys, comma separated).
	OldDataKeys [][]byte
	// RecordingKeys decrypt voice messages that Twilio encrypts with the
	// practice's public key (SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE: a PEM
	// file of one or more RSA private keys). Nil: recordings are played as
	// Twilio serves them.
	RecordingKeys *seal.RecordingKeys
}

// DefaultAddr is where the service listens when SWITCHBOARD_ADDR is unset.
const DefaultAddr = "127.0.0.1:8080"

// FromEnv reads the environment through getenv (os.Getenv in production, a
// map in tests) and checks it.
func FromEnv(getenv func(string) string) (Env, error) {
	e := Env{
		Addr:       getenv("SWITCHBOARD_ADDR"),
		PublicURL:  strings.TrimRight(getenv("SWITCHBOARD_PUBLIC_URL"), "/"),
		AuthToken:  getenv("TWILIO_AUTH_TOKEN"),
		AccountSID: getenv("TWILIO_ACCOUNT_SID"),
		RedisURL:   getenv("REDIS_URL"),
		ConfigPath: getenv("SWITCHBOARD_CONFIG"),
		LogFormat:  getenv("SWITCHBOARD_LOG_FORMAT"),
		DataDir:    getenv("SWITCHBOARD_DATA_DIR"),
	}
	if e.Addr == "" {
		e.Addr = DefaultAddr
	}
	host, port, err := net.SplitHostPort(e.Addr)
	if err != nil {
		return e, fmt.Errorf("SWITCHBOARD_ADDR %q: want host:port: %w", e.Addr, err)
	}
	if e.PublicURL == "" {
		if host == "" {
			host = "127.0.0.1"
		}
		e.PublicURL = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(e.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return e, fmt.Errorf("SWITCHBOARD_PUBLIC_URL %q: want a base URL such as https://phone.example.org", e.PublicURL)
	}
	switch e.LogFormat {
	case "":
		e.LogFormat = "text"
	case "text", "json":
	default:
		return e, fmt.Errorf("SWITCHBOARD_LOG_FORMAT %q: want text or json", e.LogFormat)
	}
	e.RedisTimeout = 300 * time.Millisecond
	if v := getenv("SWITCHBOARD_REDIS_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 5*time.Second {
			return e, fmt.Errorf("SWITCHBOARD_REDIS_TIMEOUT %q: want a duration up to 5s such as 300ms", v)
		}
		e.RedisTimeout = d
	}
	e.RedisPrefix = getenv("SWITCHBOARD_REDIS_PREFIX")
	if e.RedisPrefix == "" {
		e.RedisPrefix = "switchboard:"
	}
	if e.DataDir == "" {
		e.DataDir = "data"
	}
	if e.TrustedProxies, err = ParseTrustedProxies(getenv("SWITCHBOARD_TRUSTED_PROXIES")); err != nil {
		return e, err
	}
	e.OrphanTTL = 10 * time.Minute
	if v := getenv("SWITCHBOARD_ORPHAN_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return e, fmt.Errorf("SWITCHBOARD_ORPHAN_TTL %q: want a duration from 1m to 24h such as 10m", v)
		}
		e.OrphanTTL = d
	}
	if e.RedisReplicas, e.RedisReplicaWait, err = replicaRule(e.RedisURL, e.RedisTimeout, getenv); err != nil {
		return e, err
	}
	if e.DataKey, e.OldDataKeys, err = dataKeys(getenv); err != nil {
		return e, err
	}
	if f := getenv("SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return e, fmt.Errorf("SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE: %w", err)
		}
		if e.RecordingKeys, err = seal.ParseRecordingKeys(b); err != nil {
			return e, fmt.Errorf("SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE: %w", err)
		}
	}
	e.MetricsAddr = getenv("SWITCHBOARD_METRICS_ADDR")
	if e.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(e.MetricsAddr); err != nil {
			return e, fmt.Errorf("SWITCHBOARD_METRICS_ADDR %q: want host:port: %w", e.MetricsAddr, err)
		}
	}
	return e, nil
}

// replicaRule reads SWITCHBOARD_REDIS_REPLICAS and _REPLICA_WAIT. Sentinel
// deployments wait for one replica by default: Sentinel fails over to a
// replica, so a write only the old master holds is what a failover or a
// partition discards.
func replicaRule(redisURL string, timeout time.Duration, getenv func(string) string) (int, time.Duration, error) {
	n := 0
	if redisconn.IsSentinel(redisURL) {
		n = 1
	}
	if v := getenv("SWITCHBOARD_REDIS_REPLICAS"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 0 || k > 5 {
			return 0, 0, fmt.Errorf("SWITCHBOARD_REDIS_REPLICAS %q: want a number of replicas from 0 to 5", v)
		}
		n = k
	}
	if n > 0 && redisURL == "" {
		return 0, 0, errors.New("SWITCHBOARD_REDIS_REPLICAS is set but REDIS_URL is not: the embedded store has no replicas")
	}
	wait := min(100*time.Millisecond, timeout/3) // Redis may add up to 100ms: see callback.Options
	if v := getenv("SWITCHBOARD_REDIS_REPLICA_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d >= timeout {
			return 0, 0, fmt.Errorf("SWITCHBOARD_REDIS_REPLICA_WAIT %q: want a duration shorter than SWITCHBOARD_REDIS_TIMEOUT (%v), such as 100ms", v, timeout)
		}
		wait = d
	}
	return n, wait, nil
}

// dataKeys reads SWITCHBOARD_DATA_KEY (or _FILE) and SWITCHBOARD_DATA_OLD_KEYS.
// The errors name the variable, never the value.
func dataKeys(getenv func(string) string) ([]byte, [][]byte, error) {
	raw, file := getenv("SWITCHBOARD_DATA_KEY"), getenv("SWITCHBOARD_DATA_KEY_FILE")
	name := "SWITCHBOARD_DATA_KEY"
	switch {
	case raw != "" && file != "":
		return nil, nil, errors.New("set SWITCHBOARD_DATA_KEY or SWITCHBOARD_DATA_KEY_FILE, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("SWITCHBOARD_DATA_KEY_FILE: %w", err)
		}
		raw, name = string(b), "SWITCHBOARD_DATA_KEY_FILE"
	}
	var key []byte
	if raw != "" {
		k, err := seal.ParseKey(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		key = k
	}
	var old [][]byte
	for i, s := range strings.Split(getenv("SWITCHBOARD_DATA_OLD_KEYS"), ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		k, err := seal.ParseKey(s)
		if err != nil {
			return nil, nil, fmt.Errorf("SWITCHBOARD_DATA_OLD_KEYS, key %d: %w", i+1, err)
		}
		old = append(old, k)
	}
	if key == nil && old != nil {
		return nil, nil, errors.New("SWITCHBOARD_DATA_OLD_KEYS is set but SWITCHBOARD_DATA_KEY is not")
	}
	return key, old, nil
}

// LocalMode reports whether the service runs without a Twilio auth token:
// unsigned requests are accepted, so it must listen on loopback only.
func (e Env) LocalMode() bool { return e.AuthToken == "" }

// LoopbackOnly reports whether Addr binds only loopback addresses.
func (e Env) LoopbackOnly() bool {
	host, _, err := net.SplitHostPort(e.Addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes the environment with secrets masked, for logs.
func (e Env) String() string {
	redisURL := "embedded (in memory)"
	if e.RedisURL != "" {
		redisURL = maskURL(e.RedisURL)
	}
	cfg := e.ConfigPath
	if cfg == "" {
		cfg = "built-in default"
	}
	dataKey := "(unset)"
	if e.DataKey != nil {
		dataKey = "(set, id " + seal.KeyID(e.DataKey) + ")"
	}
	recKeys := 0
	if e.RecordingKeys != nil {
		recKeys = e.RecordingKeys.Len()
	}
	return fmt.Sprintf("addr=%s public_url=%s auth_token=%s account_sid=%s redis=%s redis_replicas=%d config=%s data_key=%s old_data_keys=%d recording_keys=%d",
		e.Addr, e.PublicURL, mask(e.AuthToken), e.AccountSID, redisURL, e.RedisReplicas, cfg, dataKey, len(e.OldDataKeys), recKeys)
}

func mask(secret string) string {
	if secret == "" {
		return "(unset)"
	}
	return "(set)"
}

// maskURL hides the password of a redis:// URL.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// ParseTrustedProxies reads SWITCHBOARD_TRUSTED_PROXIES: addresses or CIDR
// ranges, comma separated ("" is none).
func ParseTrustedProxies(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, fmt.Errorf("SWITCHBOARD_TRUSTED_PROXIES: %q is not an address or CIDR range", p)
		}
		out = append(out, n)
	}
	return out, nil
}

// serviceURL reads SWITCHBOARD_URL, where the staff CLI and the simulator
// find a running Switchboard: the default when unset (set reports which).
func serviceURL(getenv func(string) string) (u string, set bool, err error) {
	u = strings.TrimRight(getenv("SWITCHBOARD_URL"), "/")
	if set = u != ""; !set {
		u = "http://" + DefaultAddr
	}
	if p, perr := url.Parse(u); perr != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return u, set, fmt.Errorf("SWITCHBOARD_URL %q: want a URL such as http://127.0.0.1:8080", u)
	}
	return u, set, nil
}

// Client is the environment of the staff CLI commands that talk to a running
// Switchboard over its API.
type Client struct {
	URL   string // SWITCHBOARD_URL, default http://127.0.0.1:8080
	Token string // SWITCHBOARD_TOKEN: a staff API token
}

// ClientFromEnv reads the CLI's environment.
func ClientFromEnv(getenv func(string) string) (Client, error) {
	c := Client{Token: getenv("SWITCHBOARD_TOKEN")}
	var err error
	if c.URL, _, err = serviceURL(getenv); err != nil {
		return c, err
	}
	if c.Token == "" {
		return c, fmt.Errorf("SWITCHBOARD_TOKEN is not set: create a token with 'switchboard staff add NAME'")
	}
	return c, nil
}

// Simulator is the environment of "switchboard call" and "switchboard
// config check": which configuration to load, and where a running service
// is and how to sign for it.
type Simulator struct {
	ConfigPath string // SWITCHBOARD_CONFIG: empty means the built-in default
	// URLSet reports that SWITCHBOARD_URL was set: the simulator then talks
	// to that service instead of simulating in process.
	URLSet    bool
	URL       string // SWITCHBOARD_URL, default http://127.0.0.1:8080
	PublicURL string // SWITCHBOARD_PUBLIC_URL: the URL to sign for, default URL
	AuthToken string // TWILIO_AUTH_TOKEN: signs requests when set
}

// SimulatorFromEnv reads the simulator's environment.
func SimulatorFromEnv(getenv func(string) string) (Simulator, error) {
	s := Simulator{
		ConfigPath: getenv("SWITCHBOARD_CONFIG"),
		PublicURL:  strings.TrimRight(getenv("SWITCHBOARD_PUBLIC_URL"), "/"),
		AuthToken:  getenv("TWILIO_AUTH_TOKEN"),
	}
	var err error
	if s.URL, s.URLSet, err = serviceURL(getenv); err != nil {
		return s, err
	}
	if s.PublicURL == "" {
		s.PublicURL = s.URL
	}
	return s, nil
}
