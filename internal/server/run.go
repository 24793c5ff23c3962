package server

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Run is the owner of every background loop of the service: the recorder's
// upkeep (spool replay, claim expiry, purges, recording deletion) and its
// new-request notices (report counts, staff texts), the duty
// watch, the calls' writer, the missed-call texts and the report counts. It
// starts them, and when ctx ends stops them in the order their work flows
// (calls' outcomes queue texts and counts, so those stop after), flushes
// what is left (reports, a last spool replay) and returns.
func (a *Server) Run(ctx context.Context) {
	var loops sync.WaitGroup
	loops.Go(func() { a.Recorder.Run(ctx, 2*time.Second, time.Minute) })
	// New requests' notices count reports and text the staff (a few at a
	// time: a text waits for Twilio).
	loops.Go(func() { a.Recorder.RunNotices(ctx, 4) })
	if a.DutyWatch != nil {
		loops.Go(func() { a.DutyWatch.Run(ctx, 30*time.Second) })
	}
	tracksDone := make(chan struct{})
	go func() { defer close(tracksDone); a.Tracks.Run(ctx) }()

	// What the calls' writer still holds at the stop queues texts and
	// counts: those run until it is done.
	later, stopLater := context.WithCancel(context.WithoutCancel(ctx))
	var after sync.WaitGroup
	after.Go(func() { a.Texts.Run(later) })
	after.Go(func() { a.Reports.Run(later) })

	<-ctx.Done()
	loops.Wait()
	<-tracksDone
	stopLater()
	after.Wait()

	// One last attempt to hand spooled requests to Redis; what stays is
	// kept on disk and replayed at the next start.
	if a.Spool.Len() == 0 {
		return
	}
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := a.Recorder.Replay(drain); err != nil {
		a.log.Warn("spool not drained at shutdown; kept on disk", slog.String("error", err.Error()))
	}
	if n := a.Spool.Len(); n > 0 {
		a.log.Warn("callback writes remain in the spool for the next start", slog.Int("spooled", n), slog.String("path", a.Spool.Path()))
	}
}
