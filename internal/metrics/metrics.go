// Package metrics exposes Switchboard's Prometheus metrics: calls, menu
// choices, ring outcomes, callback requests, the queue, webhook latency,
// Redis errors, the spool and signature failures. No label ever holds a
// caller's number or anything they said.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// QueueState is read at each scrape.
type QueueState struct {
	Pending, Claimed, Overdue int
	OldestPending             time.Time // zero when nothing is pending
	Spooled                   int
	// Unreplicated callback writes are on the Redis master and in the
	// spool, not yet acknowledged by a replica; OldestUnreplicated is when
	// the oldest was taken (zero when none).
	Unreplicated       int
	OldestUnreplicated time.Time
}

// Metrics holds the collectors of one process. Its methods are safe for
// concurrent use; a nil *Metrics ignores every event.
type Metrics struct {
	reg        *prometheus.Registry
	calls      *prometheus.CounterVec
	choices    *prometheus.CounterVec
	rings      *prometheus.CounterVec
	outcomes   *prometheus.CounterVec
	toPerson   prometheus.Histogram
	callbacks  *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	redisErrs  prometheus.Counter
	lost       prometheus.Counter
	signatures prometheus.Counter
	texts      *prometheus.CounterVec
}

// New registers the metrics. state is called at each scrape (bounded by a
// short timeout) for the queue and spool gauges; it may be nil.
func New(state func(context.Context) (QueueState, error)) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_calls_total", Help: "Calls answered, by how they entered."}, []string{"entry"}),
		choices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_menu_choices_total", Help: "Answers to menus: the action chosen, or invalid / none."}, []string{"menu", "choice"}),
		rings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_ring_outcomes_total", Help: "Ends of ring-group and extension dials, by group and Twilio DialCallStatus."}, []string{"group", "status"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_call_outcomes_total", Help: "Completed calls by outcome (person, request, info, extension, crisis, hangup-menu, hangup-ring, hangup-callback, ended-by-line, unknown)."}, []string{"outcome"}),
		toPerson: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "switchboard_seconds_to_person", Help: "Seconds from a caller asking for a person (the first ring of a ring group) to one answering, per completed call that reached a person. No labels.",
			Buckets: []float64{5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300}}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_callback_requests_total", Help: "Callback request events: created, spooled, claimed, completed."}, []string{"event", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_webhook_seconds", Help: "Time to answer Twilio webhooks, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"}),
		redisErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_redis_errors_total", Help: "Redis commands that failed or timed out."}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_callback_writes_lost_total",
			Help: "Callback writes given up after a caller was told they were saved (a spooled update whose request never reached Redis). Alert on any increase."}),
		signatures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_signature_failures_total", Help: "Webhooks refused for a missing or wrong X-Twilio-Signature."}),
		texts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_missed_call_texts_total", Help: "Missed-call texts by result: sent, opted-out, limit (one a day), failed."}, []string{"result"}),
	}
	m.reg.MustRegister(m.calls, m.choices, m.rings, m.outcomes, m.toPerson, m.callbacks, m.latency, m.redisErrs, m.lost, m.signatures, m.texts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if state != nil {
		m.reg.MustRegister(&queueCollector{state: state, errs: m.redisErrs})
	}
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// CallStarted counts a call entering at entry ("voice").
func (m *Metrics) CallStarted(entry string) {
	if m != nil {
		m.calls.WithLabelValues(entry).Inc()
	}
}

// MenuChoice counts an answer to a menu.
func (m *Metrics) MenuChoice(menu, choice string) {
	if m != nil {
		m.choices.WithLabelValues(menu, choice).Inc()
	}
}

// RingOutcome counts the end of a dial.
func (m *Metrics) RingOutcome(group, status string) {
	if m != nil {
		m.rings.WithLabelValues(group, status).Inc()
	}
}

// CallOutcome counts a completed call's outcome.
func (m *Metrics) CallOutcome(outcome string) {
	if m != nil {
		m.outcomes.WithLabelValues(outcome).Inc()
	}
}

// ToPerson observes how long a caller who reached a person waited for one.
func (m *Metrics) ToPerson(wait time.Duration) {
	if m != nil {
		m.toPerson.Observe(wait.Seconds())
	}
}

// MissedText counts a missed-call text by result.
func (m *Metrics) MissedText(result string) {
	if m != nil {
		m.texts.WithLabelValues(result).Inc()
	}
}

// Callback counts a callback request event; outcome is "" except for completed.
func (m *Metrics) Callback(event, outcome string) {
	if m != nil {
		m.callbacks.WithLabelValues(event, outcome).Inc()
	}
}

// RedisError counts a failed Redis command.
func (m *Metrics) RedisError() {
	if m != nil {
		m.redisErrs.Inc()
	}
}

// WriteLost counts a callback write given up.
func (m *Metrics) WriteLost() {
	if m != nil {
		m.lost.Inc()
	}
}

// SignatureFailure counts a refused webhook.
func (m *Metrics) SignatureFailure() {
	if m != nil {
		m.signatures.Inc()
	}
}

// ObserveWebhook records how long a webhook took.
func (m *Metrics) ObserveWebhook(route string, d time.Duration) {
	if m != nil {
		m.latency.WithLabelValues(route).Observe(d.Seconds())
	}
}

// queueCollector reads the queue at scrape time.
type queueCollector struct {
	state func(context.Context) (QueueState, error)
	errs  prometheus.Counter
}

var (
	descPending = prometheus.NewDesc("switchboard_callback_queue_pending", "Callback requests waiting for staff.", nil, nil)
	descClaimed = prometheus.NewDesc("switchboard_callback_queue_claimed", "Callback requests being worked.", nil, nil)
	descOverdue = prometheus.NewDesc("switchboard_callback_queue_overdue", "Pending requests older than the deadline in office hours (of the oldest 200).", nil, nil)
	descOldest  = prometheus.NewDesc("switchboard_callback_queue_oldest_seconds", "Age of the oldest pending request (0 when none).", nil, nil)
	descSpooled = prometheus.NewDesc("switchboard_spool_depth", "Callback writes in the local spool: waiting for Redis or for a replica.", nil, nil)
	descUnrepl  = prometheus.NewDesc("switchboard_callback_unreplicated_writes",
		"Callback writes on the Redis master that no replica has acknowledged yet (kept in the spool until one does).", nil, nil)
	descUnreplAge = prometheus.NewDesc("switchboard_callback_unreplicated_oldest_seconds",
		"Age of the oldest callback write no replica has acknowledged (0 when none).", nil, nil)
)

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPending, descClaimed, descOverdue, descOldest, descSpooled, descUnrepl, descUnreplAge} {
		ch <- d
	}
}

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := q.state(ctx)
	ch <- prometheus.MustNewConstMetric(descSpooled, prometheus.GaugeValue, float64(s.Spooled))
	ch <- prometheus.MustNewConstMetric(descUnrepl, prometheus.GaugeValue, float64(s.Unreplicated))
	unreplAge := 0.0
	if !s.OldestUnreplicated.IsZero() {
		unreplAge = time.Since(s.OldestUnreplicated).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(descUnreplAge, prometheus.GaugeValue, unreplAge)
	if err != nil {
		q.errs.Inc()
		return // the queue gauges are absent while Redis is unreachable
	}
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(s.Pending))
	ch <- prometheus.MustNewConstMetric(descClaimed, prometheus.GaugeValue, float64(s.Claimed))
	ch <- prometheus.MustNewConstMetric(descOverdue, prometheus.GaugeValue, float64(s.Overdue))
	age := 0.0
	if !s.OldestPending.IsZero() {
		age = time.Since(s.OldestPending).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age)
}
