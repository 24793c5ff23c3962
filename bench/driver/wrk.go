package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrkLoad drives target+path with wrk (one thread, conns connections, for
// d), posting the same signed body each time, and parses its report. wrk
// is the external generator: it shares no code, runtime or scheduler with
// the servers, so its figures check the Go generator's.
func wrkLoad(wrk, dir, target string, conns int, d time.Duration, mk request) result {
	path, body, sig := mk(0, 0)
	script := filepath.Join(dir, "wrk.lua")
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\nwrk.headers[\"X-Twilio-Signature\"] = %q\n", body, sig)
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		fatalf("wrk script: %v", err)
	}
	secs := strconv.Itoa(max(1, int(d.Round(time.Second).Seconds())))
	out, err := exec.Command(wrk, "-t1", "-c"+strconv.Itoa(conns), "-d"+secs+"s", "--latency", "-s", script, target+path).CombinedOutput()
	if err != nil {
		fatalf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkTotal   = regexp.MustCompile(`(\d+) requests in`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSockErr = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s)\s*$`)
)

// parseWrk reads the figures bench needs from wrk's --latency report. A
// run with errors keeps them in Errors; bad answers make the row useless,
// so the caller stops on them.
func parseWrk(out string) result {
	var r result
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		fatalf("wrk printed no Requests/sec:\n%s", out)
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.Atoi(m[1])
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.Errors += n
	}
	if m := wrkSockErr.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.Errors += n
		}
	}
	for _, m := range wrkPct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	if r.P50 == 0 || r.P99 == 0 {
		fatalf("wrk printed no latency distribution:\n%s", strings.TrimSpace(out))
	}
	return r
}
