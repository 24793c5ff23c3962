package redisconn_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

func TestConnectKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want string
	}{
		{"redis://127.0.0.1:6379/0", "single"},
		{"rediss://user:pw@redis.example.org:6380/1", "single"},
		{"unix:///run/redis.sock", "single"},
		{"redis://10.0.0.1:26379?master_name=mymaster&addr=10.0.0.2:26379", "sentinel"},
		{"redis+cluster://10.0.0.1:7000?addr=10.0.0.2:7000", "cluster"},
		{"redis://10.0.0.1:7000?addr=10.0.0.2:7000&addr=10.0.0.3:7000", "cluster"},
	}
	for _, tt := range tests {
		c, err := redisconn.Connect(tt.url, 300*time.Millisecond)
		if err != nil {
			t.Errorf("Connect(%q): %v", tt.url, err)
			continue
		}
		got := "single"
		switch c.(type) {
		case *redis.ClusterClient:
			got = "cluster"
		case *redis.Client:
			if tt.want == "sentinel" {
				got = "sentinel" // a failover client is a *redis.Client
			}
		}
		if got != tt.want {
			t.Errorf("Connect(%q) is %T, want %s", tt.url, c, tt.want)
		}
		c.Close()
	}
	for _, bad := range []string{"http://x", "redis://h:1?bogus_option=1", "::"} {
		if _, err := redisconn.Connect(bad, time.Second); err == nil {
			t.Errorf("Connect(%q) accepted", bad)
		}
	}
}

func TestConnectToARealServerAndCluster(t *testing.T) {
	testprog.Slow(t, "a Redis Cluster")
	t.Parallel()
	rs := redistest.Start(t)
	c, err := redisconn.Connect(rs.URL(), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := redisconn.Ping(t.Context(), c, time.Second); err != nil {
		t.Errorf("ping one server: %v", err)
	}
	rs.Kill()
	start := time.Now()
	if err := redisconn.Ping(t.Context(), c, time.Second); err == nil {
		t.Error("ping succeeded with the server gone")
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("a refused connection took %v to report", time.Since(start))
	}

	cl := redistest.StartCluster(t, 3)
	cc, err := redisconn.Connect(cl.URL(), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if err := cc.Set(t.Context(), "{cb}:probe", "1", 0).Err(); err != nil {
		t.Errorf("write through the cluster URL: %v", err)
	}
}
