package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

// The two steps of a normal call that write a request.
const (
	captureName = "callback: use the caller ID (records the request)"
	capturePath = "/twilio/callback/number?n=0&r=unanswered&rc=1"
	consentName = "callback: voicemail consent (records it)"
	consentPath = "/twilio/callback/consent?n=0&q=vm&rc=1"
)

// writeRow is one step that writes a request: Switchboard under wrk, each
// request a new call, with the baselines and redis-benchmark running the
// same Redis command, all in the same rounds.
type writeRow struct {
	scenario          string
	sb, plain, val    result
	redisBench        float64 // the step's script alone
	markBench         float64 // the step's mark of the call's progress
	command           string
	requests, repeats int // Switchboard's requests, and those that repeated a call
	confirmed, stored int64
}

// writeSteps measures the callback number confirmed (a new request) and
// the voicemail consent answer (an update of it) with wrk, every request
// a call of its own, signed beforehand. All capture rounds run first; the
// consent rounds then answer for the calls they recorded, each round the
// next calls not answered yet (a round that runs out starts its slice
// again, and counts the repeats). redis-benchmark runs the same EVALSHA
// with the same number of connections, interleaved with the rounds.
func writeSteps(o opts, dir, sbURL, plainURL, valURL string, redisPort int, baseReq request) []writeRow {
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", redisPort)})
	defer rdb.Close()
	ctx := context.Background()
	pending := func() int64 {
		n, err := rdb.ZCard(ctx, "switchboard:{cb}:pending").Result()
		if err != nil {
			fatalf("count stored requests: %v", err)
		}
		return n
	}
	rbCreate, rbUpdate, rbCapMark, rbConMark := prepareRedisBenchmark(rdb)
	// Enough calls for a round at 60,000 captures a second.
	perRound := 60000 * max(1, int(o.duration.Round(time.Second).Seconds()))
	body := func(path, sid, digits string) signedBody {
		f := url.Values{"CallSid": {sid}, "From": {"+12065550142"}, "To": {"+14258692644"}, "CallStatus": {"in-progress"}, "Digits": {digits}}
		return signedBody{body: f.Encode(), sig: simulate.Sign(token, public+path, f)}
	}
	sidOf := func(round, i int) string { return simulate.CallSID(fmt.Sprintf("write %d %d", round, i)) }

	capRow := writeRow{scenario: captureName, command: "EVALSHA of the create script (the arguments of a capture), " + rbCreate.desc +
		", and EVALSHA of the mark script (the mark a capture writes: a new call's record), " + rbCapMark.desc}
	var caps, plains, vals []result
	var rbs, marks []float64
	var captured []string // the calls recorded, in order
	for round := 0; round < o.rounds; round++ {
		plains = append(plains, wrkLoad(o.wrk, dir, plainURL, wrkConns, o.duration, baseReq))
		vals = append(vals, wrkLoad(o.wrk, dir, valURL, wrkConns, o.duration, baseReq))
		calls := make([]signedBody, perRound)
		for i := range calls {
			calls[i] = body(capturePath, sidOf(round, i), "1")
		}
		before := pending()
		res := wrkCalls(o.wrk, dir, sbURL, capturePath, wrkConns, o.duration, calls, "saved")
		stored := pending() - before
		if res.Errors > 0 || res.Requests >= len(calls) {
			fatalf("wrk %s: %d of %d answers were errors, %d calls", captureName, res.Errors, res.Requests, len(calls))
		}
		// wrk sends the calls in order; up to one per connection is cut
		// off in flight at the end (recorded, never confirmed): the calls
		// known to be recorded are all but the last of those.
		capRow.confirmed += int64(res.Saved)
		capRow.stored += stored
		capRow.requests += res.Requests
		// (wrk asks its script for one request it never sends: the first.)
		for i := 1; i < min(int(stored), res.Saved)-wrkConns; i++ {
			captured = append(captured, sidOf(round, i))
		}
		caps = append(caps, res)
		rbs = append(rbs, rbCreate.run(o.duration))
		marks = append(marks, rbCapMark.run(o.duration))
	}
	capRow.sb, capRow.plain, capRow.val, capRow.redisBench, capRow.markBench = median(caps), median(plains), median(vals), medianF(rbs), medianF(marks)
	fmt.Fprintf(os.Stderr, "wrk %s: %.0f req/s, redis-benchmark script %.0f, mark %.0f, confirmed %d, stored %d\n", captureName, capRow.sb.RPS, capRow.redisBench, capRow.markBench, capRow.confirmed, capRow.stored)

	// Consent answers run faster than captures: so that no round answers a
	// call twice (a replay, which writes nothing), calls with a pending
	// request are added, as a capture records them, for up to 25,000
	// answers a second.
	if need := o.rounds * 25000 * max(1, int(o.duration.Round(time.Second).Seconds())); len(captured) < need {
		captured = append(captured, recordCalls(rdb, need-len(captured))...)
	}

	conRow := writeRow{scenario: consentName, command: "EVALSHA of the update script (the arguments of a consent answer), " + rbUpdate.desc +
		", and EVALSHA of the mark script (the mark a consent answer writes: a known call's record), " + rbConMark.desc}
	var cons []result
	var answered []string
	plains, vals, rbs, marks = nil, nil, nil, nil
	for round := 0; round < o.rounds; round++ {
		plains = append(plains, wrkLoad(o.wrk, dir, plainURL, wrkConns, o.duration, baseReq))
		vals = append(vals, wrkLoad(o.wrk, dir, valURL, wrkConns, o.duration, baseReq))
		from, to := len(captured)*round/o.rounds, len(captured)*(round+1)/o.rounds
		calls := make([]signedBody, 0, to-from)
		for _, sid := range captured[from:to] {
			calls = append(calls, body(consentPath, sid, "2"))
		}
		if len(calls) == 0 {
			fatalf("no recorded calls to answer consent for")
		}
		res := wrkCalls(o.wrk, dir, sbURL, consentPath, wrkConns, o.duration, calls, "<Response>")
		if res.Errors > 0 {
			fatalf("wrk %s: %d of %d answers were errors", consentName, res.Errors, res.Requests)
		}
		conRow.requests += res.Requests
		conRow.repeats += max(0, res.Requests-len(calls))
		// The calls surely answered: not the first (wrk asks for it and
		// never sends it), nor the last in flight.
		answered = append(answered, captured[from+1:from+max(1, min(len(calls), res.Requests-wrkConns, 300))]...)
		cons = append(cons, res)
		rbs = append(rbs, rbUpdate.run(o.duration))
		marks = append(marks, rbConMark.run(o.duration))
	}
	// Every consent answered for a call with a request is in Redis, once
	// the writes that took longer than the recorder's deadline (spooled,
	// replayed every 2 seconds) are in.
	waitSpool(sbURL)
	missing := 0
	for i, sid := range answered {
		id, err := rdb.HGet(ctx, "switchboard:{cb}:calls", sid).Result()
		if err != nil {
			missing++
			fmt.Fprintf(os.Stderr, "request %d of %s: %v\n", i, sid, err)
			continue
		}
		if vm, _ := rdb.HGet(ctx, "switchboard:{cb}:r:"+id, "cvm").Result(); vm != string(callback.ConsentNo) {
			fatalf("consent of %s not recorded: %q", sid, vm)
		}
	}
	if missing > 0 {
		fatalf("%d calls captured have no request", missing)
	}
	calls, err := rdb.HLen(ctx, "switchboard:{cb}:calls").Result()
	if err != nil || calls != pending() {
		fatalf("%d calls recorded for %d requests (%v)", calls, pending(), err)
	}
	conRow.sb, conRow.plain, conRow.val, conRow.redisBench, conRow.markBench = median(cons), median(plains), median(vals), medianF(rbs), medianF(marks)
	fmt.Fprintf(os.Stderr, "wrk %s: %.0f req/s, redis-benchmark script %.0f, mark %.0f\n", consentName, conRow.sb.RPS, conRow.redisBench, conRow.markBench)
	return []writeRow{capRow, conRow}
}

// redisBench is one redis-benchmark command line.
type redisBench struct {
	args []string
	desc string
}

// run runs it for about d (at 40,000 commands a second) and returns its
// throughput.
func (b redisBench) run(d time.Duration) float64 {
	n := 40000 * max(1, int(d.Round(time.Second).Seconds()))
	args := append([]string{"-n", strconv.Itoa(n)}, b.args...)
	out, err := exec.Command("redis-benchmark", args...).CombinedOutput()
	if err != nil {
		fatalf("redis-benchmark: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`([0-9.]+) requests per second`).FindSubmatch(out)
	if m == nil {
		fatalf("redis-benchmark output: %s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	return rps
}

// rbRequests is how many requests redis-benchmark's consent answers pick
// from (created beforehand, as Switchboard's captures create theirs).
const rbRequests = 100000

// prepareRedisBenchmark loads the scripts and creates the requests the
// update runs answer for, under a prefix of their own, and returns the two
// command lines: the create a capture makes (a new request each time) and
// the update a consent answer makes.
func prepareRedisBenchmark(rdb *redis.Client) (create, update, captureMark, consentMark redisBench) {
	ctx := context.Background()
	port := rdb.Options().Addr[len("127.0.0.1:"):]
	q, _ := callback.NewQueue(callback.Options{Client: rdb, Sealer: seal.Random(), Prefix: "rb:"})
	capture := callback.Capture{CallSID: "CAx", CallerNumber: "+12065550142", CallbackNumber: "+12065550142", Reason: "unanswered", Language: "en", At: time.Now()}
	cop := q.CreateOp(capture)
	if _, _, err := q.Apply(ctx, cop); err != nil {
		fatalf("load script: %v", err)
	}
	createRequests(q, 32, 0, rbRequests, "create requests for redis-benchmark", func(i int) callback.Capture {
		c := capture
		c.CallSID = fmt.Sprintf("CA%012d", i)
		return c
	})
	base := []string{"-p", port, "-c", strconv.Itoa(wrkConns), "-q"}
	sha, err := rdb.ScriptLoad(ctx, callback.CreateScriptSource()).Result()
	if err != nil {
		fatalf("script load: %v", err)
	}
	create.args = append(append([]string(nil), base...), "-r", "1000000000",
		"EVALSHA", sha, "1", "rb:{cb}:calls", "rb:{cb}:", "__rand_int__", cop.Event, "CA__rand_int__")
	for i := 0; i < len(cop.Fields); i += 2 {
		v := cop.Fields[i+1]
		if cop.Fields[i] == "id" || cop.Fields[i] == "sid" {
			v = "__rand_int__"
		}
		create.args = append(create.args, cop.Fields[i], v)
	}
	create.desc = fmt.Sprintf("random CallSids, %d connections", wrkConns)
	uop := q.ConsentOp("CAx", callback.ConsentNo, callback.ConsentNo)
	sha, err = rdb.ScriptLoad(ctx, callback.UpdateScriptSource()).Result()
	if err != nil {
		fatalf("script load: %v", err)
	}
	update.args = append(append([]string(nil), base...), "-r", strconv.Itoa(rbRequests),
		"EVALSHA", sha, "1", "rb:{cb}:calls", "rb:{cb}:", uop.Event, uop.Mode, "CA__rand_int__")
	// The values are drawn at random too, so that every update changes its
	// request (two HSETs and a history entry), as a consent answer does:
	// with the answer's own values, an update drawing a CallSid a second
	// time changed nothing, and most of a run's updates were such no-ops.
	for i := 0; i+1 < len(uop.Fields); i += 2 {
		update.args = append(update.args, uop.Fields[i], "__rand_int__")
	}
	update.desc = fmt.Sprintf("CallSids drawn from %d requests, each value drawn at random so that every update changes its request, %d connections", rbRequests, wrkConns)

	// Each step also writes one mark of its call's progress (Switchboard
	// batches them, as it batches the scripts): a capture's is the first
	// of a new call in this benchmark, so it gives the record its expiry;
	// a consent answer's finds the record there.
	tracks, err := calls.New(rdb, "rb:", time.Second)
	if err != nil {
		fatalf("calls store: %v", err)
	}
	sha, err = rdb.ScriptLoad(ctx, calls.MarkScriptSource()).Result()
	if err != nil {
		fatalf("script load: %v", err)
	}
	mark := func(m calls.Mark, keyspace int, desc string) redisBench {
		key, margs := tracks.MarkCommand("CA__rand_int__", m)
		args := append(append([]string(nil), base...), "-r", strconv.Itoa(keyspace), "EVALSHA", sha, "1", key)
		return redisBench{args: append(args, margs...), desc: desc}
	}
	captureMark = mark(calls.Mark{Stage: calls.StageCallback, Lang: "en", Request: true}, 1000000000,
		fmt.Sprintf("random CallSids, %d connections", wrkConns))
	consentMark = mark(calls.Mark{Stage: calls.StageCallback, Lang: "en"}, rbRequests,
		fmt.Sprintf("CallSids drawn from %d, %d connections", rbRequests, wrkConns))
	return create, update, captureMark, consentMark
}

// stepRate is how many steps a second redis-benchmark's rates for a step's
// two commands come to: each step waits for both.
func stepRate(script, mark float64) float64 { return 1 / (1/script + 1/mark) }

func medianF(fs []float64) float64 {
	c := append([]float64(nil), fs...)
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j] < c[j-1]; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	return c[len(c)/2]
}

// waitSpool waits up to 30 seconds for Switchboard's /readyz to report no
// spooled write.
func waitSpool(base string) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			continue
		}
		var r struct {
			Spooled int `json:"spooled"`
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err == nil && r.Spooled == 0 {
			return
		}
	}
	fatalf("writes still spooled after 30 seconds")
}

// recordCalls records n callback requests, each a call of its own, as
// Switchboard's capture does (sealed with the same data key), and returns
// their CallSids.
func recordCalls(rdb *redis.Client, n int) []string {
	key, err := seal.ParseKey(dataKey)
	if err != nil {
		fatalf("data key: %v", err)
	}
	s, err := seal.New(key)
	if err != nil {
		fatalf("sealer: %v", err)
	}
	q, err := callback.NewQueue(callback.Options{Client: rdb, Sealer: s, Prefix: "switchboard:"})
	if err != nil {
		fatalf("queue: %v", err)
	}
	sids := make([]string, n)
	createRequests(q, 32, 0, n, "record calls for the consent rounds", func(i int) callback.Capture {
		sids[i] = simulate.CallSID(fmt.Sprintf("recorded %d", i))
		return callback.Capture{CallSID: sids[i], CallerNumber: "+12065550142", CallbackNumber: "+12065550142", Reason: "unanswered", Language: "en", At: time.Now()}
	})
	return sids
}

// createRequests records capture(i) for every i from from to to on q,
// workers at a time; a failed write stops the run, with what it was for.
func createRequests(q *callback.Queue, workers, from, to int, what string, capture func(i int) callback.Capture) {
	var wg sync.WaitGroup
	var next atomic.Int64
	next.Store(int64(from))
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(to); i = next.Add(1) - 1 {
				if _, _, err := q.Apply(context.Background(), q.CreateOp(capture(int(i)))); err != nil {
					fatalf("%s: %v", what, err)
				}
			}
		})
	}
	wg.Wait()
}
