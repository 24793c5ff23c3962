package main

import (
	"fmt"
	"strings"
	"time"
)

type webhookRow struct {
	scenario       string
	conns          int
	sb, plain, val result
}

type captureRow struct {
	sb, menu          result
	confirmed, stored int64
	redisBench        float64
}

type queueRow struct {
	large                 int
	fillTime              time.Duration
	smallPage, smallClaim time.Duration
	largePage, largeClaim time.Duration
}

type report struct {
	started, finished time.Time
	webhooks          []webhookRow
	wrk               []webhookRow
	capture           captureRow
	queue             queueRow
	memory            float64
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func (r *report) markdown(o opts) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Switchboard benchmarks\n\n")
	w("Measured %s on %s. Command: `bench/run` (load runs of %s, %d interleaved rounds, medians reported). ",
		r.started.UTC().Format("2006-01-02 15:04 MST"), machine(), o.duration, o.rounds)
	w("The load generator, the servers and Redis share the machine's cores, so only the ratios against the baselines measured in the same run mean anything.\n\n")

	w("## Webhooks\n\n")
	w("Closed-loop load from a Go generator on loopback, every request signed. Baselines: a minimal `net/http` server that parses the same form and writes a fixed TwiML document as large as the main menu (%s), and the same server validating the signature with twilio-go's `RequestValidator`. Goal: at least 60%% of the validating baseline's throughput, p99 no worse than 1.5x its p99.\n\n", "`bench/baseline`")
	table := func(rows []webhookRow) {
		w("| scenario | conns | Switchboard req/s | p50 | p99 | plain baseline req/s | validating baseline req/s | p99 | throughput ratio | p99 ratio | goal |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, row := range rows {
			tr := row.sb.RPS / row.val.RPS
			pr := float64(row.sb.P99) / float64(row.val.P99)
			w("| %s | %d | %.0f | %s | %s | %.0f | %.0f | %s | %.2f | %.2f | %s |\n", row.scenario, row.conns, row.sb.RPS, ms(row.sb.P50), ms(row.sb.P99),
				row.plain.RPS, row.val.RPS, ms(row.val.P99), tr, pr, verdict(tr >= 0.6 && pr <= 1.5))
		}
	}
	table(r.webhooks)
	w("\n### The same webhooks under wrk\n\n")
	w("`wrk -t1 -c32 --latency` with a Lua script posting the same signed body (an external generator: no shared runtime with the servers), against the same two baselines, interleaved, in the same run. Same goal.\n\n")
	table(r.wrk)
	c := r.capture
	w("\n## Callback capture, end to end\n\n")
	w("Signed `POST /twilio/callback/number` webhooks (Digits=1), each a new call, into a real `redis-server` with `appendonly yes` and `appendfsync everysec`, 32 connections. `redis-benchmark` runs the same Redis command a capture makes (one `EVALSHA` of the create script with the same arguments) against the same server.\n\n")
	capRatio := c.sb.RPS / c.menu.RPS
	rbRatio := c.sb.RPS / c.redisBench
	w("| figure | value | goal |\n|---|---|---|\n")
	w("| captures/s (p50 %s, p99 %s) | %.0f | |\n", ms(c.sb.P50), ms(c.sb.P99), c.sb.RPS)
	w("| Switchboard main-menu webhook, same run | %.0f req/s | |\n", c.menu.RPS)
	w("| captures / menu webhook | %.2f | at least 0.5: %s |\n", capRatio, verdict(capRatio >= 0.5))
	w("| redis-benchmark, same EVALSHA | %.0f req/s | |\n", c.redisBench)
	w("| captures / redis-benchmark | %.2f | at least 0.3: %s |\n", rbRatio, verdict(rbRatio >= 0.3))
	w("| confirmed to callers / stored in Redis | %d / %d | equal, no duplicates: %s |\n", c.confirmed, c.stored, verdict(c.confirmed == c.stored))

	q := r.queue
	w("\n## The staff queue at scale\n\n")
	w("First page (50 oldest pending, with their fields) and a claim, median of 300, with 1,000 pending and with %d pending (filled in %s). Goal: ratio under 2.\n\n", q.large, q.fillTime.Round(time.Second))
	pr, cr := float64(q.largePage)/float64(q.smallPage), float64(q.largeClaim)/float64(q.smallClaim)
	w("| operation | 1,000 pending | %d pending | ratio | goal |\n|---|---|---|---|---|\n", q.large)
	w("| first page | %s | %s | %.2f | %s |\n", ms(q.smallPage), ms(q.largePage), pr, verdict(pr < 2))
	w("| claim | %s | %s | %.2f | %s |\n", ms(q.smallClaim), ms(q.largeClaim), cr, verdict(cr < 2))
	w("\n## Redis memory per request\n\n")
	w("`used_memory` from `INFO memory` before and after 100,000 requests, each created, given consent answers and a voice message (no transcription), with their history. Goal: under 1 KiB.\n\n")
	w("| bytes per request | goal |\n|---|---|\n| %.0f | %s |\n", r.memory, verdict(r.memory < 1024))
	w("\n_Run took %s._\n", r.finished.Sub(r.started).Round(time.Second))
	return b.String()
}
