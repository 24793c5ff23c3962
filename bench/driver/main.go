// Command driver runs Switchboard's benchmarks and writes docs/benchmarks.md.
// Every figure is compared with a baseline measured in the same run on the
// same machine, so the ratios hold on a noisy two-core box. bench/run
// builds the binaries and calls it.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

const (
	token  = "benchtoken0123456789abcdef012345"
	public = "http://phone.bench"
	// dataKey seals the numbers Switchboard stores, as in production.
	dataKey = "YmVuY2hkYXRha2V5MDEyMzQ1Njc4OWFiY2RlZjAxMjM="
)

type opts struct {
	switchboard, baseline, out string
	wrk                        string
	duration                   time.Duration
	rounds                     int
	queueLarge                 int
	only                       *regexp.Regexp
	goLoad                     bool
}

// want reports whether the part named name is to be measured (-only).
func (o opts) want(name string) bool { return o.only == nil || o.only.MatchString(name) }

// wrkConns is the connections of every wrk run and of redis-benchmark.
const wrkConns = 32

func main() {
	var o opts
	flag.StringVar(&o.switchboard, "switchboard", "", "switchboard binary")
	flag.StringVar(&o.baseline, "baseline", "", "baseline binary")
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "report")
	flag.StringVar(&o.wrk, "wrk", "wrk", "wrk binary (the external load generator)")
	flag.DurationVar(&o.duration, "duration", 4*time.Second, "length of each load run")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds per comparison (median reported)")
	flag.IntVar(&o.queueLarge, "queue", 1000000, "pending requests for the large-queue benchmark")
	only := flag.String("only", "", "measure only the parts whose name matches this regexp: a webhook scenario's name, \"queue\" or \"memory\" (the report then holds those only)")
	flag.BoolVar(&o.goLoad, "go-load", false, "also drive the webhooks with the in-process Go generator (it shares the servers' cores)")
	flag.Parse()
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fatalf("-only: %v", err)
		}
		o.only = re
	}
	if o.switchboard == "" || o.baseline == "" {
		fatalf("usage: driver -switchboard BIN -baseline BIN [-wrk BIN] [-out docs/benchmarks.md] [-only REGEXP]")
	}
	if _, err := exec.LookPath(o.wrk); err != nil {
		fatalf("wrk is missing (apt-get install wrk): %v", err)
	}
	r := &report{started: time.Now()}
	dir, err := os.MkdirTemp("", "switchboard-bench-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(dir)

	redisProc, redisPort := redisServer(dir, "--appendonly", "yes", "--appendfsync", "everysec")
	defer redisProc.stop()
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/0", redisPort)
	sbPort, plainPort, valPort := freePort(), freePort(), freePort()
	// The built-in line, open around the clock, so that pressing 0 rings
	// scheduling whenever the benchmark runs.
	line := string(config.DefaultYAML())
	hours := "hours:\n"
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		hours += "  " + d + ": [\"00:00-24:00\"]\n"
	}
	line = line[:strings.Index(line, "hours:")] + hours + "\n" + line[strings.Index(line, "prompts:"):]
	if err := os.WriteFile(dir+"/line.yaml", []byte(line), 0o600); err != nil {
		fatalf("%v", err)
	}
	sb := start(o.switchboard, []string{
		"SWITCHBOARD_ADDR=127.0.0.1:" + strconv.Itoa(sbPort), "SWITCHBOARD_PUBLIC_URL=" + public, "TWILIO_AUTH_TOKEN=" + token,
		"REDIS_URL=" + redisURL, "SWITCHBOARD_DATA_DIR=" + dir + "/sb", "SWITCHBOARD_LOG_FORMAT=json",
		"SWITCHBOARD_CONFIG=" + dir + "/line.yaml", "SWITCHBOARD_DATA_KEY=" + dataKey,
	}, dir+"/switchboard.log", "serve")
	defer sb.stop()
	sbURL := fmt.Sprintf("http://127.0.0.1:%d", sbPort)
	waitHTTP(sbURL + "/healthz")

	// The baselines answer with a document as large as the main menu.
	menuDoc := size(sbURL, "/twilio/voice", url.Values{"CallSid": {simulate.CallSID("size")}, "From": {"+12065550142"}})
	plain := start(o.baseline, nil, "", "-addr", "127.0.0.1:"+strconv.Itoa(plainPort), "-size", strconv.Itoa(menuDoc))
	defer plain.stop()
	val := start(o.baseline, nil, "", "-addr", "127.0.0.1:"+strconv.Itoa(valPort), "-size", strconv.Itoa(menuDoc), "-validate", "-token", token, "-public", public)
	defer val.stop()
	plainURL, valURL := fmt.Sprintf("http://127.0.0.1:%d", plainPort), fmt.Sprintf("http://127.0.0.1:%d", valPort)
	waitHTTP(plainURL + "/")
	waitHTTP(valURL + "/")

	ok200 := func(status int, _ []byte) bool { return status == 200 }
	fixed := func(path string, form url.Values) request {
		body := []byte(form.Encode())
		sig := simulate.Sign(token, public+path, form)
		return func(int, int) (string, []byte, string) { return path, body, sig }
	}
	call := url.Values{"CallSid": {simulate.CallSID("bench")}, "From": {"+12065550142"}, "To": {"+14258692644"}, "CallStatus": {"ringing"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range call {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	scenarios := []struct {
		name  string
		req   request
		write bool // records a request: measured with a new call each time, below
	}{
		{name: "main-menu webhook (POST /twilio/voice)", req: fixed("/twilio/voice", call)},
		{name: "menu choice: group information (Digits=1)", req: fixed("/twilio/menu?n=0", with("Digits", "1"))},
		{name: "extension dial (Digits=201)", req: fixed("/twilio/menu?n=0", with("Digits", "201"))},
		{name: "press 0: ring the screened scheduling group", req: fixed("/twilio/menu?n=0", with("Digits", "0"))},
		{name: "whisper to the scheduler (POST /twilio/screen)", req: fixed("/twilio/screen?g=scheduling&rc=1", with("CallSid", simulate.CallSID("bench leg")))},
		{name: "ring result: nobody answered, callback offer", req: fixed("/twilio/ring/result?g=scheduling&rc=1&s=0", with("DialCallStatus", "no-answer"))},
		{name: captureName, req: fixed(capturePath, with("Digits", "1")), write: true},
		{name: consentName, req: fixed(consentPath, with("Digits", "2")), write: true},
		{name: "callback: confirmation and goodbye", req: fixed("/twilio/callback/done?rc=1", call)},
	}
	baseReq := fixed("/twilio/voice", call)
	if o.goLoad {
		for _, conns := range []int{32, 128} {
			for _, sc := range scenarios {
				if !o.want(sc.name) {
					continue
				}
				var sbs, plains, vals []result
				for round := 0; round < o.rounds; round++ {
					plains = append(plains, load(plainURL, conns, o.duration, baseReq, ok200))
					vals = append(vals, load(valURL, conns, o.duration, baseReq, ok200))
					sbs = append(sbs, load(sbURL, conns, o.duration, sc.req, ok200))
				}
				r.webhooks = append(r.webhooks, webhookRow{scenario: sc.name, conns: conns, sb: median(sbs), plain: median(plains), val: median(vals)})
				fmt.Fprintf(os.Stderr, "%s @%d: %.0f req/s vs validating baseline %.0f\n", sc.name, conns, median(sbs).RPS, median(vals).RPS)
			}
		}
	}

	// The webhooks that write nothing under wrk, an external generator,
	// against the same baselines in the same run (each scenario is one fixed
	// signed request).
	for _, sc := range scenarios {
		if sc.write || !o.want(sc.name) {
			continue
		}
		var sbs, plains, vals []result
		for round := 0; round < o.rounds; round++ {
			plains = append(plains, wrkLoad(o.wrk, dir, plainURL, wrkConns, o.duration, baseReq))
			vals = append(vals, wrkLoad(o.wrk, dir, valURL, wrkConns, o.duration, baseReq))
			sb := wrkLoad(o.wrk, dir, sbURL, wrkConns, o.duration, sc.req)
			if sb.Errors > 0 {
				fatalf("wrk %s: %d of %d answers were errors", sc.name, sb.Errors, sb.Requests)
			}
			sbs = append(sbs, sb)
		}
		r.wrk = append(r.wrk, webhookRow{scenario: sc.name, conns: wrkConns, sb: median(sbs), plain: median(plains), val: median(vals)})
		fmt.Fprintf(os.Stderr, "wrk %s @%d: %.0f req/s vs validating baseline %.0f\n", sc.name, wrkConns, median(sbs).RPS, median(vals).RPS)
	}

	if o.want(captureName) || o.want(consentName) {
		r.writes = writeSteps(o, dir, sbURL, plainURL, valURL, redisPort, baseReq)
	}
	sb.stop()

	if o.want("queue") {
		r.queue = queueBench(dir, o.queueLarge)
	}
	if o.want("memory") {
		r.memory = memoryBench(dir)
	}
	r.finished = time.Now()
	doc := r.markdown(o)
	// The fuzzing record is written by hand after long runs: keep it.
	if old, err := os.ReadFile(o.out); err == nil {
		if i := strings.Index(string(old), "\n## Fuzzing"); i >= 0 {
			doc += string(old[i:])
		}
	}
	if err := os.WriteFile(o.out, []byte(doc), 0o644); err != nil {
		fatalf("write %s: %v", o.out, err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s in %s\n", o.out, r.finished.Sub(r.started).Round(time.Second))
}

// size returns the length of one answer.
func size(base, path string, form url.Values) int {
	status, body := postOnce(base, path, form)
	if status != 200 {
		fatalf("POST %s: %d %s", path, status, body)
	}
	return len(body)
}

func postOnce(base, path string, form url.Values) (int, []byte) {
	var status int
	var got []byte
	load(base, 1, 50*time.Millisecond, func(int, int) (string, []byte, string) {
		return path, []byte(form.Encode()), simulate.Sign(token, public+path, form)
	}, func(s int, b []byte) bool { status, got = s, b; return true })
	return status, got
}

// queueBench measures the staff queue's first page and a claim with a small
// and a large queue.
func queueBench(dir string, large int) queueRow {
	p, port := redisServer(dir, "--appendonly", "no")
	defer p.stop()
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), PoolSize: 64})
	defer rdb.Close()
	q, _ := callback.NewQueue(callback.Options{Client: rdb, Sealer: seal.Random(), Prefix: "q:"})
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	fill := func(from, to int) {
		createRequests(q, 64, from, to, "fill queue", func(i int) callback.Capture {
			return callback.Capture{CallSID: fmt.Sprintf("CAq%08d", i), CallbackNumber: "+12065550142", Reason: "menu",
				At: base.Add(time.Duration(i) * time.Millisecond)}
		})
	}
	measure := func() (page, claim time.Duration) {
		var pages, claims []time.Duration
		for i := 0; i < 300; i++ {
			t0 := time.Now()
			reqs, _, err := q.List(ctx, callback.StatusPending, 50, "")
			pages = append(pages, time.Since(t0))
			if err != nil || len(reqs) == 0 {
				fatalf("list: %v", err)
			}
			t0 = time.Now()
			if _, err := q.Claim(ctx, reqs[0].ID, callback.Holder{ID: "bench", Name: "bench"}); err != nil {
				fatalf("claim: %v", err)
			}
			claims = append(claims, time.Since(t0))
		}
		return medianDur(pages), medianDur(claims)
	}
	var row queueRow
	fill(0, 1000)
	row.smallPage, row.smallClaim = measure()
	t0 := time.Now()
	fill(1000, large)
	row.fillTime = time.Since(t0)
	row.large = large
	row.largePage, row.largeClaim = measure()
	return row
}

// memoryBench measures Redis memory per request (created, consent and a
// voice message, no transcription) from INFO memory.
func memoryBench(dir string) float64 {
	p, port := redisServer(dir, "--appendonly", "no")
	defer p.stop()
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), PoolSize: 64})
	defer rdb.Close()
	q, _ := callback.NewQueue(callback.Options{Client: rdb, Sealer: seal.Random(), Prefix: "m:"})
	ctx := context.Background()
	used := func() int64 {
		info, _ := rdb.Info(ctx, "memory").Result()
		m := regexp.MustCompile(`used_memory:(\d+)`).FindStringSubmatch(info)
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}
	// Load the scripts first so that they do not count.
	q.Apply(ctx, q.CreateOp(callback.Capture{CallSID: "CAwarm", CallbackNumber: "+12065550142", Reason: "menu"}))
	q.Apply(ctx, q.ConsentOp("CAwarm", callback.ConsentYes, callback.ConsentNo))
	before := used()
	const n = 100000
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 32 {
				sid := fmt.Sprintf("CA%032d", i)
				q.Apply(ctx, q.CreateOp(callback.Capture{CallSID: sid, CallerNumber: "+12065550142", CallbackNumber: "+12065550142", Reason: "unanswered"}))
				q.Apply(ctx, q.ConsentOp(sid, callback.ConsentYes, callback.ConsentNo))
				q.Apply(ctx, q.MessageOp(sid, callback.Message{RecordingSID: "RE" + sid, DurationSeconds: 23}))
			}
		}()
	}
	wg.Wait()
	return float64(used()-before) / n
}

func medianDur(ds []time.Duration) time.Duration {
	c := append([]time.Duration(nil), ds...)
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j] < c[j-1]; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	return c[len(c)/2]
}

func machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*:\s*(.+)`).FindSubmatch(data); m != nil {
			cpu = strings.TrimSpace(string(m[1]))
		}
	}
	return fmt.Sprintf("%d cores (%s), %s, %s/%s", runtime.NumCPU(), cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
