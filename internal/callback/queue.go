package callback

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/internal/seal"
)

// Queue stores callback requests in Redis. It is safe for concurrent use and
// across instances: every multi-key change is one Lua script.
type Queue struct {
	rdb       redis.UniversalClient
	prefix    string
	now       func() time.Time
	claimTTL  time.Duration
	retention time.Duration
	observer  Observer
	seal      *seal.Sealer
	// replicas must acknowledge each callback write within replicaWait
	// (WAIT) for it to count as recorded; 0 trusts the master's OK.
	replicas    int
	replicaWait time.Duration

	onFirstAttempt func(r *Request, at time.Time)
	// group batches the single writes that arrive together (group.go).
	group *group

	idMu    sync.Mutex
	entropy *ulid.MonotonicEntropy
}

// Options configure a Queue. Client is required.
type Options struct {
	Client redis.UniversalClient
	// Prefix starts every key (default "switchboard:"); the hash tag {cb} is
	// appended so all keys share one Cluster slot.
	Prefix string
	Now    func() time.Time
	// ClaimTTL is how long a claim may stay unfinished before the request
	// returns to the queue (default 30 minutes).
	ClaimTTL time.Duration
	// Retention is how long finished requests are kept (default 30 days).
	// Pending and claimed requests are never deleted.
	Retention time.Duration
	// Observer is told of events for metrics; nil ignores them.
	Observer Observer
	// Sealer seals the client's numbers, the transcription and notes
	// before they are written, and opens them when read. Required.
	Sealer *seal.Sealer
	// Replicas is how many replicas must hold each callback write (create
	// or update) before it counts as durable: after the write, WAIT asks
	// for them on the same connection within ReplicaWait (default 100ms).
	// A write they do not acknowledge is visible on the master at once, and
	// the recorder keeps it in its spool until they do. 0 (the default)
	// trusts the master's OK.
	// Redis checks WAIT deadlines at its hz (10 a second by default), so a
	// wait can last up to 100ms longer than ReplicaWait.
	Replicas    int
	ReplicaWait time.Duration
}

// ErrNotReplicated means a callback write reached the Redis master but not
// the replicas Options.Replicas asks for: a failover could still lose it.
var ErrNotReplicated = errors.New("callback write not acknowledged by a replica")

// Observer is told what happens to requests (metrics implements it).
type Observer interface {
	// Callback reports created, spooled, claimed or completed (with its outcome).
	Callback(event, outcome string)
	// RedisError reports a Redis command that failed or timed out.
	RedisError()
	// WriteLost reports a callback write that was given up: a caller was
	// told it was saved, and some or all of it is not in Redis.
	WriteLost()
}

type noObserver struct{}

func (noObserver) Callback(string, string) {}
func (noObserver) RedisError()             {}
func (noObserver) WriteLost()              {}

// NewQueue returns a Queue over opts.Client.
func NewQueue(opts Options) (*Queue, error) {
	if opts.Client == nil {
		return nil, errors.New("callback queue: Client is required")
	}
	if opts.Sealer == nil {
		return nil, errors.New("callback queue: Sealer is required")
	}
	if opts.Prefix == "" {
		opts.Prefix = "switchboard:"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClaimTTL <= 0 {
		opts.ClaimTTL = 30 * time.Minute
	}
	if opts.Retention <= 0 {
		opts.Retention = 30 * 24 * time.Hour
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	if opts.Replicas < 0 {
		return nil, errors.New("callback queue: Replicas must not be negative")
	}
	if opts.ReplicaWait <= 0 {
		opts.ReplicaWait = 100 * time.Millisecond
	}
	return &Queue{
		rdb:       opts.Client,
		prefix:    opts.Prefix + "{cb}:",
		now:       opts.Now,
		claimTTL:  opts.ClaimTTL,
		retention: opts.Retention,
		observer:  opts.Observer,
		seal:      opts.Sealer,
		replicas:  opts.Replicas, replicaWait: opts.ReplicaWait,
		entropy: ulid.Monotonic(rand.Reader, 0),
		group:   &group{rdb: opts.Client},
	}, nil
}

// Op is one write to the queue that can be retried safely: applied to Redis
// at once, or kept in the spool and replayed later, any number of times.
type Op struct {
	Kind    string    `json:"kind"` // "create" or "update"
	CallSID string    `json:"callSid"`
	ID      string    `json:"id,omitempty"`   // create: the id the request gets if it is new
	Mode    string    `json:"mode,omitempty"` // update: "set" or "fill"
	Fields  []string  `json:"fields"`         // field/value pairs of the request hash
	Event   string    `json:"event"`          // history event (JSON), "" for none
	At      time.Time `json:"at"`
	// Spooled is when the op went to the spool, by this machine's clock
	// (zero in entries written before it was kept).
	Spooled time.Time `json:"spooled,omitzero"`
	// Applied is when a master first took the op, by this machine's clock:
	// zero while it waits for Redis; set, it is visible to staff and kept
	// in the spool only until a replica acknowledges it.
	Applied time.Time `json:"applied,omitzero"`
}

// field is the value op writes to a field of the request's hash ("" when
// it writes none).
func (op Op) field(name string) string {
	for i := 0; i+1 < len(op.Fields); i += 2 {
		if op.Fields[i] == name {
			return op.Fields[i+1]
		}
	}
	return ""
}

func (q *Queue) newID(t time.Time) string {
	q.idMu.Lock()
	defer q.idMu.Unlock()
	return ulid.MustNew(ulid.Timestamp(t), q.entropy).String()
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// storedEvent is an Event as kept in Redis: short keys and the time in unix
// milliseconds, because every request carries its history (memory per
// request is measured in bench/).
type storedEvent struct {
	T int64 `json:"t"`
	// W is who acted; absent for the caller, the author of most events
	// (events stored before that have "w":"caller").
	W *string `json:"w,omitempty"`
	E string  `json:"e"`
	N string  `json:"n,omitempty"`
}

// eventCaller is who the caller's own events are by.
const eventCaller = "caller"

func eventJSON(at time.Time, who, what, note string) string {
	e := storedEvent{T: at.UnixMilli(), E: what, N: note}
	if who != eventCaller {
		e.W = &who
	}
	b, _ := json.Marshal(e)
	return string(b)
}

func decodeEvent(raw string) (Event, bool) {
	var e storedEvent
	if json.Unmarshal([]byte(raw), &e) != nil {
		return Event{}, false
	}
	who := eventCaller
	if e.W != nil {
		who = *e.W
	}
	return Event{At: time.UnixMilli(e.T).UTC(), Who: who, What: e.E, Note: e.N}, true
}

// recordingPrefix starts the URL of every recording Twilio reports. A URL of
// that form is stored as its account and recording SIDs (short values keep
// the request's hash in Redis's compact encoding); any other is kept whole.
const recordingPrefix = "https://api.twilio.com/2010-04-01/Accounts/"

// The URL a webhook reported is never stored or used: the recording's SID
// (checked by ValidRecordingSID) and the account's credentials, which alone
// can fetch it, rebuild it, so a forged URL cannot make Switchboard reach
// anything else.
func recordingFields(m Message) []string {
	return []string{"rsid", m.RecordingSID, "rdur", strconv.Itoa(m.DurationSeconds)}
}

var recordingSID = regexp.MustCompile(`^RE[0-9a-f]{32}$`)

// ValidRecordingSID reports whether sid has the form of a Twilio recording
// SID: "RE" and 32 lowercase hex digits.
func ValidRecordingSID(sid string) bool { return recordingSID.MatchString(sid) }

// callerField stores the caller's number only when it is not the callback
// number (the usual case keeps one copy).
func callerField(c Capture) string {
	if c.CallerNumber == c.CallbackNumber {
		return "="
	}
	return c.CallerNumber
}

// sealedFields are the fields of a request's hash that hold client data:
// sealed when an op is made (so the spool holds them sealed, and a replay
// writes the same bytes), opened when read. "=" (the caller's number is the
// callback number) stays as it is.
var sealedFields = []string{"num", "from", "tx"}

// numberField reports whether a sealed field holds a phone number, sealed
// packed (pack.go).
func numberField(f string) bool { return f == "num" || f == "from" }

// fieldAAD binds a sealed field to its call and name: a value copied to
// another request or field does not open.
func fieldAAD(callSID, field string) string { return callSID + ":" + field }

// noteAAD binds a sealed note to its request.
func noteAAD(id string) string { return id + ":note" }

// sealFields seals, in place, the values of fields that hold client data.
func (q *Queue) sealFields(callSID string, fields []string) []string {
	for i := 0; i+1 < len(fields); i += 2 {
		if slices.Contains(sealedFields, fields[i]) && fields[i+1] != "=" {
			v := fields[i+1]
			if numberField(fields[i]) {
				v = packNumber(v)
			}
			fields[i+1] = q.seal.Seal(v, fieldAAD(callSID, fields[i]))
		}
	}
	return fields
}

// CreateOp is the write that records a captured request, its client data
// sealed.
func (q *Queue) CreateOp(c Capture) Op {
	op := q.clearCreateOp(c)
	op.Fields = q.sealFields(c.CallSID, op.Fields)
	return op
}

// clearCreateOp is CreateOp before sealing (benchmarks compare the two).
func (q *Queue) clearCreateOp(c Capture) Op {
	at := c.At
	if at.IsZero() {
		at = q.now()
	}
	id := q.newID(at)
	fields := []string{
		"id", id, "sid", c.CallSID, "from", callerField(c), "num", c.CallbackNumber, "rsn", string(c.Reason),
		"st", string(StatusPending),
		// The last four digits stay readable without the key: masking,
		// the done list's search.
		"l4", phone.LastFour(c.CallbackNumber),
	}
	if c.Language != "" && c.Language != DefaultLanguage {
		fields = append(fields, "lng", c.Language) // English, the usual case, costs nothing
	}
	return Op{
		Kind: "create", CallSID: c.CallSID, ID: id, At: at,
		Fields: fields,
		Event:  eventJSON(at, eventCaller, "created", ""),
	}
}

// ConsentOp records the caller's consent answers.
func (q *Queue) ConsentOp(callSID string, voicemail, namePractice Consent) Op {
	at := q.now()
	return Op{
		Kind: "update", CallSID: callSID, Mode: "set", At: at,
		Fields: []string{"cvm", string(voicemail), "cnm", string(namePractice)},
		Event:  eventJSON(at, eventCaller, "consent", ""),
	}
}

// MessageOp attaches the caller's voice message.
func (q *Queue) MessageOp(callSID string, m Message) Op {
	at := q.now()
	return Op{
		Kind: "update", CallSID: callSID, Mode: "set", At: at,
		Fields: recordingFields(m),
		Event:  eventJSON(at, eventCaller, "voice message", ""),
	}
}

// TranscriptionOp attaches the transcription of the voice message.
func (q *Queue) TranscriptionOp(callSID, text, status string) Op {
	at := q.now()
	return Op{
		Kind: "update", CallSID: callSID, Mode: "set", At: at,
		Fields: q.sealFields(callSID, []string{"tx", text, "txs", status}),
		Event:  eventJSON(at, "twilio", "transcription "+status, ""),
	}
}

// Apply performs op. For a create it returns the request's id and whether
// it is new; for an update, ErrNotFound when the call has no request (yet).
// With Options.Replicas set, ErrNotReplicated (with the id and created
// still reported) when the replicas did not acknowledge it in time. The
// call flow's writes go through Recorder.Record, which keeps them durable;
// Apply is the bare write, for seeding and tools.
func (q *Queue) Apply(ctx context.Context, op Op) (id string, created bool, err error) {
	res, acked, err := q.write(ctx, []Op{op}, q.replicas > 0)
	if err != nil {
		return "", false, err
	}
	if res[0].err != nil {
		return "", false, res[0].err
	}
	if !acked {
		err = fmt.Errorf("%w: fewer than %d within %v", ErrNotReplicated, q.replicas, q.replicaWait)
	}
	return res[0].id, res[0].created, err
}

// opResult is what one op did on the master.
type opResult struct {
	id      string
	created bool  // a create that made a new request
	err     error // ErrNotFound: an update whose request the master lacks
}

// write runs ops, in order, on the master of the queue's slot in one
// pipeline, and with wait also a write to a fence key and WAIT for
// Options.Replicas on the same connection. acked reports that the replicas
// hold every op (always true without wait). The fence matters when the
// scripts change nothing (a write re-applied to a master that has it): WAIT
// counts what this connection wrote, so without it a replica that never
// received the original would still be counted. An error means the master
// could not be trusted with any of them.
func (q *Queue) write(ctx context.Context, ops []Op, wait bool) (res []opResult, acked bool, err error) {
	key := q.prefix + "calls"
	scripts := make([]*redis.Script, len(ops))
	args := make([][]any, len(ops))
	for i, op := range ops {
		switch op.Kind {
		case "create":
			scripts[i], args[i] = scriptCreate, append([]any{q.prefix, op.ID, op.Event, op.CallSID}, strs(op.Fields)...)
		case "update":
			scripts[i], args[i] = scriptUpdate, append([]any{q.prefix, op.Event, op.Mode, op.CallSID}, strs(op.Fields)...)
		case kindMissed, kindSupersede:
			scripts[i], args[i] = q.missedScript(op)
		default:
			return nil, false, fmt.Errorf("apply: unknown op kind %q", op.Kind)
		}
	}
	cmds := make([]*redis.Cmd, len(ops))
	var ack *redis.Cmd
	if len(ops) == 1 && !wait {
		cmds[0] = q.group.run(ctx, scripts[0], []string{key}, args[0]...) // EVALSHA, batched with its neighbours
	} else {
		node, err := q.master(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("callback write: %w", err)
		}
		// EVAL, not EVALSHA: a master promoted in a failover does not have
		// the scripts cached, and a NOSCRIPT inside a pipeline has no retry.
		pipe := node.Pipeline()
		for i := range ops {
			cmds[i] = scripts[i].Eval(ctx, pipe, []string{key}, args[i]...)
		}
		if wait {
			pipe.Incr(ctx, q.prefix+"fence")
			ack = pipe.Do(ctx, "WAIT", q.replicas, q.replicaWait.Milliseconds())
		}
		_, _ = pipe.Exec(ctx) // each command's own error is read below
	}
	res = make([]opResult, len(ops))
	for i, c := range cmds {
		v, err := c.Result()
		switch {
		case ops[i].Kind == "update" && errors.Is(err, redis.Nil):
			res[i].err = ErrNotFound
		case err != nil:
			return nil, false, fmt.Errorf("%s callback request: %w", ops[i].Kind, err)
		case ops[i].Kind == "create" || ops[i].Kind == kindMissed:
			reply, _ := v.([]any)
			if len(reply) != 2 {
				return nil, false, fmt.Errorf("create callback request: unexpected reply %v", v)
			}
			n, _ := reply[0].(int64)
			res[i].id, _ = reply[1].(string)
			res[i].created = n == 1
		default:
			res[i].id, _ = v.(string)
		}
	}
	if ack == nil {
		return res, true, nil
	}
	// The scripts ran; a WAIT that failed only leaves them unacknowledged.
	n, _ := ack.Int64()
	return res, ack.Err() == nil && n >= int64(q.replicas), nil
}

// master is the node that takes the queue's writes: in a Cluster the
// master of the queue's slot, otherwise the client itself.
func (q *Queue) master(ctx context.Context) (redis.Cmdable, error) {
	if cc, ok := q.rdb.(*redis.ClusterClient); ok {
		return cc.MasterForKey(ctx, q.prefix+"calls")
	}
	return q.rdb, nil
}

// masterState is the identity of the server that takes the queue's writes
// (its run_id changes when it restarts or another server takes its place)
// and how many replicas it has online.
func (q *Queue) masterState(ctx context.Context) (runID string, online int, err error) {
	node, err := q.master(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("redis master: %w", err)
	}
	info, err := node.Info(ctx, "server", "replication").Result()
	if err != nil {
		return "", 0, fmt.Errorf("redis master: %w", err)
	}
	role := ""
	for _, line := range strings.Split(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		switch {
		case k == "run_id":
			runID = v
		case k == "role":
			role = v
		case strings.HasPrefix(k, "slave") && strings.Contains(v, "state=online"):
			online++
		}
	}
	if role != "master" {
		return "", 0, fmt.Errorf("redis master: the server is a %s", role)
	}
	return runID, online, nil
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Get returns a request with its history.
func (q *Queue) Get(ctx context.Context, id string) (*Request, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	pipe := q.rdb.Pipeline()
	h := pipe.HGetAll(ctx, q.prefix+"r:"+id)
	hist := pipe.LRange(ctx, q.prefix+"h:"+id, 0, -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("get callback request: %w", err)
	}
	if len(h.Val()) == 0 {
		return nil, ErrNotFound
	}
	r, err := q.decode(h.Val())
	if err != nil {
		return nil, err
	}
	for _, raw := range hist.Val() {
		if e, ok := decodeEvent(raw); ok {
			if e.Note, err = q.seal.Open(e.Note, noteAAD(id)); err != nil {
				return nil, fmt.Errorf("open note of callback request %s: %w", id, err)
			}
			r.History = append(r.History, e)
		}
	}
	r.UpdatedAt = r.LastChange()
	return r, nil
}

// idTime is the creation time a request's ULID carries (millisecond precision).
func idTime(id string) time.Time {
	u, err := ulid.ParseStrict(id)
	if err != nil {
		return time.Time{}
	}
	return ulid.Time(u.Time()).UTC()
}

func validID(id string) bool {
	_, err := ulid.ParseStrict(id)
	return err == nil
}

// decode reads a request's hash, opening its sealed fields.
func (q *Queue) decode(h map[string]string) (*Request, error) {
	for _, f := range sealedFields {
		if seal.Sealed(h[f]) {
			v, err := q.seal.Open(h[f], fieldAAD(h["sid"], f))
			if err != nil {
				return nil, fmt.Errorf("open callback request %s: %s: %w", h["id"], f, err)
			}
			if numberField(f) {
				v = unpackNumber(v)
			}
			h[f] = v
		}
	}
	num := func(k string) int64 { n, _ := strconv.ParseInt(h[k], 10, 64); return n }
	at := func(k string) time.Time {
		if n := num(k); n > 0 {
			return time.UnixMilli(n).UTC()
		}
		return time.Time{}
	}
	r := &Request{
		ID: h["id"], CallSID: h["sid"], CallerNumber: h["from"], CallbackNumber: h["num"], Reason: Reason(h["rsn"]),
		Language: cmp.Or(h["lng"], DefaultLanguage),
		// UpdatedAt is set from the history by Get, and from the request's
		// latest state change in lists.
		VoicemailOK: Consent(h["cvm"]), NamePracticeOK: Consent(h["cnm"]),
		CreatedAt: idTime(h["id"]), Status: Status(h["st"]), ClaimedBy: h["cby"], ClaimedByID: h["cbid"], ClaimedAt: at("cat"),
		Attempts: int(num("att")), Outcome: Outcome(h["out"]), FinishedAt: at("fin"),
	}
	if r.CallerNumber == "=" {
		r.CallerNumber = r.CallbackNumber
	}
	r.CallbackLast4 = cmp.Or(h["l4"], phone.LastFour(r.CallbackNumber)) // requests made before l4
	r.UpdatedAt = r.LastChange()
	if h["mc"] != "" {
		r.Missed = &Missed{Calls: int(num("mc")), Stage: h["mst"], Seconds: int(num("msec"))}
	}
	if h["rsid"] != "" || h["tx"] != "" {
		r.Message = &Message{
			RecordingSID: h["rsid"], DurationSeconds: int(num("rdur")),
			Transcription: h["tx"], TranscriptionStatus: h["txs"],
		}
	}
	return r, nil
}

// List returns up to limit requests with the given status and a cursor for
// the next page ("" at the end). Pending requests come urgent ones first
// (Reason.Urgent), oldest first among them, then the rest oldest first;
// claimed ones by claim time; done and cancelled ones (status done lists
// both) newest first.
func (q *Queue) List(ctx context.Context, status Status, limit int, cursor string) ([]*Request, string, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var ids []string
	var err error
	next := ""
	switch status {
	case StatusPending:
		ids, next, err = q.pendingPage(ctx, limit, cursor)
		if err != nil {
			return nil, "", err
		}
	case StatusClaimed, StatusDone, StatusCancelled:
		offset := 0
		if cursor != "" {
			if offset, err = strconv.Atoi(cursor); err != nil || offset < 0 {
				return nil, "", ErrBadCursor
			}
		}
		key, rev := q.prefix+"claimed", false
		if status != StatusClaimed {
			key, rev = q.prefix+"finished", true
		}
		by := redis.ZRangeArgs{Key: key, Start: offset, Stop: offset + limit, Rev: rev}
		ids, err = q.rdb.ZRangeArgs(ctx, by).Result()
		if err == nil && len(ids) > limit {
			ids = ids[:limit]
			next = strconv.Itoa(offset + limit)
		}
	default:
		return nil, "", fmt.Errorf("list: unknown status %q", status)
	}
	if err != nil {
		return nil, "", fmt.Errorf("list callback requests: %w", err)
	}
	reqs, err := q.load(ctx, ids)
	return reqs, next, err
}

// urgentCursor marks a cursor that stopped among the urgent requests; a
// bare id (every cursor before there were two sets) is among the rest.
const urgentCursor = "u:"

// pendingPage reads one page of the queue: the urgent set, then pending,
// each in id (creation) order. Both sets are read in one transaction, so a
// request moving between them is seen once. A cursor names the set and the
// last id it returned, so a page may end at the boundary and the next
// starts the other set.
func (q *Queue) pendingPage(ctx context.Context, limit int, cursor string) (ids []string, next string, err error) {
	urgentMin, restMin := "-", "-"
	id, inUrgent := strings.CutPrefix(cursor, urgentCursor)
	switch {
	case cursor == "":
	case !validID(id):
		return nil, "", ErrBadCursor
	case inUrgent:
		urgentMin = "(" + id
	default:
		restMin = "(" + id
	}
	page := func(pipe redis.Pipeliner, key, min string) *redis.StringSliceCmd {
		return pipe.ZRangeByLex(ctx, q.prefix+key, &redis.ZRangeBy{Min: min, Max: "+", Count: int64(limit + 1)})
	}
	var urgent, rest *redis.StringSliceCmd
	_, err = q.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		if cursor == "" || inUrgent {
			urgent = page(pipe, "urgent", urgentMin)
		}
		rest = page(pipe, "pending", restMin)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list callback requests: %w", err)
	}
	if urgent != nil {
		ids = urgent.Val()
		if len(ids) > limit {
			ids = ids[:limit]
			return ids, urgentCursor + ids[limit-1], nil
		}
	}
	more := rest.Val()
	if room := limit - len(ids); len(more) > room {
		ids = append(ids, more[:room]...)
		// The page is full: continue after its last id, in its own set.
		last := ids[len(ids)-1]
		if room == 0 {
			return ids, urgentCursor + last, nil
		}
		return ids, last, nil
	}
	return append(ids, more...), "", nil
}

func (q *Queue) load(ctx context.Context, ids []string) ([]*Request, error) {
	if len(ids) == 0 {
		return []*Request{}, nil
	}
	pipe := q.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, q.prefix+"r:"+id)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("load callback requests: %w", err)
	}
	out := make([]*Request, 0, len(ids))
	for _, c := range cmds {
		if len(c.Val()) > 0 {
			r, err := q.decode(c.Val())
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// change is one state change of a request, as the transition script takes it.
type change struct {
	id     string
	action string // claim, release, complete, cancel, note, callplaced, expire, purge
	// what is the history entry's wording; empty means the action (and the
	// outcome, if any).
	what string
	who  string
	// by is who, as a staff account, for the actions bound to the claim
	// (claim, release, complete, cancel, callplaced).
	by      Holder
	note    string
	outcome Outcome
	requeue bool
	// cutoff guards expire and purge: the claim or finish time must be older.
	cutoff time.Time
}

// transition runs one state change and returns the request afterwards.
func (q *Queue) transition(ctx context.Context, ch change) (*Request, error) {
	id, action, what := ch.id, ch.action, ch.what
	if what == "" {
		what = Action(action).What(ch.outcome)
	}
	if !validID(id) {
		return nil, ErrNotFound
	}
	if ch.by != (Holder{}) {
		if ch.by.ID == "" {
			return nil, fmt.Errorf("%s callback request: the staff account %q has no id", action, ch.by.Name)
		}
		ch.who = ch.by.Name
	}
	now := q.now()
	rq, admin := "0", "0"
	if ch.requeue {
		rq = "1"
	}
	if ch.by.Admin {
		admin = "1"
	}
	res, err := scriptTransition.Run(ctx, q.rdb, []string{q.prefix + "pending"},
		q.prefix, id, action, ch.who, ms(now), eventJSON(now, ch.who, what, q.seal.Seal(ch.note, noteAAD(id))), string(ch.outcome), rq, ms(ch.cutoff),
		ch.by.ID, ms(ch.by.Created), admin).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("%s callback request: %w", action, err)
	}
	switch res[0] {
	case "notfound":
		return nil, ErrNotFound
	case "conflict":
		return nil, &ConflictError{Status: Status(res[1]), ClaimedBy: res[2]}
	}
	if action == "purge" {
		return nil, nil
	}
	r, err := q.Get(ctx, id)
	if err == nil && len(res) > 2 && res[2] == "1" && q.onFirstAttempt != nil {
		q.onFirstAttempt(r, now)
	}
	return r, err
}

// OnFirstAttempt sets a function told of each request's first call-back
// attempt (reports count how soon it came). Set it before use.
func (q *Queue) OnFirstAttempt(f func(r *Request, at time.Time)) { q.onFirstAttempt = f }

// Claim gives the request to by, bound to its account's id. Exactly one of
// several concurrent claims wins; the others get a *ConflictError.
// Claiming again one's own claim is not an error.
func (q *Queue) Claim(ctx context.Context, id string, by Holder) (*Request, error) {
	r, err := q.transition(ctx, change{id: id, action: string(ActionClaim), by: by})
	if err == nil {
		q.observer.Callback("claimed", "")
	}
	return r, err
}

// Release returns a request claimed by by to the queue, in its original
// place. An administrator may also release a claim made before claims
// carried the account's id.
func (q *Queue) Release(ctx context.Context, id string, by Holder) (*Request, error) {
	return q.transition(ctx, change{id: id, action: string(ActionRelease), by: by})
}

// Complete records an attempt by by, who holds the claim: its outcome, its
// note, and whether the request goes back to the queue (Attempt.Requeues)
// or is done.
func (q *Queue) Complete(ctx context.Context, id string, by Holder, a Attempt) (*Request, error) {
	a, err := a.Check()
	if err != nil {
		return nil, err
	}
	r, err := q.transition(ctx, change{id: id, action: string(ActionComplete), by: by, note: a.Note, outcome: a.Outcome, requeue: a.Requeues()})
	if err == nil {
		q.observer.Callback("completed", string(a.Outcome))
	}
	return r, err
}

// Cancel withdraws a request, for an administrator or the claim's holder
// (Request.Allows); the transition script checks the state again, at once.
func (q *Queue) Cancel(ctx context.Context, id string, by Holder, note string) (*Request, error) {
	note, err := CleanNote(note)
	if err != nil {
		return nil, err
	}
	r, err := q.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := r.Allows(ActionCancel, by); err != nil {
		return nil, err
	}
	return q.transition(ctx, change{id: id, action: string(ActionCancel), by: by, note: note})
}

// AddNote adds a note (required, up to MaxNote bytes) to the request's
// history.
func (q *Queue) AddNote(ctx context.Context, id, who, note string) (*Request, error) {
	note, err := CleanRequiredNote(note)
	if err != nil {
		return nil, err
	}
	return q.transition(ctx, change{id: id, action: "note", who: who, note: note})
}

// Log writes an event (what, e.g. "number revealed", "message played") to
// the request's history, whatever its status.
func (q *Queue) Log(ctx context.Context, id, who, what string) (*Request, error) {
	return q.transition(ctx, change{id: id, action: "note", what: what, who: who})
}

// CallPlaced records that by, holding the claim, rang the client: an
// attempt, counted once even when the outcome is recorded afterwards.
func (q *Queue) CallPlaced(ctx context.Context, id string, by Holder, note string) (*Request, error) {
	note, err := CleanNote(note)
	if err != nil {
		return nil, err
	}
	return q.transition(ctx, change{id: id, action: string(ActionCallPlaced), by: by, note: note})
}

// SearchFinished returns up to limit done or cancelled requests, newest
// first, whose callback number ends in last4 (when given) and that were
// created on day in loc (when day is not zero). It looks at the newest
// 2,000 finished requests, which covers a clinic's retention period.
func (q *Queue) SearchFinished(ctx context.Context, last4 string, day time.Time, loc *time.Location, limit int) ([]*Request, error) {
	ids, err := q.rdb.ZRevRange(ctx, q.prefix+"finished", 0, 1999).Result()
	if err != nil {
		return nil, fmt.Errorf("search finished requests: %w", err)
	}
	all, err := q.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := []*Request{}
	for _, r := range all {
		if last4 != "" && r.CallbackLast4 != last4 {
			continue
		}
		if !day.IsZero() {
			y, m, d := r.CreatedAt.In(loc).Date()
			dy, dm, dd := day.Date()
			if y != dy || m != dm || d != dd {
				continue
			}
		}
		out = append(out, r)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// ExpireClaims returns claims older than the claim TTL to the queue and
// reports how many.
func (q *Queue) ExpireClaims(ctx context.Context) (int, error) {
	cutoff := q.now().Add(-q.claimTTL)
	ids, err := q.rdb.ZRangeByScore(ctx, q.prefix+"claimed", &redis.ZRangeBy{Min: "-inf", Max: ms(cutoff), Count: 500}).Result()
	if err != nil {
		return 0, fmt.Errorf("expire claims: %w", err)
	}
	n := 0
	for _, id := range ids {
		_, err := q.transition(ctx, change{id: id, action: "expire", who: "switchboard", note: "claim expired after " + q.claimTTL.String(), cutoff: cutoff})
		switch {
		case err == nil:
			n++
		case errors.Is(err, ErrConflict), errors.Is(err, ErrNotFound):
		default:
			return n, err
		}
	}
	return n, nil
}

// Purge deletes finished requests older than the retention and reports how
// many. Pending and claimed requests are never purged.
func (q *Queue) Purge(ctx context.Context) (int, error) {
	cutoff := q.now().Add(-q.retention)
	n := 0
	for {
		ids, err := q.rdb.ZRangeByScore(ctx, q.prefix+"finished", &redis.ZRangeBy{Min: "-inf", Max: ms(cutoff), Count: 500}).Result()
		if err != nil {
			return n, fmt.Errorf("purge: %w", err)
		}
		if len(ids) == 0 {
			return n, nil
		}
		for _, id := range ids {
			if _, err := q.transition(ctx, change{id: id, action: "purge", who: "switchboard", cutoff: cutoff}); err != nil && !errors.Is(err, ErrConflict) && !errors.Is(err, ErrNotFound) {
				return n, err
			}
			n++
		}
	}
}

// Stats summarises the queue.
type Stats struct {
	Pending int64 // every pending request, urgent ones included
	Urgent  int64 // pending requests whose reason is urgent
	Claimed int64
	// OldestPending is the creation time of the oldest pending request,
	// urgent or not: the figure says how long anyone has been waiting, so
	// urgent requests listed first must not hide an older one behind them.
	OldestPending time.Time
}

// Stats counts pending and claimed requests and finds the oldest pending one.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	pipe := q.rdb.Pipeline()
	p := pipe.ZCard(ctx, q.prefix+"pending")
	u := pipe.ZCard(ctx, q.prefix+"urgent")
	c := pipe.ZCard(ctx, q.prefix+"claimed")
	oldest := func(key string) *redis.StringSliceCmd {
		return pipe.ZRangeByLex(ctx, q.prefix+key, &redis.ZRangeBy{Min: "-", Max: "+", Count: 1})
	}
	firsts := []*redis.StringSliceCmd{oldest("pending"), oldest("urgent")}
	if _, err := pipe.Exec(ctx); err != nil {
		return Stats{}, fmt.Errorf("queue stats: %w", err)
	}
	s := Stats{Pending: p.Val() + u.Val(), Urgent: u.Val(), Claimed: c.Val()}
	for _, first := range firsts {
		if ids := first.Val(); len(ids) == 1 {
			if t := idTime(ids[0]); !t.IsZero() && (s.OldestPending.IsZero() || t.Before(s.OldestPending)) {
				s.OldestPending = t
			}
		}
	}
	return s, nil
}

// URLFor is the Twilio URL of a message's recording, built from its SID and
// the account.
func (m Message) URLFor(account string) string {
	return recordingPrefix + account + "/Recordings/" + m.RecordingSID
}

// Key returns the full Redis key for a suffix, for tests and tooling.
func (q *Queue) Key(suffix string) string { return q.prefix + strings.TrimPrefix(suffix, ":") }

// RecordingDeletion is a recording waiting to be deleted at Twilio: its
// request (which may be gone after retention) and its SID.
type RecordingDeletion struct {
	RequestID, RecordingSID string
	member                  string
}

// DueRecordingDeletions returns up to limit recordings whose deletion is
// due at now.
func (q *Queue) DueRecordingDeletions(ctx context.Context, limit int) ([]RecordingDeletion, error) {
	members, err := q.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: q.prefix + "recdel", ByScore: true,
		Start: "-inf", Stop: strconv.FormatInt(q.now().UnixMilli(), 10), Count: int64(limit)}).Result()
	if err != nil {
		return nil, fmt.Errorf("recordings to delete: %w", err)
	}
	out := make([]RecordingDeletion, 0, len(members))
	for _, m := range members {
		id, sid, _ := strings.Cut(m, " ")
		out = append(out, RecordingDeletion{RequestID: id, RecordingSID: sid, member: m})
	}
	return out, nil
}

// RecordingDeleteResult is what became of one deletion attempt.
type RecordingDeleteResult int

// The results of a deletion attempt.
const (
	RecordingDeleted RecordingDeleteResult = iota // Twilio confirmed: done
	RecordingRetry                                // failed: try again later
	RecordingKept                                 // deletion is off: forget it
)

// FinishRecordingDeletion records what became of a deletion: done or
// dropped (removed from the queue, and "recording deleted at Twilio" in the
// history when the request still exists), or due again at retryAt, with a
// history entry at the first failure.
func (q *Queue) FinishRecordingDeletion(ctx context.Context, d RecordingDeletion, res RecordingDeleteResult, retryAt time.Time) error {
	var what string
	switch res {
	case RecordingDeleted:
		if err := q.rdb.ZRem(ctx, q.prefix+"recdel", d.member).Err(); err != nil {
			return fmt.Errorf("recording deleted: %w", err)
		}
		what = "recording deleted at Twilio"
	case RecordingKept:
		return q.rdb.ZRem(ctx, q.prefix+"recdel", d.member).Err()
	case RecordingRetry:
		if err := q.rdb.ZAddXX(ctx, q.prefix+"recdel", redis.Z{Score: float64(retryAt.UnixMilli()), Member: d.member}).Err(); err != nil {
			return fmt.Errorf("retry recording deletion: %w", err)
		}
		n, err := q.rdb.HIncrBy(ctx, q.prefix+"r:"+d.RequestID, "rdf", 1).Result()
		if err != nil || n != 1 {
			return err
		}
		what = "recording deletion at Twilio failed; retrying until Twilio confirms"
	}
	if _, err := q.Log(ctx, d.RequestID, "switchboard", what); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
