package callback

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// scriptReseal replaces sealed values of one request, each only if it still
// holds what was read (compare and set), so a rotation running beside live
// traffic never overwrites a newer write. KEYS[1] the calls hash (routes
// the script). ARGV: prefix, id, number of field triples, then
// field/old/new triples for the request's hash, then index/old/new triples
// for its history list. Returns how many values it replaced.
var scriptReseal = redis.NewScript(`
local rk = ARGV[1] .. 'r:' .. ARGV[2]
local hk = ARGV[1] .. 'h:' .. ARGV[2]
local n = tonumber(ARGV[3])
local done = 0
local i = 4
for _ = 1, n do
  if redis.call('HGET', rk, ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', rk, ARGV[i], ARGV[i + 2])
    done = done + 1
  end
  i = i + 3
end
while i <= #ARGV do
  local at = tonumber(ARGV[i])
  if redis.call('LINDEX', hk, at) == ARGV[i + 1] then
    redis.call('LSET', hk, at, ARGV[i + 2])
    done = done + 1
  end
  i = i + 3
end
return done
`)

// ResealStats counts what Reseal did.
type ResealStats struct {
	Requests int // requests looked at
	Values   int // values re-sealed with the current key
}

// Reseal re-seals every request's client data with the Sealer's current
// key: values sealed with an older key, and values stored in clear before
// sealing. It walks the requests with SCAN, batch by batch, and each change
// is a compare-and-set, so it may run while Switchboard serves, be stopped
// at any point and run again: values already under the current key are
// left alone. progress, when not nil, is told after each batch.
func (q *Queue) Reseal(ctx context.Context, progress func(ResealStats)) (ResealStats, error) {
	var st ResealStats
	node, err := q.master(ctx)
	if err != nil {
		return st, fmt.Errorf("reseal: %w", err)
	}
	var cursor uint64
	for {
		keys, next, err := node.Scan(ctx, cursor, q.prefix+"r:*", 1000).Result()
		if err != nil {
			return st, fmt.Errorf("reseal: scan: %w", err)
		}
		n, err := q.resealBatch(ctx, node, keys)
		st.Requests += len(keys)
		st.Values += n
		if err != nil {
			return st, err
		}
		if progress != nil {
			progress(st)
		}
		if cursor = next; cursor == 0 {
			return st, nil
		}
	}
}

// resealBatch re-seals the requests whose hash keys are keys.
func (q *Queue) resealBatch(ctx context.Context, node redis.Cmdable, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	pipe := node.Pipeline()
	fields := make([]*redis.SliceCmd, len(keys))
	hists := make([]*redis.StringSliceCmd, len(keys))
	for i, k := range keys {
		id := strings.TrimPrefix(k, q.prefix+"r:")
		fields[i] = pipe.HMGet(ctx, k, append([]string{"sid"}, sealedFields...)...)
		hists[i] = pipe.LRange(ctx, q.prefix+"h:"+id, 0, -1)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return 0, fmt.Errorf("reseal: read: %w", err)
	}
	pipe = node.Pipeline()
	var cmds []*redis.Cmd
	for i, k := range keys {
		id := strings.TrimPrefix(k, q.prefix+"r:")
		args, err := q.resealArgs(id, fields[i].Val(), hists[i].Val())
		if err != nil {
			return 0, err
		}
		if args != nil {
			// EVAL: a pipeline has no NOSCRIPT retry.
			cmds = append(cmds, scriptReseal.Eval(ctx, pipe, []string{q.prefix + "calls"}, args...))
		}
	}
	if len(cmds) == 0 {
		return 0, nil
	}
	_, _ = pipe.Exec(ctx) // each command's own error is read below
	n := 0
	for _, c := range cmds {
		v, err := c.Int()
		if err != nil {
			return n, fmt.Errorf("reseal: write: %w", err)
		}
		n += v
	}
	return n, nil
}

// resealArgs are scriptReseal's arguments for one request, or nil when all
// its values are sealed with the current key already.
func (q *Queue) resealArgs(id string, vals []any, hist []string) ([]any, error) {
	sid, _ := vals[0].(string)
	var hash, list []any
	for j, f := range sealedFields {
		old, _ := vals[j+1].(string)
		if q.seal.Current(old) || old == "=" {
			continue
		}
		plain, err := q.seal.Open(old, fieldAAD(sid, f))
		if err != nil {
			return nil, fmt.Errorf("reseal: callback request %s: %s: %w", id, f, err)
		}
		hash = append(hash, f, old, q.seal.Seal(plain, fieldAAD(sid, f)))
	}
	for at, raw := range hist {
		var e storedEvent
		if json.Unmarshal([]byte(raw), &e) != nil || q.seal.Current(e.N) {
			continue
		}
		plain, err := q.seal.Open(e.N, noteAAD(id))
		if err != nil {
			return nil, fmt.Errorf("reseal: callback request %s: note: %w", id, err)
		}
		e.N = q.seal.Seal(plain, noteAAD(id))
		b, _ := json.Marshal(e)
		list = append(list, strconv.Itoa(at), raw, string(b))
	}
	if hash == nil && list == nil {
		return nil, nil
	}
	return append(append([]any{q.prefix, id, len(hash) / 3}, hash...), list...), nil
}
