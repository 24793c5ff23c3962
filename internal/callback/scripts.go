package callback

import (
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Every key of the queue starts with the same prefix, which carries the hash
// tag {cb}, so one script may touch them all on a single Redis, Sentinel or
// Cluster. Scripts derive request keys from ids with the prefix in ARGV[1];
// KEYS[1] routes the script to the right node.
//
//	<prefix>calls        hash: CallSid -> request id (the exactly-once key)
//	<prefix>r:<id>       hash: the request
//	<prefix>h:<id>       list: the request's history, JSON events
//	<prefix>pending      zset, all scores 0, members ids: the queue in id (time) order
//	<prefix>urgent       zset, all scores 0: pending requests whose reason is urgent, listed
//	                     before pending; a request is in one of the two, never both
//	<prefix>claimed      zset, score claimed-at ms: claims, for expiry
//	<prefix>finished     zset, score finished-at ms: done and cancelled, for retention

// scriptCreate records a request once per CallSid. A duplicate (a replayed
// webhook, a fallback, another instance) fills only fields the existing
// request lacks, so nothing is recorded twice and no field is lost.
// KEYS[1] the calls hash (CallSid -> id). ARGV: prefix, new id, event JSON,
// CallSid, then field/value pairs. Returns {created (0/1), id}.
var scriptCreate = redis.NewScript(createSource)

// CreateScriptSource is the Lua source of the create script, for
// benchmarks that run the same Redis command with redis-benchmark.
func CreateScriptSource() string { return createSource }

// queueOfLua defines, for the scripts, which of the two pending sets a
// request belongs in. The urgent reasons are written in from Reason.Urgent,
// so the rule has one home, in Go. A request stored without a reason (or
// before the urgent set existed) is in pending, where it always was.
var queueOfLua = func() string {
	var urgent []string
	for _, r := range Reasons() {
		if r.Urgent() {
			urgent = append(urgent, fmt.Sprintf("[%q] = true", r))
		}
	}
	return `
local urgentReasons = {` + strings.Join(urgent, ", ") + `}
local function queueOf(p, rk)
  if urgentReasons[redis.call('HGET', rk, 'rsn') or ''] then return p .. 'urgent' end
  return p .. 'pending'
end
-- enqueue puts a pending request in its set, and out of the other.
local function enqueue(p, rk, id)
  local q = queueOf(p, rk)
  redis.call('ZREM', q == p .. 'urgent' and p .. 'pending' or p .. 'urgent', id)
  redis.call('ZADD', q, 0, id)
end
`
}()

var createSource = queueOfLua + `
local id = redis.call('HGET', KEYS[1], ARGV[4])
if not id then
  id = ARGV[2]
  redis.call('HSET', KEYS[1], ARGV[4], id)
  local rk = ARGV[1] .. 'r:' .. id
  redis.call('HSET', rk, unpack(ARGV, 5))
  redis.call('RPUSH', ARGV[1] .. 'h:' .. id, ARGV[3])
  enqueue(ARGV[1], rk, id)
  return {1, id}
end
local rk = ARGV[1] .. 'r:' .. id
local refile = false
for i = 5, #ARGV, 2 do
  local cur = redis.call('HGET', rk, ARGV[i])
  if not cur or cur == '' then
    redis.call('HSET', rk, ARGV[i], ARGV[i + 1])
    if ARGV[i] == 'rsn' then refile = true end
  end
end
-- A duplicate that gives a request its first reason may make it urgent.
if refile and redis.call('HGET', rk, 'st') == 'pending' then enqueue(ARGV[1], rk, id) end
return {0, id}
`

// scriptUpdate sets fields on the request of a call. With mode "fill" only
// empty fields are set. The event is added only when something changed, so a
// replay leaves the history as it was.
// KEYS[1] the calls hash. ARGV: prefix, event JSON, mode, CallSid, then
// field/value pairs.
// Returns the id, or false when the call has no request.
var scriptUpdate = redis.NewScript(updateSource)

// UpdateScriptSource is the Lua source of the update script, for
// benchmarks that run the same Redis command with redis-benchmark.
func UpdateScriptSource() string { return updateSource }

const updateSource = `
local id = redis.call('HGET', KEYS[1], ARGV[4])
if not id then return false end
local rk = ARGV[1] .. 'r:' .. id
if redis.call('EXISTS', rk) == 0 then return false end
local changed = false
for i = 5, #ARGV, 2 do
  local cur = redis.call('HGET', rk, ARGV[i])
  if cur ~= ARGV[i + 1] and (ARGV[3] == 'set' or not cur or cur == '') then
    redis.call('HSET', rk, ARGV[i], ARGV[i + 1])
    changed = true
  end
end
if changed and ARGV[2] ~= '' then
  redis.call('RPUSH', ARGV[1] .. 'h:' .. id, ARGV[2])
end
return id
`

// scriptTransition moves a request between states atomically: claim,
// release, complete, cancel, note (any event in the history), callplaced
// (the console rang the client: an attempt), expire (a stale claim returns
// to the queue) and purge (retention).
// KEYS[1] pending key. ARGV: prefix, id, action, who (a name), now ms,
// event JSON, outcome, requeue ("1"/"0"), cutoff ms (expire, purge), then
// who's account id, its creation ms and "1" for an administrator (claim,
// release, complete, cancel, callplaced: see Request.HeldBy).
// Returns {"ok", status, first} (first "1" for the request's first call-back
// attempt, whose time is kept in fat) or {"notfound"} or {"conflict",
// status, claimedBy}.
var scriptTransition = redis.NewScript(queueOfLua + `
local p, id, action, who, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local rk = p .. 'r:' .. id
local st = redis.call('HGET', rk, 'st')
if not st then return {'notfound'} end
local by = redis.call('HGET', rk, 'cby') or ''
local byID = redis.call('HGET', rk, 'cbid') or ''
local hid = ARGV[10] or ''
local function conflict() return {'conflict', st, by} end
-- holds mirrors Request.HeldBy: the claim is bound to the account's id; a
-- claim stored before ids (cbid empty) is held by the same name from an
-- account made no later than the claim.
local function holds()
  if st ~= 'claimed' or hid == '' then return false end
  if byID ~= '' then return byID == hid end
  local cat = tonumber(redis.call('HGET', rk, 'cat') or '0') or 0
  return by == who and (tonumber(ARGV[11]) or 0) <= cat
end
local function toPending()
  redis.call('HSET', rk, 'st', 'pending', 'cby', '', 'cbid', '', 'cat', '', 'cpl', '')
  redis.call('ZREM', p .. 'claimed', id)
  enqueue(p, rk, id)
  return 'pending'
end
-- A finished or purged request's recording is queued for deletion at
-- Twilio, in the same step (the deleter acts when deleteRecordings is on).
local function queueRecording()
  local rs = redis.call('HGET', rk, 'rsid')
  if rs and rs ~= '' then redis.call('ZADD', p .. 'recdel', 'NX', now, id .. ' ' .. rs) end
end
local function toFinished(status)
  queueRecording()
  redis.call('HSET', rk, 'st', status, 'fin', now)
  redis.call('ZREM', p .. 'pending', id)
  redis.call('ZREM', p .. 'urgent', id)
  redis.call('ZREM', p .. 'claimed', id)
  redis.call('ZADD', p .. 'finished', now, id)
  return status
end
local new = st
local first = '0' -- '1' when this is the request's first call-back attempt
local function attempt()
  if redis.call('HINCRBY', rk, 'att', 1) == 1 then
    redis.call('HSET', rk, 'fat', now)
    first = '1'
  end
end
if action == 'claim' then
  if holds() then return {'ok', st} end
  if st ~= 'pending' or hid == '' then return conflict() end
  redis.call('HSET', rk, 'st', 'claimed', 'cby', who, 'cbid', hid, 'cat', now, 'cpl', '')
  redis.call('ZREM', p .. 'pending', id)
  redis.call('ZREM', p .. 'urgent', id)
  redis.call('ZADD', p .. 'claimed', now, id)
  new = 'claimed'
elseif action == 'release' then
  -- An administrator may also release a claim stored before ids.
  if not (holds() or (st == 'claimed' and byID == '' and ARGV[12] == '1')) then return conflict() end
  new = toPending()
elseif action == 'complete' then
  if not holds() then return conflict() end
  -- A call placed from the console already counted this attempt.
  if redis.call('HGET', rk, 'cpl') ~= '1' then attempt() end
  redis.call('HSET', rk, 'out', ARGV[7], 'cpl', '')
  if ARGV[8] == '1' then new = toPending() else new = toFinished('done') end
elseif action == 'cancel' then
  -- Request.Allows, atomically: the holder, or an administrator while it
  -- is pending (a claim that expired since the check is not the caller's).
  if not (holds() or (st == 'pending' and ARGV[12] == '1')) then return conflict() end
  new = toFinished('cancelled')
elseif action == 'note' then
  new = st
elseif action == 'callplaced' then
  if not holds() then return conflict() end
  attempt()
  redis.call('HSET', rk, 'cpl', '1')
elseif action == 'expire' then
  local cat = tonumber(redis.call('HGET', rk, 'cat') or '0') or 0
  if st ~= 'claimed' or cat > tonumber(ARGV[9]) then return conflict() end
  new = toPending()
elseif action == 'purge' then
  local fin = tonumber(redis.call('HGET', rk, 'fin') or '0') or 0
  if (st ~= 'done' and st ~= 'cancelled') or fin > tonumber(ARGV[9]) then return conflict() end
  queueRecording()
  local sid = redis.call('HGET', rk, 'sid')
  if sid then redis.call('HDEL', p .. 'calls', sid) end
  redis.call('DEL', rk, p .. 'h:' .. id)
  redis.call('ZREM', p .. 'finished', id)
  return {'ok', 'purged'}
else
  return redis.error_reply('unknown action ' .. action)
end
redis.call('RPUSH', p .. 'h:' .. id, ARGV[6])
return {'ok', new, first}
`)
