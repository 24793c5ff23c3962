package callback

import (
	"context"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// group runs the callback writes that arrive together in one pipeline (a
// group commit): while one batch is on its way to Redis, the writes that
// come in wait, and the first of them takes them all in the next. A write is
// still answered only with its own script's reply from Redis; batching
// saves round trips and system calls, not acknowledgements.
type group struct {
	rdb redis.Cmdable

	mu      sync.Mutex
	waiting []*groupCall
	leading bool // a batch is on its way, or its successor has been told to lead
}

// groupCall is one script call in a batch.
type groupCall struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	done   chan bool // true: lead the next batch; false: cmd holds the reply
}

// run runs script with keys and args, in a batch with the calls that
// arrive meanwhile.
func (g *group) run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	c := &groupCall{script: script, keys: keys, args: args, done: make(chan bool, 1)}
	g.mu.Lock()
	g.waiting = append(g.waiting, c)
	if g.leading {
		g.mu.Unlock()
		select {
		case lead := <-c.done:
			if !lead {
				return c.cmd
			}
		case <-ctx.Done():
			return g.giveUp(ctx, c)
		}
	} else {
		g.leading = true
		g.mu.Unlock()
	}
	g.lead(ctx)
	return c.cmd
}

// lead sends what is waiting (the leader's own call among it) as one
// batch, answers each call, and hands the lead to the first call that came
// in meanwhile.
func (g *group) lead(ctx context.Context) {
	g.mu.Lock()
	batch := g.waiting
	g.waiting = nil
	g.mu.Unlock()

	g.send(ctx, batch)
	for _, c := range batch {
		c.done <- false
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	g.handOver()
}

// handOver tells the first waiting call to lead, or ends the leading; mu
// is held.
func (g *group) handOver() {
	if len(g.waiting) == 0 {
		g.leading = false
		return
	}
	g.waiting[0].done <- true
}

// giveUp answers a call whose context ended while it waited. A call
// already sent keeps its place (Redis may run it; every write is
// idempotent, and the caller spools it); one still waiting leaves the
// queue, passing on the lead if it had just been given it.
func (g *group) giveUp(ctx context.Context, c *groupCall) *redis.Cmd {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, w := range g.waiting {
		if w != c {
			continue
		}
		g.waiting = append(g.waiting[:i], g.waiting[i+1:]...)
		select {
		case lead := <-c.done:
			if lead {
				g.handOver()
			}
		default:
		}
		break
	}
	cmd := redis.NewCmd(ctx)
	cmd.SetErr(ctx.Err())
	return cmd
}

// send runs a batch in one pipeline of EVALSHA; a script Redis does not
// have (a master promoted in a failover) runs again on its own, which
// loads it.
func (g *group) send(ctx context.Context, batch []*groupCall) {
	if len(batch) == 1 {
		c := batch[0]
		c.cmd = c.script.Run(ctx, g.rdb, c.keys, c.args...)
		return
	}
	pipe := g.rdb.Pipeline()
	for _, c := range batch {
		c.cmd = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // each call's own error is read by its caller
	for _, c := range batch {
		if err := c.cmd.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			c.cmd = c.script.Run(ctx, g.rdb, c.keys, c.args...)
		}
	}
}
