package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/routing"
)

// configCmd runs "switchboard config check [FILE]": the problems, or the menu
// tree when there are none. FILE defaults to SWITCHBOARD_CONFIG, then the
// built-in configuration.
func configCmd(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		return &exitError{code: 2, err: fmt.Errorf("usage: switchboard config check [FILE]")}
	}
	env, err := config.SimulatorFromEnv(getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	path := env.ConfigPath
	if len(args) == 2 {
		path = args[1]
	}
	line, err := config.LoadFile(path)
	if err != nil {
		if ce, ok := config.AsError(err); ok {
			fmt.Fprintln(stdout, ce.Error())
			return &exitError{code: 1, err: fmt.Errorf("configuration has %d problem(s)", len(ce.Problems))}
		}
		return err
	}
	source := path
	if source == "" {
		source = "built-in default"
	}
	fmt.Fprintf(stdout, "%s: OK\n\n", source)
	line.WriteTree(stdout)
	return walkConfig(path, line, stdout)
}

// walkConfig runs the real handlers in process over every path of the menu
// tree, when open and when closed, with and without caller ID, and reports
// every path that ends in silence, errors, or loops without a bound.
func walkConfig(path string, line *routing.Line, stdout io.Writer) error {
	keys := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "12", "4255550199"}
	for _, e := range line.Extensions {
		keys = append(keys, e.Number)
	}
	var problems []string
	total := 0
	for _, at := range walkTimes(line) {
		for _, from := range []string{"+12065550100", "anonymous"} {
			transport, voice, to, stop, err := inProcess(path, line, at.t)
			if err != nil {
				return err
			}
			x := &simulate.Explorer{Transport: transport, VoiceURL: voice, From: from, To: to, Keys: keys, ErrorText: line.Prompts.Apology}
			steps, found, err := x.Explore(context.Background())
			stop()
			total += steps
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s, from %s: %v", at.name, from, err))
			}
			for _, f := range found {
				problems = append(problems, fmt.Sprintf("%s, from %s: %s (after: %s)", at.name, from, f.Problem, f.Trail))
			}
		}
	}
	fmt.Fprintf(stdout, "\nWalked every path (%d webhooks through the real handlers, open and closed, with and without caller ID): ", total)
	if len(problems) == 0 {
		fmt.Fprintln(stdout, "no dead ends, no unbounded loops, no unknown targets.")
		return nil
	}
	fmt.Fprintf(stdout, "%d problem(s)\n", len(problems))
	for _, p := range problems {
		fmt.Fprintln(stdout, "  "+p)
	}
	return &exitError{code: 1, err: fmt.Errorf("the call flow has %d problem(s)", len(problems))}
}

type namedTime struct {
	name string
	t    time.Time
}

// walkTimes finds an instant when the practice is open and one when it is
// closed, in the coming two weeks.
func walkTimes(line *routing.Line) []namedTime {
	var out []namedTime
	start := time.Now().Truncate(30 * time.Minute)
	var haveOpen, haveClosed bool
	for t := start; t.Before(start.Add(14*24*time.Hour)) && !(haveOpen && haveClosed); t = t.Add(30 * time.Minute) {
		open := line.OpenAt(t)
		if open && !haveOpen {
			out, haveOpen = append(out, namedTime{"open (" + t.In(line.Schedule.Location).Format("Mon 15:04") + ")", t}), true
		}
		if !open && !haveClosed {
			out, haveClosed = append(out, namedTime{"closed (" + t.In(line.Schedule.Location).Format("Mon 15:04") + ")", t}), true
		}
	}
	return out
}
