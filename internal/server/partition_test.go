package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/server"
)

// TestNothingConfirmedIsLostInASentinelPartition is the failover test that
// lost 40 of 200 requests: a master, one replica and three Sentinels
// (down-after-milliseconds 1000), two instances on one Sentinel REDIS_URL,
// and 200 concurrent callers. For 5 s the master is cut off from the
// Sentinels and the replica, but not from the instances: Sentinel promotes
// the replica, the instances write to the isolated master until they hear
// of it, and at the heal the old master is demoted and resynced, discarding
// what only it held. Every request a caller was told is saved must still be
// there exactly once, with all its answers.
//
// The partition is a proxy in front of the master that the Sentinels and
// the replica reach from 127.0.0.2 (bind-source-addr) and the instances
// from 127.0.0.1; Cut drops only the first.
func TestNothingConfirmedIsLostInASentinelPartition(t *testing.T) {
	t.Parallel()
	const (
		name   = "sb"
		behind = "127.0.0.2" // the Sentinels' and replica's source address
	)
	master := redistest.Start(t)
	front := redistest.StartProxy(t, master.Addr())
	replica := redistest.StartReplica(t, front.Addr(), "--bind-source-addr", behind)
	var sentinels []*redis.SentinelClient
	var addrs []string
	for i := 0; i < 3; i++ {
		s := redistest.StartSentinel(t, name, front.Addr(), 2,
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
		a, srv := instanceWith(t, url, env)
		apps, servers = append(apps, a), append(servers, srv)
	}

	const calls = 200
	spread, gap := 8*time.Second, 200*time.Millisecond
	run := startCallbackCalls(t, servers, calls, spread, gap)
	time.Sleep(spread / 4)
	front.Cut(behind)
	waitFor(t, 30*time.Second, "Sentinel to promote the replica", func(ctx context.Context) bool {
		addr, err := sentinels[0].GetMasterAddrByName(ctx, name).Result()
		return err == nil && len(addr) == 2 && addr[1] == fmt.Sprint(replica.Port)
	})
	time.Sleep(5 * time.Second)
	front.Heal()
	run.wait()
	waitFor(t, 60*time.Second, "the old master to rejoin as a replica", func(ctx context.Context) bool {
		role, err := master.Client().Do(ctx, "ROLE").Slice()
		return err == nil && len(role) > 0 && role[0] == "slave"
	})
	unacked := 0
	for _, a := range apps {
		unacked += a.Recorder.Spooled()
	}
	t.Logf("%d writes were still waiting for a replica after the heal", unacked)
	run.checkStored(t, apps, calls)
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
