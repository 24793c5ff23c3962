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
	writes            []writeRow
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
	cmd := "bench/run"
	if o.only != nil {
		cmd += " -only '" + o.only.String() + "'"
	}
	w("Measured %s on %s. Command: `%s` (load runs of %s, %d interleaved rounds, medians reported). ",
		r.started.UTC().Format("2006-01-02 15:04 MST"), machine(), cmd, o.duration, o.rounds)
	w("The load generator, the servers and Redis share the machine's cores, so only the ratios against the baselines measured in the same run mean anything.\n\n")

	table := func(rows []webhookRow) {
		w("| scenario | conns | Switchboard req/s | p50 | p99 | plain baseline req/s | validating baseline req/s | p99 | throughput ratio | p99 ratio | goal |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, row := range rows {
			tr := row.sb.RPS / row.val.RPS
			pr := float64(row.sb.P99) / float64(row.val.P99)
			w("| %s | %d | %.0f | %s | %s | %.0f | %.0f | %s | %.2f | %.2f | %s |\n", row.scenario, row.conns, row.sb.RPS, ms(row.sb.P50), ms(row.sb.P99),
				row.plain.RPS, row.val.RPS, ms(row.val.P99), tr, pr, verdict(tr >= 0.6 && pr <= 1.5))
		}
	}
	if len(r.wrk) > 0 {
		w("## Webhooks under wrk\n\n")
		w("`wrk -t1 -c%d --latency` with a Lua script posting one signed body (an external generator: no shared runtime with the servers), on loopback. ", wrkConns)
		w("Baselines, run interleaved with Switchboard in the same rounds: `bench/baseline`, a minimal `net/http` server that parses the same form and writes a fixed TwiML document as large as the main menu, and the same server validating the signature with twilio-go's `RequestValidator`. ")
		w("These are the steps of a normal call that write no request. Goal: at least 60%% of the validating baseline's throughput, p99 no worse than 1.5x its p99.\n\n")
		table(r.wrk)
	}
	if len(r.writes) > 0 {
		w("\n## The steps that write a request\n\n")
		w("The callback number confirmed (a new request) and the voicemail consent answer (an update of it), under the same `wrk -t1 -c%d`, every request a different call: the bodies are signed beforehand, the Lua script formats them when its thread starts and posts the next one each time (a repeated call would be a replay, which writes nothing). ", wrkConns)
		w("The consent rounds answer for the calls the capture rounds recorded and, since answers run faster than captures, for calls recorded as a capture records them (sealed with the same key) before the consent rounds start, so that no call is answered twice. Redis is a real `redis-server` with `appendonly yes`, `appendfsync everysec`. ")
		w("A step's Redis work is two commands: its script (one `EVALSHA`) and the mark of the call's progress that every webhook writes (one `EVALSHA` of the mark script; Switchboard batches the marks of many calls, as it batches the scripts). ")
		w("`redis-benchmark -c %d` runs each of the two against the same server, with the arguments the step gives them (the consent values drawn at random so that each update changes its request, as an answer does), interleaved with the rounds; ", wrkConns)
		w("the step's Redis work then runs at 1 / (1/script + 1/mark) steps a second, the goal's reference. Goal: at least 0.5x that. The ratio to the script alone is shown too.\n\n")
		w("| step | Switchboard req/s | p50 | p99 | redis-benchmark: script req/s | mark req/s | the step's Redis work, steps/s | ratio | goal | ratio to the script alone | validating baseline req/s | ratio to it | requests (repeated calls) | confirmed / stored |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, row := range r.writes {
			work := stepRate(row.redisBench, row.markBench)
			ratio := row.sb.RPS / work
			stored := "n/a"
			if row.stored > 0 {
				stored = fmt.Sprintf("%d / %d", row.confirmed, row.stored)
			}
			w("| %s | %.0f | %s | %s | %.0f | %.0f | %.0f | %.2f | %s | %.2f | %.0f | %.2f | %d (%d) | %s |\n", row.scenario, row.sb.RPS, ms(row.sb.P50), ms(row.sb.P99),
				row.redisBench, row.markBench, work, ratio, verdict(ratio >= 0.5), row.sb.RPS/row.redisBench, row.val.RPS, row.sb.RPS/row.val.RPS, row.requests, row.repeats, stored)
		}
		w("\nThe redis-benchmark commands: ")
		for i, row := range r.writes {
			if i > 0 {
				w("; ")
			}
			w("%s", row.command)
		}
		w(". A capture is stored once and confirmed only after Redis took it: the requests stored exceed the confirmations by at most the %d in flight when each run stopped, and every CallSid has one request.\n", wrkConns)
	}
	if len(r.webhooks) > 0 {
		w("\n## Webhooks under the Go generator\n\n")
		w("`-go-load`: closed-loop load from a Go generator on loopback (it shares the servers' cores and runtime), one fixed signed request per scenario. Same baselines and goal.\n\n")
		table(r.webhooks)
	}

	if q := r.queue; q.large > 0 {
		w("\n## The staff queue at scale\n\n")
		w("First page (50 oldest pending, with their fields) and a claim, median of 300, with 1,000 pending and with %d pending (filled in %s). Goal: ratio under 2.\n\n", q.large, q.fillTime.Round(time.Second))
		pr, cr := float64(q.largePage)/float64(q.smallPage), float64(q.largeClaim)/float64(q.smallClaim)
		w("| operation | 1,000 pending | %d pending | ratio | goal |\n|---|---|---|---|---|\n", q.large)
		w("| first page | %s | %s | %.2f | %s |\n", ms(q.smallPage), ms(q.largePage), pr, verdict(pr < 2))
		w("| claim | %s | %s | %.2f | %s |\n", ms(q.smallClaim), ms(q.largeClaim), cr, verdict(cr < 2))
	}
	if r.memory > 0 {
		w("\n## Redis memory per request\n\n")
		w("`used_memory` from `INFO memory` before and after 100,000 requests, each created, given consent answers and a voice message (no transcription), with their history. Goal: under 1 KiB.\n\n")
		w("| bytes per request | goal |\n|---|---|\n| %.0f | %s |\n", r.memory, verdict(r.memory < 1024))
	}
	w("\n_Run took %s._\n", r.finished.Sub(r.started).Round(time.Second))
	return b.String()
}
