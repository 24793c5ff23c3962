package calls_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/calls"
)

// TestWriterKeepsOrderAcrossBatches: marks queued faster than they are
// written go in batches, and an end still sees every mark of its call
// queued before it, and none queued after.
func TestWriterKeepsOrderAcrossBatches(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	w, err := calls.NewWriter(s, 10000, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ended := map[string]calls.Record{}
	end := func(_ context.Context, sid string, rec calls.Record, _ bool, err error) {
		if err != nil {
			t.Errorf("end %s: %v", sid, err)
		}
		mu.Lock()
		defer mu.Unlock()
		ended[sid] = rec
	}
	// Queued before Run starts: the writer finds them all waiting.
	for i := range 600 {
		sid := fmt.Sprintf("CAorder%d", i%20)
		w.Mark(sid, calls.Mark{Stage: calls.StageMenu})
		if i == 7 {
			w.Mark(sid, calls.Mark{Stage: calls.StageCallback, Request: true})
			w.End(sid, end)
			w.Mark(sid, calls.Mark{Stage: calls.StageRing, Extension: true}) // after its end
		}
	}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	if err := w.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	stop()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(ended) != 1 {
		t.Fatalf("%d calls ended, want 1", len(ended))
	}
	for sid, rec := range ended {
		if !rec.Seen || !rec.Request || rec.Extension || rec.Stage != calls.StageCallback {
			t.Errorf("%s ended as %+v: want the marks before its end only", sid, rec)
		}
	}
	if w.Dropped() != 0 {
		t.Errorf("%d dropped", w.Dropped())
	}
}
