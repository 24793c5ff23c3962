package logbatch_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/logbatch"
)

// sink counts the writes it gets.
type sink struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLinesWaitForTheBatch(t *testing.T) {
	t.Parallel()
	out := &sink{}
	w := logbatch.New(out)
	log := slog.New(logbatch.Urgent(slog.NewTextHandler(w, nil), w, slog.LevelWarn))
	for range 100 {
		log.Info("request", slog.Int("status", 200))
	}
	if got := out.String(); got != "" {
		t.Fatalf("info lines were written before a flush: %q", got)
	}
	log.Warn("redis is down")
	got := out.String()
	if n := strings.Count(got, "msg=request"); n != 100 || !strings.HasSuffix(got, "msg=\"redis is down\"\n") {
		t.Fatalf("a warning did not write the batch in order: %d requests, %q", n, got[max(0, len(got)-80):])
	}
	if out.writes > 4 {
		t.Errorf("101 lines took %d writes", out.writes)
	}
}

func TestAFullBatchGoesOutAndBigLinesAreWhole(t *testing.T) {
	t.Parallel()
	out := &sink{}
	w := logbatch.New(out)
	line := strings.Repeat("x", 1000) + "\n"
	for range 40 { // 40,000 bytes: more than a batch
		w.Write([]byte(line))
	}
	if out.String() == "" {
		t.Fatal("a full batch waited")
	}
	big := strings.Repeat("y", logbatch.Size+10)
	w.Write([]byte(big))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != strings.Repeat(line, 40)+big {
		t.Fatalf("lines were lost, reordered or cut: %d bytes", len(got))
	}
}

func TestRunFlushesAndStops(t *testing.T) {
	t.Parallel()
	out := &sink{}
	w := logbatch.New(out)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx, time.Millisecond) }()
	w.Write([]byte("one\n"))
	for out.String() == "" { // the ticker writes it; no deadline but the test's
		time.Sleep(time.Millisecond)
	}
	w.Write([]byte("two\n"))
	cancel()
	<-done
	if got := out.String(); got != "one\ntwo\n" {
		t.Fatalf("after Run stopped: %q", got)
	}
}
