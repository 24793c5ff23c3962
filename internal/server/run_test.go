package server_test

import (
	"context"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/reports"
)

// TestRunOwnsTheLoopsAndFlushesAtTheStop: Run returns once its context ends,
// and the report counts made just before the stop are in Redis then, not
// lost with the process.
func TestRunOwnsTheLoopsAndFlushesAtTheStop(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	a, _ := instance(t, rs.URL())
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	a.Reports.Add(reports.Calls, monday)
	a.Reports.Add(reports.Calls, monday)
	stop()
	<-done
	p, err := a.Reports.Read(context.Background(), 1, monday)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Total(reports.Calls); got != 2 {
		t.Errorf("calls counted before the stop: %d in Redis after Run returned, want 2", got)
	}
}
