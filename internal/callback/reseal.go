package callback

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"
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

// resealWorkers is how many batches Reseal works at once: one reads and
// writes Redis while another seals.
const resealWorkers = 3

// Reseal re-seals every request's client data with the Sealer's current
// key: values sealed with an older key, and values stored in clear before
// sealing. It walks the requests with SCAN, batch by batch (a few batches
// at once, each read in one pipeline and written in another), and each
// change is a compare-and-set, so it may run while Switchboard serves, be
// stopped at any point and run again: values already under the current key
// are left alone. progress, when not nil, is told after each batch.
func (q *Queue) Reseal(ctx context.Context, progress func(ResealStats)) (ResealStats, error) {
	var st ResealStats
	node, err := q.master(ctx)
	if err != nil {
		return st, fmt.Errorf("reseal: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan []string)
	g.Go(func() error {
		defer close(batches)
		var cursor uint64
		for {
			keys, next, err := node.Scan(gctx, cursor, q.prefix+"r:*", 1000).Result()
			if err != nil {
				return fmt.Errorf("reseal: scan: %w", err)
			}
			select {
			case batches <- keys:
			case <-gctx.Done():
				return gctx.Err()
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	})
	var mu sync.Mutex
	for range resealWorkers {
		g.Go(func() error {
			for keys := range batches {
				n, err := q.resealBatch(gctx, node, keys)
				mu.Lock()
				st.Requests += len(keys)
				st.Values += n
				if err == nil && progress != nil {
					progress(st)
				}
				mu.Unlock()
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	err = g.Wait()
	return st, err
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
	var all [][]any
	for i, k := range keys {
		id := strings.TrimPrefix(k, q.prefix+"r:")
		args, err := q.resealArgs(id, fields[i].Val(), hists[i].Val())
		if err != nil {
			return 0, err
		}
		if args != nil {
			all = append(all, args)
		}
	}
	if len(all) == 0 {
		return 0, nil
	}
	// EVALSHA, the script loaded first; a pipeline has no NOSCRIPT retry,
	// so a server that lost it (a failover meanwhile) gets the batch again
	// with EVAL. The compare-and-set makes the second run harmless.
	n, err := q.resealWrite(ctx, node, all, true)
	if err != nil && strings.Contains(err.Error(), "NOSCRIPT") {
		n, err = q.resealWrite(ctx, node, all, false)
	}
	return n, err
}

// resealWrite runs scriptReseal for each request's arguments in one
// pipeline, by SHA or by source, and adds up what it replaced.
func (q *Queue) resealWrite(ctx context.Context, node redis.Cmdable, all [][]any, bySHA bool) (int, error) {
	if bySHA {
		if err := scriptReseal.Load(ctx, node).Err(); err != nil {
			return 0, fmt.Errorf("reseal: load script: %w", err)
		}
	}
	pipe := node.Pipeline()
	cmds := make([]*redis.Cmd, len(all))
	for i, args := range all {
		if bySHA {
			cmds[i] = scriptReseal.EvalSha(ctx, pipe, []string{q.prefix + "calls"}, args...)
		} else {
			cmds[i] = scriptReseal.Eval(ctx, pipe, []string{q.prefix + "calls"}, args...)
		}
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
		// Most entries hold no note, or one sealed with the current key
		// already: tell them without decoding.
		if !strings.Contains(raw, `"n":`) || strings.Contains(raw, `"n":"`+q.seal.CurrentPrefix()) {
			continue
		}
		renewed, err := q.resealNote(id, raw)
		if err != nil {
			return nil, err
		}
		if renewed != "" {
			list = append(list, strconv.Itoa(at), raw, renewed)
		}
	}
	if hash == nil && list == nil {
		return nil, nil
	}
	return append(append([]any{q.prefix, id, len(hash) / 3}, hash...), list...), nil
}

// resealNote returns a history entry with its note sealed under the
// current key, or "" when it needs nothing. A sealed note (base64, no
// quotes or escapes) is swapped in the JSON as it stands; only a note
// stored in clear before sealing is decoded.
func (q *Queue) resealNote(id, raw string) (string, error) {
	const tag = `"n":"`
	i := strings.Index(raw, tag+prefixSealed)
	if i < 0 {
		var e storedEvent
		if json.Unmarshal([]byte(raw), &e) != nil || q.seal.Current(e.N) {
			return "", nil
		}
		plain, err := q.seal.Open(e.N, noteAAD(id))
		if err != nil {
			return "", fmt.Errorf("reseal: callback request %s: note: %w", id, err)
		}
		e.N = q.seal.Seal(plain, noteAAD(id))
		b, _ := json.Marshal(e)
		return string(b), nil
	}
	from := i + len(tag)
	end := strings.IndexByte(raw[from:], '"')
	if end < 0 {
		return "", nil
	}
	old := raw[from : from+end]
	if q.seal.Current(old) {
		return "", nil
	}
	plain, err := q.seal.Open(old, noteAAD(id))
	if err != nil {
		return "", fmt.Errorf("reseal: callback request %s: note: %w", id, err)
	}
	return raw[:from] + q.seal.Seal(plain, noteAAD(id)) + raw[from+end:], nil
}

// prefixSealed starts every sealed value (seal's format "v1:<key id>:...").
const prefixSealed = "v1:"

// ResealSpool re-seals, with the current key, the client data of the
// writes waiting in a spool (values sealed with an older key, or kept in
// clear before sealing). The spool is rewritten in one atomic step (write,
// fsync, rename) under its file locks, so a serve running on the same
// spool keeps appending meanwhile, and a run that stops leaves it as it
// was: run it again. A write whose value does not open (a key missing from
// the old keys) is kept as it is and reported.
func (q *Queue) ResealSpool(s *Spool) (ResealStats, error) {
	var st ResealStats
	var failed []error
	err := s.Rework(func(ops []Op) []Op {
		for i := range ops {
			st.Requests++
			n, err := q.resealOp(&ops[i])
			st.Values += n
			if err != nil {
				failed = append(failed, err)
			}
		}
		return ops
	})
	if err != nil {
		return st, fmt.Errorf("reseal spool: %w", err)
	}
	if len(failed) > 0 {
		return st, fmt.Errorf("reseal spool: %d writes kept as they were, the first: %w", len(failed), failed[0])
	}
	return st, nil
}

// resealOp re-seals op's sealed fields in place (a copy of its field list)
// and reports how many changed; on an error op is left as it was.
func (q *Queue) resealOp(op *Op) (int, error) {
	fields := slices.Clone(op.Fields)
	n := 0
	for i := 0; i+1 < len(fields); i += 2 {
		f, v := fields[i], fields[i+1]
		if !slices.Contains(sealedFields, f) || v == "=" || q.seal.Current(v) {
			continue
		}
		plain, err := q.seal.Open(v, fieldAAD(op.CallSID, f))
		if err != nil {
			return 0, fmt.Errorf("spooled %s of call %s: %s: %w", op.Kind, op.CallSID, f, err)
		}
		fields[i+1] = q.seal.Seal(plain, fieldAAD(op.CallSID, f))
		n++
	}
	op.Fields = fields
	return n, nil
}
