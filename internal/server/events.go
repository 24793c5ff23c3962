package server

import (
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/metrics"
	"github.com/switchboard-clinic/switchboard/internal/reports"
)

// callEvents tells the metrics and the practice's reports what callers do.
// Report counts are added in memory and written in the background: a
// webhook never waits for them.
type callEvents struct {
	m    *metrics.Metrics
	book *reports.Book
	now  func() time.Time
}

func (e callEvents) count(counter string) { e.book.Add(counter, e.now()) }

func (e callEvents) CallStarted(entry string) {
	e.m.CallStarted(entry)
	e.count(reports.Calls)
}

func (e callEvents) MenuChoice(menu, choice string)   { e.m.MenuChoice(menu, choice) }
func (e callEvents) RingOutcome(group, status string) { e.m.RingOutcome(group, status) }
func (e callEvents) RingPlaced(string)                { e.count(reports.Rang) }
func (e callEvents) RingAnswered(string)              { e.count(reports.Answered) }
func (e callEvents) CallbackOffered(callback.Reason)  { e.count(reports.Unanswered) }

// CallEnded counts a completed call's outcome, per day and language,
// where a caller who got no help gave up, and how long a caller who
// reached a person waited.
func (e callEvents) CallEnded(end calls.End) {
	e.m.CallOutcome(string(end.Outcome))
	if end.Reached {
		e.m.ToPerson(end.ToPerson)
	}
	e.book.CallEnded(end)
}
