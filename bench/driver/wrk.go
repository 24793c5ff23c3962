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
	return runWrk(wrk, script, target+path, conns, d)
}

// wrkCalls drives target+path with wrk like wrkLoad, but each request is
// the next of calls (signed bodies, each a different call: wrk's Lua has
// no HMAC, so they are signed here beforehand), and it counts the answers
// whose body contains want (in Saved). wrk starts again at the first call
// if it runs out (the caller counts the repeats).
func wrkCalls(wrk, dir, target, path string, conns int, d time.Duration, calls []signedBody, want string) result {
	list := filepath.Join(dir, "calls.txt")
	var b strings.Builder
	for _, c := range calls {
		b.WriteString(c.sig)
		b.WriteByte('\t')
		b.WriteString(c.body)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
		fatalf("wrk calls: %v", err)
	}
	script := filepath.Join(dir, "wrk-calls.lua")
	// Each request is formatted once, when the thread starts (init runs in
	// the thread's state only, before wrk's clock starts): a request then
	// costs wrk no Lua work but handing over a string.
	lua := fmt.Sprintf(`local reqs, n = {}, 0
init = function()
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  for line in io.lines(%q) do
    local tab = line:find("\t", 1, true)
    headers["X-Twilio-Signature"] = line:sub(1, tab - 1)
    reqs[#reqs + 1] = wrk.format("POST", %q, headers, line:sub(tab + 1))
  end
  -- The list is most of this state's memory: a collector that kept
  -- walking it would make wrk, not the server, the bottleneck. Collect
  -- once, then only when the heap has grown tenfold (never, in a run).
  collectgarbage("collect")
  collectgarbage("setpause", 1000)
end
saved = 0
request = function()
  n = n %% #reqs + 1
  return reqs[n]
end
response = function(status, _, body)
  if status == 200 and body:find(%q, 1, true) then saved = saved + 1 end
end
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
done = function()
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("saved") end
  io.write(string.format("saved %%d\n", total))
end
`, list, path, want)
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		fatalf("wrk script: %v", err)
	}
	return runWrk(wrk, script, target+path, conns, d)
}

// signedBody is one webhook body and its X-Twilio-Signature.
type signedBody struct{ body, sig string }

func runWrk(wrk, script, url string, conns int, d time.Duration) result {
	secs := strconv.Itoa(max(1, int(d.Round(time.Second).Seconds())))
	out, err := exec.Command(wrk, "-t1", "-c"+strconv.Itoa(conns), "-d"+secs+"s", "--latency", "-s", script, url).CombinedOutput()
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
	wrkSaved   = regexp.MustCompile(`(?m)^saved (\d+)$`)
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
	if m := wrkSaved.FindStringSubmatch(out); m != nil {
		r.Saved, _ = strconv.Atoi(m[1])
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
