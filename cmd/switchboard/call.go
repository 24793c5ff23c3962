package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/server"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/ivr"
	"github.com/switchboard-clinic/switchboard/routing"
)

const callUsage = `usage: switchboard call [flags]
Walks a call through Switchboard as Twilio would and prints what the caller hears.
Inputs, in order (without any, it asks on standard input):
  --press KEYS         keys (e.g. 0, 201#)
  --say WORDS          speech (e.g. scheduling)
  --silence            no input at a prompt
  --dial-result R      answered, no-answer, busy, failed, canceled
  --record SECONDS     leave a message
  --hangup             hang up
  --script FILE        one input a line: "press 0", "say groups", "dial no-answer", "record 10", "silence", "hangup"
Other flags:
  --from NUMBER        the caller's number (default +12065550100; "anonymous" withholds it)
  --at TIME            as if it were TIME (RFC 3339, or 2026-11-30T10:00 in the practice's zone in process):
                       in process unless SWITCHBOARD_URL is set; a running service honours it only in
                       local mode (no TWILIO_AUTH_TOKEN)
  --local              simulate in process with SWITCHBOARD_CONFIG, even when SWITCHBOARD_URL is set
Against a running service: SWITCHBOARD_URL (default http://127.0.0.1:8080); requests are signed
with TWILIO_AUTH_TOKEN for SWITCHBOARD_PUBLIC_URL (default SWITCHBOARD_URL) when it is set.
Exit status: 0 when the call ends properly or waits for more input, 1 on a dead end or an error.`

// callCmd runs "switchboard call".
func callCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var inputs []simulate.Input
	add := func(kind string) func(string) error {
		return func(v string) error {
			in, err := simulate.ParseInput(kind + " " + v)
			if err != nil {
				return err
			}
			inputs = append(inputs, in)
			return nil
		}
	}
	fs.Func("press", "keys", add("press"))
	fs.Func("say", "words", add("say"))
	fs.Func("dial-result", "status", add("dial"))
	fs.Func("record", "seconds", add("record"))
	fs.BoolFunc("silence", "no input", func(string) error { inputs = append(inputs, simulate.Input{Kind: "silence"}); return nil })
	fs.BoolFunc("hangup", "hang up", func(string) error { inputs = append(inputs, simulate.Input{Kind: "hangup"}); return nil })
	script := fs.String("script", "", "file of inputs")
	from := fs.String("from", "+12065550100", "caller's number")
	at := fs.String("at", "", "simulate in process at this time")
	local := fs.Bool("local", false, "simulate in process")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, callUsage)
			return nil
		}
		return &exitError{code: 2, err: fmt.Errorf("%v\n%s", err, callUsage)}
	}
	if *script != "" {
		more, err := readScript(*script)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		inputs = append(inputs, more...)
	}
	var source simulate.Source = &simulate.Script{Inputs: inputs}
	if len(inputs) == 0 {
		source = &interactive{in: bufio.NewScanner(stdin), out: stdout}
	}

	env, err := config.SimulatorFromEnv(getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	call := &simulate.Call{From: *from, CallSid: simulate.CallSID(time.Now().Format(time.RFC3339Nano)), Source: source, Out: stdout}
	if *local || (*at != "" && !env.URLSet) {
		path := env.ConfigPath
		line, err := config.LoadFile(path)
		if err != nil {
			return err
		}
		now := time.Now()
		if *at != "" {
			if now, err = parseAt(*at, line.Schedule.Location); err != nil {
				return &exitError{code: 2, err: err}
			}
		}
		open := "closed"
		if line.OpenAt(now) {
			open = "open"
		}
		fmt.Fprintf(stdout, "Simulating in process at %s (%s)\n", now.In(line.Schedule.Location).Format("Mon Jan 2 2006 15:04 MST"), open)
		transport, voice, to, stop, err := inProcess(path, line, now)
		if err != nil {
			return err
		}
		defer stop()
		call.Transport, call.VoiceURL, call.To = transport, voice, to
		call.StatusURL = strings.TrimSuffix(voice, ivr.PathVoice) + ivr.PathStatus
	} else {
		target, _ := url.Parse(env.URL) // checked by SimulatorFromEnv
		tr := simulate.HTTP{Client: &http.Client{Timeout: 20 * time.Second}, Target: target, Token: env.AuthToken}
		if *at != "" {
			t, err := parseAt(*at, time.Local)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			tr.SimulatedTime = t.Format(time.RFC3339)
		}
		call.Transport = tr
		call.VoiceURL, call.To = env.PublicURL+ivr.PathVoice, "+14258692644"
		call.StatusURL = env.PublicURL + ivr.PathStatus
	}
	res, err := call.Run(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "Outcome: FAILED: %v\n", err)
		return &exitError{code: 1, err: err}
	}
	fmt.Fprintf(stdout, "Outcome: %s (%d webhooks)\n", res.Outcome, res.Steps)
	return nil
}

// inProcess builds a Switchboard in this process, on an embedded store,
// with its clock fixed at now, for business-hours checks and the
// configuration walk. stop releases it.
func inProcess(path string, line *routing.Line, now time.Time) (simulate.Transport, string, string, func(), error) {
	emb, err := redisconn.StartEmbedded()
	if err != nil {
		return nil, "", "", nil, err
	}
	dir, err := os.MkdirTemp("", "switchboard-sim-")
	if err != nil {
		emb.Close()
		return nil, "", "", nil, err
	}
	const public = "http://switchboard.simulator"
	a, err := server.New(server.Options{
		Env: config.Env{PublicURL: public, RedisPrefix: "sim:", RedisTimeout: 300 * time.Millisecond}, Live: config.NewLive(path, line),
		Redis: emb.Client, Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SpoolDir: dir, StateSecret: ivr.RandomSecret(), DataSealer: seal.Random(),
	})
	stop := func() { emb.Close(); os.RemoveAll(dir) }
	if err != nil {
		stop()
		return nil, "", "", nil, err
	}
	return simulate.Handler{H: a}, public + ivr.PathVoice, line.MainNumber, stop, nil
}

func parseAt(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--at %q: give a time such as 2026-11-30T10:00 (the practice's zone) or RFC 3339", s)
}

func readScript(path string) ([]simulate.Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--script: %w", err)
	}
	var out []simulate.Input
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		in, err := simulate.ParseInput(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		out = append(out, in)
	}
	return out, nil
}

// interactive asks for each input on standard input.
type interactive struct {
	in  *bufio.Scanner
	out io.Writer
}

func (x *interactive) Next(p simulate.Prompt) (simulate.Input, bool) {
	for {
		switch p.Kind {
		case "dial":
			fmt.Fprint(x.out, "dial result (answered, no-answer, busy, failed)> ")
		case "record":
			fmt.Fprint(x.out, "message (record SECONDS, silence, hangup)> ")
		default:
			fmt.Fprintf(x.out, "%s (or silence, hangup)> ", p.What)
		}
		if !x.in.Scan() {
			fmt.Fprintln(x.out)
			return simulate.Input{}, false
		}
		line := strings.TrimSpace(x.in.Text())
		if p.Kind == "dial" && !strings.HasPrefix(line, "dial ") && line != "hangup" {
			line = "dial " + line
		}
		in, err := simulate.ParseInput(line)
		if err != nil {
			fmt.Fprintln(x.out, err)
			continue
		}
		return in, true
	}
}
