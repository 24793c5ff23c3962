// Package staff keeps the accounts of the people who work the callback
// queue and checks their API tokens. Only a hash of each token is stored; a
// token is shown once, when the account is created.
package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"golang.org/x/crypto/bcrypt"
)

// Account is a staff member.
type Account struct {
	// ID is the account's stable id, made when it is added (it is part of
	// its API token): claims are bound to it, so an account removed and
	// added again under the same name is another account.
	ID      string    `json:"-"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Phone is where "call back" rings this staff member first (E.164).
	Phone       string `json:"phone,omitempty"`
	HasPassword bool   `json:"hasPassword"`
	// Admin may reload the configuration through the API.
	Admin bool `json:"admin"`
	// Generation changes when the account is removed and added again or its
	// password changes: a console session made for another generation is
	// over.
	Generation string `json:"-"`
}

// Errors of the store.
var (
	ErrExists       = errors.New("a staff account with that name exists")
	ErrNotFound     = errors.New("no staff account with that name")
	ErrBadName      = errors.New("a staff name is 1 to 32 lowercase letters, digits, dots, dashes or underscores, starting with a letter")
	ErrUnauthorized = errors.New("invalid or revoked token")
)

var validName = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,31}$`)

// Store keeps accounts in Redis under <prefix>{staff}:.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
}

// NewStore returns a Store. prefix defaults to "switchboard:".
func NewStore(rdb redis.UniversalClient, prefix string, now func() time.Time) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("staff store: redis client is required")
	}
	if prefix == "" {
		prefix = "switchboard:"
	}
	if now == nil {
		now = time.Now
	}
	return &Store{rdb: rdb, prefix: prefix + "{staff}:", now: now}, nil
}

// scriptAdd creates an account unless the name is taken.
// KEYS: user key, id key, names set. ARGV: name, id, hash, created ms.
var scriptAdd = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'id', ARGV[2], 'hash', ARGV[3], 'created', ARGV[4])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
`)

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Add creates an account and returns its API token. The token is not
// stored: it cannot be shown again, only replaced (remove and add).
func (s *Store) Add(ctx context.Context, name string) (string, error) {
	if !validName.MatchString(name) {
		return "", ErrBadName
	}
	idb := make([]byte, 8)
	secret := make([]byte, 32)
	if _, err := rand.Read(idb); err != nil {
		return "", fmt.Errorf("add staff: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("add staff: %w", err)
	}
	id := hex.EncodeToString(idb)
	sec := base64.RawURLEncoding.EncodeToString(secret)
	ok, err := scriptAdd.Run(ctx, s.rdb, []string{s.prefix + "u:" + name, s.prefix + "id:" + id, s.prefix + "names"},
		name, id, hashSecret(sec), strconv.FormatInt(s.now().UnixMilli(), 10)).Int()
	if err != nil {
		return "", fmt.Errorf("add staff %s: %w", name, err)
	}
	if ok == 0 {
		return "", ErrExists
	}
	return "sbt_" + id + "_" + sec, nil
}

// List returns every account, sorted by name.
func (s *Store) List(ctx context.Context) ([]Account, error) {
	names, err := s.rdb.SMembers(ctx, s.prefix+"names").Result()
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	sort.Strings(names)
	out := make([]Account, 0, len(names))
	for _, n := range names {
		h, err := s.rdb.HGetAll(ctx, s.prefix+"u:"+n).Result()
		if err != nil {
			return nil, fmt.Errorf("list staff: %w", err)
		}
		if len(h) == 0 {
			continue
		}
		out = append(out, toAccount(h))
	}
	return out, nil
}

func toAccount(h map[string]string) Account {
	ms, _ := strconv.ParseInt(h["created"], 10, 64)
	return Account{ID: h["id"], Name: h["name"], Created: time.UnixMilli(ms).UTC(), Phone: h["phone"], HasPassword: h["pw"] != "", Admin: h["admin"] == "1",
		Generation: h["id"] + "." + h["gen"]}
}

// Holder is the account as it acts on callback requests.
func (a Account) Holder() callback.Holder {
	return callback.Holder{ID: a.ID, Name: a.Name, Created: a.Created, Admin: a.Admin}
}

// Get returns one account.
func (s *Store) Get(ctx context.Context, name string) (Account, error) {
	h, err := s.rdb.HGetAll(ctx, s.prefix+"u:"+name).Result()
	if err != nil {
		return Account{}, fmt.Errorf("get staff %s: %w", name, err)
	}
	if len(h) == 0 {
		return Account{}, ErrNotFound
	}
	return toAccount(h), nil
}

// setField sets one field of an existing account.
func (s *Store) setField(ctx context.Context, name, field, value string) error {
	n, err := scriptSetField.Run(ctx, s.rdb, []string{s.prefix + "u:" + name}, field, value).Int()
	if err != nil {
		return fmt.Errorf("update staff %s: %w", name, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

var scriptSetField = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// ErrWeakPassword is returned for passwords too short to resist guessing.
var ErrWeakPassword = errors.New("a password needs at least 12 characters")

// SetPassword sets the password for signing in to the console (stored as a
// bcrypt hash).
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	if len([]rune(password)) < 12 {
		return ErrWeakPassword
	}
	if len(password) > 72 {
		return errors.New("a password can have at most 72 bytes")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	n, err := scriptSetPassword.Run(ctx, s.rdb, []string{s.prefix + "u:" + name}, string(hash)).Int()
	if err != nil {
		return fmt.Errorf("set password for %s: %w", name, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// scriptSetPassword stores a new password hash and starts a new generation,
// which ends every console session of the account.
var scriptSetPassword = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'pw', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'gen', 1)
return 1
`)

// CheckPassword returns the account when name and password match.
func (s *Store) CheckPassword(ctx context.Context, name, password string) (Account, error) {
	h, err := s.rdb.HGetAll(ctx, s.prefix+"u:"+name).Result()
	if err != nil {
		return Account{}, fmt.Errorf("check password: %w", err)
	}
	hash := h["pw"]
	if hash == "" {
		// Spend the same time as a real check so names cannot be probed.
		_ = bcrypt.CompareHashAndPassword([]byte(dummyHash), []byte(password))
		return Account{}, ErrUnauthorized
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return Account{}, ErrUnauthorized
	}
	return toAccount(h), nil
}

// dummyHash is a bcrypt hash (cost 10) of a password nobody has.
const dummyHash = "$2a$10$WQZnZDVcIL6aQ8Ob9Uc3/uC6CsT9BytUV14I5GZNxVh0dkFSSXwNy"

// SetAdmin grants or withdraws the administrator role.
func (s *Store) SetAdmin(ctx context.Context, name string, admin bool) error {
	v := ""
	if admin {
		v = "1"
	}
	return s.setField(ctx, name, "admin", v)
}

// SetPhone sets the phone that "call back" rings for this staff member.
func (s *Store) SetPhone(ctx context.Context, name, e164 string) error {
	return s.setField(ctx, name, "phone", e164)
}

// Throttle bounds password guessing without letting a stranger lock anyone
// out: each sign-in attempt is counted before its password is checked, per
// name and address together and per address alone. Past a few free tries
// the pair (and, with more, the address) must wait a delay that doubles
// with each failure, up to a minute. A guesser's failures never slow the
// account's owner signing in from another address, and a name without an
// account is counted exactly like one with, so the answers do not tell them
// apart.
type Throttle struct {
	FreePerName, FreePerAddr int           // attempts without any wait: per name and address, per address
	Base, Max                time.Duration // the first wait, and the longest
	Window                   time.Duration // how long failures are remembered
}

// DefaultThrottle is the console's: 3 free tries per name from one
// address, 10 per address, then 1 s, 2 s, 4 s ... up to 60 s, forgotten
// after 15 minutes.
func DefaultThrottle() Throttle {
	return Throttle{FreePerName: 3, FreePerAddr: 10, Base: time.Second, Max: time.Minute, Window: 15 * time.Minute}
}

// scriptAttempt counts a sign-in attempt for a name from an address and for
// the address, unless one of them must still wait.
// KEYS: name-and-address counter, address counter.
// ARGV: now ms, free per name, free per address, base ms, max ms, window s.
// Returns {1, 0} (go on) or {0, ms to wait}.
var scriptAttempt = redis.NewScript(`
local now = tonumber(ARGV[1])
local free = {tonumber(ARGV[2]), tonumber(ARGV[3])}
for i, k in ipairs(KEYS) do
  local untilMs = tonumber(redis.call('HGET', k, 'until') or '0')
  if now < untilMs then return {0, untilMs - now} end
end
for i, k in ipairs(KEYS) do
  local n = redis.call('HINCRBY', k, 'n', 1)
  if n > free[i] then
    local wait = math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ (n - free[i] - 1))
    redis.call('HSET', k, 'until', now + wait)
  end
  redis.call('EXPIRE', k, tonumber(ARGV[6]))
end
return {1, 0}
`)

// pairKey is the counter of one name from one address; the name is hashed,
// so a typed name of any length or content makes a key of fixed size.
func (s *Store) pairKey(name, addr string) string {
	sum := sha256.Sum256([]byte(name + "\x00" + addr))
	return s.prefix + "fail:pair:" + hex.EncodeToString(sum[:16])
}

// SignInAttempt counts an attempt to sign in as name from addr, before the
// password is checked, and reports how long to wait when it must not be
// checked now. Whether name has an account makes no difference.
func (s *Store) SignInAttempt(ctx context.Context, name, addr string, t Throttle) (wait time.Duration, err error) {
	res, err := scriptAttempt.Run(ctx, s.rdb, []string{s.pairKey(name, addr), s.prefix + "fail:addr:" + addr},
		s.now().UnixMilli(), t.FreePerName, t.FreePerAddr, t.Base.Milliseconds(), t.Max.Milliseconds(), int(t.Window.Seconds())).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("count sign-in attempt: %w", err)
	}
	if res[0] == 1 {
		return 0, nil
	}
	return time.Duration(res[1]) * time.Millisecond, nil
}

// SignInSucceeded forgets the failures of name from addr after a good
// sign-in and takes back the attempt counted for the address.
func (s *Store) SignInSucceeded(ctx context.Context, name, addr string) error {
	if err := scriptSucceeded.Run(ctx, s.rdb, []string{s.pairKey(name, addr), s.prefix + "fail:addr:" + addr}).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("clear sign-in failures: %w", err)
	}
	return nil
}

// scriptSucceeded forgets the name-and-address failures and takes back the
// address's attempt, only while its counter still exists: a counter that
// expired meanwhile is not made again (it would have no expiry).
// KEYS: name-and-address counter, address counter.
var scriptSucceeded = redis.NewScript(`
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HINCRBY', KEYS[2], 'n', -1) end
return 0
`)

// Remove deletes an account; its token stops working at once, and so do its
// console sessions (their generation is gone).
func (s *Store) Remove(ctx context.Context, name string) error {
	id, err := s.rdb.HGet(ctx, s.prefix+"u:"+name, "id").Result()
	if errors.Is(err, redis.Nil) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("remove staff %s: %w", name, err)
	}
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, s.prefix+"u:"+name, s.prefix+"id:"+id)
	pipe.SRem(ctx, s.prefix+"names", name)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("remove staff %s: %w", name, err)
	}
	return nil
}

// Authenticate returns the account a token belongs to. The secret is
// compared in constant time.
func (s *Store) Authenticate(ctx context.Context, token string) (Account, error) {
	rest, ok := strings.CutPrefix(token, "sbt_")
	if !ok {
		return Account{}, ErrUnauthorized
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 16 || secret == "" {
		return Account{}, ErrUnauthorized
	}
	name, err := s.rdb.Get(ctx, s.prefix+"id:"+id).Result()
	if errors.Is(err, redis.Nil) {
		return Account{}, ErrUnauthorized
	}
	if err != nil {
		return Account{}, fmt.Errorf("authenticate: %w", err)
	}
	h, err := s.rdb.HGetAll(ctx, s.prefix+"u:"+name).Result()
	if err != nil {
		return Account{}, fmt.Errorf("authenticate: %w", err)
	}
	if h["id"] != id || subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(h["hash"])) != 1 {
		return Account{}, ErrUnauthorized
	}
	return toAccount(h), nil
}
