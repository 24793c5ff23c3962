package callback

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
)

// echoScript answers its argument, and counts its runs in a key.
var echoScript = redis.NewScript(`redis.call('INCR', KEYS[1]) return ARGV[1]`)

// TestGroupAnswersEachCallWithItsOwnReply: writes arriving together share
// pipelines, and each gets its own script's reply, exactly once.
func TestGroupAnswersEachCallWithItsOwnReply(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	g := &group{rdb: rs.Client()}
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprint("call-", i)
			got, err := g.run(t.Context(), echoScript, []string{"runs"}, want).Text()
			if err != nil || got != want {
				errs <- fmt.Errorf("call %d: %q, %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if runs, _ := rs.Client().Get(t.Context(), "runs").Int(); runs != n {
		t.Errorf("the script ran %d times for %d calls", runs, n)
	}
	// A Redis without the script (a promoted master) still runs a batch.
	if err := rs.Client().ScriptFlush(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	var again sync.WaitGroup
	for i := range 20 {
		again.Add(1)
		go func() {
			defer again.Done()
			if got, err := g.run(t.Context(), echoScript, []string{"runs"}, i).Int(); err != nil || got != i {
				t.Errorf("after SCRIPT FLUSH, call %d: %d, %v", i, got, err)
			}
		}()
	}
	again.Wait()
}

// TestGroupGoesOnAfterCallsGiveUp: calls that wait behind a stuck batch and
// give up (their deadline passes) leave, and the lead passes on: once Redis
// answers again, a new call is answered instead of waiting for a leader
// that left.
func TestGroupGoesOnAfterCallsGiveUp(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	g := &group{rdb: rs.Client()}
	if err := g.run(t.Context(), echoScript, []string{"runs"}, "warm").Err(); err != nil {
		t.Fatal(err)
	}
	rs.Pause()
	stuck := make(chan error, 1)
	go func() { stuck <- g.run(context.Background(), echoScript, []string{"runs"}, "stuck").Err() }()
	for waiting := false; !waiting; { // the stuck call leads
		g.mu.Lock()
		waiting = g.leading
		g.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			if err := g.run(ctx, echoScript, []string{"runs"}, "late").Err(); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("a call behind a stuck batch: %v, want its deadline", err)
			}
		}()
	}
	wg.Wait()
	g.mu.Lock()
	left := len(g.waiting)
	g.mu.Unlock()
	if left != 0 {
		t.Errorf("%d calls that gave up still wait", left)
	}
	rs.Resume()
	if err := <-stuck; err != nil {
		t.Fatalf("the stuck call after Redis came back: %v", err)
	}
	if got, err := g.run(t.Context(), echoScript, []string{"runs"}, "next").Text(); err != nil || got != "next" {
		t.Fatalf("a call after the others gave up: %q, %v", got, err)
	}
}
