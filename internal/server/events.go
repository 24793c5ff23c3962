package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/metrics"
	"github.com/switchboard-clinic/switchboard/internal/reports"
)

// callEvents tells the metrics and the practice's reports what callers do.
// Report counts are written in the background, bounded by a short
// deadline: a webhook never waits for them, and a count Redis loses is
// logged, not retried.
type callEvents struct {
	m    *metrics.Metrics
	book *reports.Book
	now  func() time.Time
	log  *slog.Logger
}

func (e callEvents) count(counter string) {
	at := e.now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := e.book.Count(ctx, counter, at); err != nil {
			e.log.Warn("a report count was lost", slog.String("counter", counter), slog.String("error", err.Error()))
		}
	}()
}

func (e callEvents) CallStarted(entry string) {
	e.m.CallStarted(entry)
	e.count(reports.Calls)
}

func (e callEvents) MenuChoice(menu, choice string)   { e.m.MenuChoice(menu, choice) }
func (e callEvents) RingOutcome(group, status string) { e.m.RingOutcome(group, status) }
func (e callEvents) RingPlaced(string)                { e.count(reports.Rang) }
func (e callEvents) RingAnswered(string)              { e.count(reports.Answered) }
func (e callEvents) CallbackOffered(callback.Reason)  { e.count(reports.Unanswered) }
