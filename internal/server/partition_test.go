package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/api"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/server"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

// TestSentinelFailoversKeepRequestsVisibleAndDurable runs, on one Sentinel
// set (two Redis nodes, three Sentinels with down-after-milliseconds 1000)
// and two instances on one Sentinel REDIS_URL, the failures of issues 13
// and 21 in sequence, each while concurrent callers leave callback
// requests with their steps alternating between the instances:
//
//  1. the master is killed: Sentinel promotes the replica, and no replica
//     is left;
//  2. the new master is stopped for 3 s (there is nothing to fail over to);
//  3. the old master comes back and rejoins as a replica;
//  4. the master is cut off from the Sentinels and its replica, but not
//     from the instances, for 5 s: Sentinel promotes the replica, the
//     instances write to the isolated master until they hear of it, and at
//     the heal the old master is demoted and resynced, discarding what only
//     it held (the failure that lost 40 of 200 requests before issue 13).
//
// After each phase, once a master takes writes, every request a caller was
// told is saved must be listed once by the staff API within 20 s (issue
// 21: before, staff saw 88 of 200 and 24 of 100 until a replica came back),
// /readyz must say ready while the instances still wait for a replica, and
// at the end, with a replica back, the spools must drain with every request
// stored once with all its answers. Every webhook answers within a second.
//
// Each node sits behind a proxy, which it announces as its address; the
// Sentinels and the replication link reach the nodes from 127.0.0.2
// (bind-source-addr), the instances from 127.0.0.1, so Cut(127.0.0.2) on a
// node's proxy makes the partition Sentinel cannot see past.
func TestSentinelFailoversKeepRequestsVisibleAndDurable(t *testing.T) {
	testprog.Slow(t, "a minute of Sentinel failovers")
	// Not parallel: its callers would slow the other fault tests' webhooks
	// past their one second on a busy machine, and theirs its own.
	const (
		name   = "sb"
		behind = "127.0.0.2" // the Sentinels' and replication's source address
	)
	frontA, frontB := redistest.StartProxy(t, ""), redistest.StartProxy(t, "")
	node := func(front *redistest.Proxy, args ...string) *redistest.Server {
		return redistest.Start(t, append([]string{"--bind-source-addr", behind,
			"--replica-announce-ip", "127.0.0.1", "--replica-announce-port", fmt.Sprint(front.Port())}, args...)...)
	}
	a := node(frontA)
	frontA.SetTarget(a.Addr())
	b := node(frontB, "--replicaof", "127.0.0.1", fmt.Sprint(frontA.Port()))
	frontB.SetTarget(b.Addr())

	var sentinels []*redis.SentinelClient
	var addrs []string
	for i := 0; i < 3; i++ {
		s := redistest.StartSentinel(t, name, frontA.Addr(), 2,
			"sentinel down-after-milliseconds "+name+" 1000",
			"sentinel failover-timeout "+name+" 4000",
			"bind-source-addr "+behind)
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr()})
		t.Cleanup(func() { sc.Close() })
		sentinels, addrs = append(sentinels, sc), append(addrs, s.Addr())
	}
	seen := ""
	waitFor(t, 30*time.Second, "the Sentinels to know the replica and each other", func(ctx context.Context) bool {
		for _, sc := range sentinels {
			others, err := sc.Sentinels(ctx, name).Result()
			reps, rerr := sc.Replicas(ctx, name).Result()
			seen = fmt.Sprintf("sentinels %v (%v), replicas %v (%v)", others, err, reps, rerr)
			if err != nil || len(others) != 2 {
				return false
			}
			if rerr != nil || len(reps) != 1 || strings.Contains(reps[0]["flags"], "down") || reps[0]["master-link-status"] != "ok" {
				return false
			}
		}
		return true
	}, &seen)

	url := fmt.Sprintf("redis://%s?master_name=%s&addr=%s&addr=%s", addrs[0], name, addrs[1], addrs[2])
	env, err := config.FromEnv(func(k string) string {
		return map[string]string{"REDIS_URL": url, "SWITCHBOARD_PUBLIC_URL": public, "TWILIO_AUTH_TOKEN": token,
			"SWITCHBOARD_REDIS_PREFIX": "multi:"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if env.RedisReplicas != 1 {
		t.Fatalf("a Sentinel REDIS_URL waits for %d replicas, want 1 by default", env.RedisReplicas)
	}
	var apps []*server.Server
	var servers []*httptest.Server
	for i := 0; i < 2; i++ {
		app, srv := instanceWith(t, url, env)
		apps, servers = append(apps, app), append(servers, srv)
	}
	// The spools' replayers, as serve runs them; stopped before the
	// instances close (cleanups run last first).
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{}, len(apps))
	for _, app := range apps {
		go func() {
			app.Recorder.Run(ctx, time.Second, time.Hour)
			done <- struct{}{}
		}()
	}
	t.Cleanup(func() {
		stop()
		for range apps {
			<-done
		}
	})
	staffToken, err := apps[0].Staff.Add(t.Context(), "dana")
	if err != nil {
		t.Fatal(err)
	}
	staffAPI := api.NewClient(servers[1].URL, staffToken, nil)
	masterIs := func(front *redistest.Proxy) func(context.Context) bool {
		return func(ctx context.Context) bool {
			addr, err := sentinels[0].GetMasterAddrByName(ctx, name).Result()
			return err == nil && len(addr) == 2 && addr[1] == fmt.Sprint(front.Port())
		}
	}
	clients := map[*redistest.Server]*redis.Client{a: a.Client(), b: b.Client()}
	writable := func(s *redistest.Server) func(context.Context) bool {
		return func(ctx context.Context) bool { return clients[s].Set(ctx, "probe", "1", 0).Err() == nil }
	}
	isReplica := func(s *redistest.Server) func(context.Context) bool {
		return func(ctx context.Context) bool {
			info, err := clients[s].Info(ctx, "replication").Result()
			return err == nil && strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up")
		}
	}
	var confirmed []string
	phase := func(what string, first, calls int, fault func()) {
		t.Helper()
		spread, gap := 6*time.Second, 200*time.Millisecond
		run := startCallbackCalls(t, servers, first, calls, spread, gap)
		time.Sleep(spread / 4)
		fault()
		run.wait()
		confirmed = append(confirmed, run.confirmed...)
		if len(run.confirmed) != calls {
			t.Errorf("%s: %d of %d calls confirmed", what, len(run.confirmed), calls)
		}
		listedWithin(t, staffAPI, confirmed, 20*time.Second, what)
		t.Logf("%s: %d calls, all %d confirmed so far listed; %d webhooks, slowest %v", what, calls, len(confirmed), run.webhooks, run.slowest)
	}
	// ready waits for /readyz to say ready on both instances (writes that
	// met the failover wait for Redis for a moment) and to count writes
	// that wait for a replica.
	ready := func(what string) {
		t.Helper()
		var last string
		waitFor(t, 20*time.Second, "/readyz to say ready "+what, func(context.Context) bool {
			unreplicated, ok := 0, true
			last = ""
			for _, srv := range servers {
				var body struct {
					Status       string `json:"status"`
					Redis        string `json:"redis"`
					Spooled      int    `json:"spooled"`
					Unreplicated int    `json:"unreplicated"`
				}
				code := getJSON(t, srv.URL+"/readyz", &body)
				last += fmt.Sprintf("%d %+v; ", code, body)
				ok = ok && code == http.StatusOK && body.Status == "ready"
				unreplicated += body.Unreplicated
			}
			return ok && unreplicated > 0
		}, &last)
	}

	phase("master killed", 0, 120, func() {
		a.Kill()
		waitFor(t, 30*time.Second, "Sentinel to promote the replica", masterIs(frontB))
		waitFor(t, 30*time.Second, "the new master to take writes", writable(b))
	})
	ready("after the master was killed")
	phase("new master stopped for 3 s", 1000, 60, func() {
		b.Pause()
		time.Sleep(3 * time.Second)
		b.Resume()
		waitFor(t, 30*time.Second, "the master to take writes again", writable(b))
	})
	ready("after the master was stopped")
	phase("old master rejoins", 2000, 60, func() {
		a.Restart() // empty: the failover is what it missed
		waitFor(t, 60*time.Second, "the old master to rejoin as a replica", isReplica(a))
	})
	drained(t, apps, "after the old master rejoined")
	phase("master partitioned for 5 s", 3000, 120, func() {
		frontB.Cut(behind)
		waitFor(t, 30*time.Second, "Sentinel to promote the replica", masterIs(frontA))
		waitFor(t, 30*time.Second, "the new master to take writes", writable(a))
		time.Sleep(5 * time.Second)
		frontB.Heal()
		waitFor(t, 60*time.Second, "the old master to rejoin as a replica", isReplica(b))
	})
	drained(t, apps, "after the partition healed")
	run := &callbackCalls{confirmed: confirmed}
	run.checkStored(t, apps, len(confirmed))
}

// listedWithin polls the staff API until every confirmed request is listed
// as pending, failing on a duplicate or after limit.
func listedWithin(t *testing.T, staffAPI *api.Client, confirmed []string, limit time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		listed := map[string]bool{}
		cursor, failed := "", error(nil)
		for {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			page, next, err := staffAPI.List(ctx, string(callback.StatusPending), 200, cursor)
			cancel()
			if err != nil {
				failed = err
				break
			}
			for _, v := range page {
				if listed[v.CallSID] {
					t.Fatalf("%s: call %s listed twice", what, v.CallSID)
				}
				listed[v.CallSID] = true
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		var missing []string
		for _, sid := range confirmed {
			if !listed[sid] {
				missing = append(missing, sid)
			}
		}
		if failed == nil && len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after %v staff do not see %d of %d confirmed requests (last error %v)", what, limit, len(missing), len(confirmed), failed)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// drained waits until both instances' spools are empty: a replica has every
// write.
func drained(t *testing.T, apps []*server.Server, what string) {
	t.Helper()
	waitFor(t, 60*time.Second, "the spools to drain "+what, func(context.Context) bool {
		return apps[0].Recorder.Spooled()+apps[1].Recorder.Spooled() == 0
	})
}

// getJSON GETs url and decodes its JSON body into out, returning the status.
func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
	return resp.StatusCode
}

// waitFor polls cond every 100ms until it holds, failing the test after limit.
// seen, when given, says what was last seen.
func waitFor(t *testing.T, limit time.Duration, what string, cond func(context.Context) bool, seen ...*string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		ok := cond(ctx)
		cancel()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			last := ""
			for _, s := range seen {
				last += "; last seen: " + *s
			}
			t.Fatalf("waited %v for %s%s", limit, what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
