package callback

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Missed is what a missed-call request adds to a request: how many calls
// from the number reached nobody while it waited, where the caller hung up
// the last time (a stage of the call, such as "menu") and how long that
// call lasted.
type Missed struct {
	Calls   int    `json:"calls"`
	Stage   string `json:"stage"`
	Seconds int    `json:"seconds"`
}

// MissedCall is a call that ended without reaching anyone, without a
// request and without an extension, from a number the practice may call:
// the fields of a missed-call request.
type MissedCall struct {
	CallSID string
	Number  string // E.164, callable (checked by the call flow)
	// NumberKey is NumberKeys.Of(Number): a second missed call from the
	// number updates the pending request instead of adding one.
	NumberKey string
	Stage     string // where the caller hung up
	Seconds   int    // Twilio's CallDuration
	Note      string // the history line: where and after how long
	Language  string
	At        time.Time
}

// The op kinds of missed calls, applied through Recorder.Record like every
// other callback write (and spooled and replayed the same way).
const (
	kindMissed    = "missed"
	kindSupersede = "supersede"
)

// missedKeep is how long a number's pending missed-call request is found
// by its key after the last missed call; past it a new missed call starts
// a new request. The mark of a CallSid already counted (missedSeen) only
// has to outlive Twilio's repeats of one status callback.
const (
	missedKeep = 30 * 24 * time.Hour
	missedSeen = 24 * time.Hour
)

// NumberKeys keys phone numbers with HMAC-SHA256, so that Redis keys can
// find a number's request without holding the number. Every instance of a
// line derives the same key from the same secret (the auth token).
type NumberKeys struct{ key []byte }

// NewNumberKeys derives the keying key from secret.
func NewNumberKeys(secret []byte) (*NumberKeys, error) {
	if len(secret) == 0 {
		return nil, errors.New("number keys: secret is required")
	}
	k := sha256.Sum256(append([]byte("switchboard number key v1\x00"), secret...))
	return &NumberKeys{key: k[:]}, nil
}

// Of is the key of an E.164 number.
func (k *NumberKeys) Of(e164 string) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(e164))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// MissedOp is the write that records a missed call: a new pending request
// with reason missed-call, or, when the number already has one pending or
// claimed, a count and a history line on it. It is idempotent by CallSid.
func (q *Queue) MissedOp(m MissedCall) Op {
	at := m.At
	if at.IsZero() {
		at = q.now()
	}
	id := q.newID(at)
	fields := []string{
		"id", id, "sid", m.CallSID, "from", "=", "num", m.Number, "rsn", string(ReasonMissedCall),
		"st", string(StatusPending), "mk", m.NumberKey, "mc", "1", "mst", m.Stage, "msec", strconv.Itoa(m.Seconds),
		"l4", phone.LastFour(m.Number),
	}
	if m.Language != "" && m.Language != DefaultLanguage {
		fields = append(fields, "lng", m.Language)
	}
	return Op{Kind: kindMissed, CallSID: m.CallSID, ID: id, At: at, Fields: q.sealFields(m.CallSID, fields),
		Event: eventJSON(at, eventCaller, "missed call", m.Note)}
}

// SupersedeOp is the write made when a call from the number behind
// numberKey left a real request: the number's pending missed-call request
// is cancelled with a history line (a claimed one only gets the line).
func (q *Queue) SupersedeOp(callSID, numberKey string) Op {
	at := q.now()
	return Op{Kind: kindSupersede, CallSID: callSID, At: at, Fields: []string{"mk", numberKey},
		Event: eventJSON(at, eventCaller, "superseded", "the caller left a request in a later call")}
}

// HasRequest reports whether the call callSID left a callback request.
func (q *Queue) HasRequest(ctx context.Context, callSID string) (bool, error) {
	ok, err := q.rdb.HExists(ctx, q.prefix+"calls", callSID).Result()
	if err != nil {
		return false, fmt.Errorf("look up the request of call %s: %w", callSID, err)
	}
	return ok, nil
}

// Missed records a missed call (MissedOp) through Record.
func (r *Recorder) Missed(ctx context.Context, m MissedCall) (spooled bool, err error) {
	return r.Record(ctx, r.queue.MissedOp(m))
}

// HasRequest reports whether the call callSID left a request in Redis,
// within the recorder's time budget.
func (r *Recorder) HasRequest(ctx context.Context, callSID string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.queue.HasRequest(ctx, callSID)
}

// Supersede cancels the pending missed-call request of the number behind
// numberKey (SupersedeOp) through Record.
func (r *Recorder) Supersede(ctx context.Context, callSID, numberKey string) (spooled bool, err error) {
	return r.Record(ctx, r.queue.SupersedeOp(callSID, numberKey))
}

// missedScript is the script and arguments of a missed or supersede op.
func (q *Queue) missedScript(op Op) (*redis.Script, []any) {
	if op.Kind == kindSupersede {
		return scriptSupersede, []any{q.prefix, op.field("mk"), op.Event, ms(op.At)}
	}
	again := op.Event
	var e storedEvent
	if json.Unmarshal([]byte(op.Event), &e) == nil {
		e.E = "missed call again"
		b, _ := json.Marshal(e)
		again = string(b)
	}
	return scriptMissed, append([]any{q.prefix, op.ID, op.Event, again, op.CallSID, op.field("mk"),
		int64(missedKeep / time.Second), op.field("mst"), op.field("msec"), int64(missedSeen / time.Second)}, strs(op.Fields)...)
}

// scriptMissed records a missed call. KEYS[1] the calls hash (it routes
// the script). ARGV: prefix, new id, created event, again event, CallSid,
// number key, keep seconds, stage, seconds, seen seconds, then field/value
// pairs. Returns {created (0/1), id}.
//
//	<prefix>mc:<number key>   string: the number's missed-call request id
//	<prefix>mcs:<CallSid>     string: the request a missed call was counted in
var scriptMissed = redis.NewScript(queueOfLua + `
local p = ARGV[1]
local seen = p .. 'mcs:' .. ARGV[5]
local prior = redis.call('GET', seen)
if prior then return {0, prior} end
local mk = p .. 'mc:' .. ARGV[6]
local id = redis.call('GET', mk)
if id then
  local rk = p .. 'r:' .. id
  local st = redis.call('HGET', rk, 'st')
  if st == 'pending' or st == 'claimed' then
    redis.call('HINCRBY', rk, 'mc', 1)
    redis.call('HSET', rk, 'mst', ARGV[8], 'msec', ARGV[9])
    redis.call('RPUSH', p .. 'h:' .. id, ARGV[4])
    redis.call('SET', seen, id, 'EX', ARGV[10])
    redis.call('EXPIRE', mk, ARGV[7])
    return {0, id}
  end
end
id = ARGV[2]
local rk = p .. 'r:' .. id
redis.call('HSET', rk, unpack(ARGV, 11))
redis.call('RPUSH', p .. 'h:' .. id, ARGV[3])
enqueue(p, rk, id)
redis.call('SET', mk, id, 'EX', ARGV[7])
redis.call('SET', seen, id, 'EX', ARGV[10])
return {1, id}
`)

// scriptSupersede ends the number's missed-call request. KEYS[1] the calls
// hash. ARGV: prefix, number key, event, now ms. Returns the id, or "".
var scriptSupersede = redis.NewScript(`
local p = ARGV[1]
local mk = p .. 'mc:' .. ARGV[2]
local id = redis.call('GET', mk)
if not id then return '' end
redis.call('DEL', mk)
local rk = p .. 'r:' .. id
local st = redis.call('HGET', rk, 'st')
if st == 'pending' then
  redis.call('HSET', rk, 'st', 'cancelled', 'fin', ARGV[4])
  redis.call('ZREM', p .. 'pending', id)
  redis.call('ZREM', p .. 'urgent', id)
  redis.call('ZADD', p .. 'finished', ARGV[4], id)
  redis.call('RPUSH', p .. 'h:' .. id, ARGV[3])
elseif st == 'claimed' then
  redis.call('RPUSH', p .. 'h:' .. id, ARGV[3])
end
return id
`)
