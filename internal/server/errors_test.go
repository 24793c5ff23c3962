package server_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/server"
)

// TestConstructorErrorsAreWrappedOnce checks that a part that fails to build
// is named once in the error, not once by itself and again by the wiring.
func TestConstructorErrorsAreWrappedOnce(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rdb, err := redisconn.Connect(rs.URL(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	line, err := config.LoadFile("")
	if err != nil {
		t.Fatal(err)
	}
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = server.New(server.Options{
		Env:  config.Env{PublicURL: public, AuthToken: token, RedisPrefix: "x:", RedisTimeout: time.Second},
		Live: config.NewLive("", line), Redis: rdb, Now: time.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SpoolDir: notADir, DataSealer: seal.Random(),
	})
	if err == nil {
		t.Fatal("New accepted a spool directory that is a file")
	}
	if n := strings.Count(err.Error(), "spool"); n != 1 {
		t.Errorf("error %q names the spool %d times, want once", err, n)
	}
}
