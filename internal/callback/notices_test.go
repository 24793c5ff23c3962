package callback_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/callback"
)

// TestNoticesOnePerNewRequest: every new request is announced once, with
// its reason, by RunNotices's workers while it runs, and by the writer
// itself once it has stopped; a replayed capture is not announced again.
func TestNoticesOnePerNewRequest(t *testing.T) {
	r := newRig(t)
	var mu sync.Mutex
	got := map[string]int{}
	reasons := map[string]callback.Reason{}
	r.rec.OnCreate(func(sid string, reason callback.Reason) {
		mu.Lock()
		defer mu.Unlock()
		got[sid]++
		reasons[sid] = reason
	})
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); r.rec.RunNotices(ctx, 3) }()
	capture := func(sid string) {
		t.Helper()
		if err := r.rec.Capture(t.Context(), callback.Capture{CallSID: sid, CallbackNumber: "+12065550142", Reason: callback.ReasonUnanswered}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		capture(fmt.Sprintf("CArun%d", i))
		capture(fmt.Sprintf("CArun%d", i)) // a replay: not new
	}
	stop()
	<-done
	capture("CAafter") // no workers: the writer announces it itself
	// RunNotices called the functions for all it had queued before it
	// returned; the last one was called by Capture.
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 51 {
		t.Fatalf("%d requests announced, want 51", len(got))
	}
	for sid, n := range got {
		if n != 1 || reasons[sid] != callback.ReasonUnanswered {
			t.Errorf("%s announced %d times with reason %q", sid, n, reasons[sid])
		}
	}
}
