package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/api"
)

const callbacksUsage = `usage:
  switchboard callbacks list [--status pending|claimed|done|cancelled] [--limit N] [--language en|es] [--reason missed-call|crisis|...] [--json]
  switchboard callbacks show ID [--json]
  switchboard callbacks claim ID
  switchboard callbacks reveal ID      (the full number, once you hold the claim; written to the history)
  switchboard callbacks release ID
  switchboard callbacks complete ID --outcome reached|left-voicemail|no-answer|wrong-number|other [--note TEXT] [--requeue=true|false]
  switchboard callbacks note ID TEXT
  switchboard callbacks cancel ID [--note TEXT]
(talks to SWITCHBOARD_URL with SWITCHBOARD_TOKEN)`

// callbacksCmd works the callback queue through the staff API.
func callbacksCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return &exitError{code: 2, err: errors.New(callbacksUsage)}
	}
	env, err := config.ClientFromEnv(getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	client := api.NewClient(env.URL, env.Token, nil)
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("callbacks "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print JSON")
	status := fs.String("status", "pending", "which requests to list")
	limit := fs.Int("limit", 50, "how many to list")
	language := fs.String("language", "", "list only requests of callers in this language (en, es)")
	reason := fs.String("reason", "", "list only requests with this reason (missed-call, crisis, menu, ...)")
	outcome := fs.String("outcome", "", "the outcome of the call")
	note := fs.String("note", "", "a note for the history")
	requeue := fs.String("requeue", "", "put the request back in the queue (true/false)")

	// The id comes first; flags may follow it.
	id := ""
	if sub != "list" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return &exitError{code: 2, err: fmt.Errorf("callbacks %s needs an ID\n%s", sub, callbacksUsage)}
		}
		id, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("%v\n%s", err, callbacksUsage)}
	}

	var r *api.View
	switch sub {
	case "list":
		reqs, next, err := client.List(ctx, *status, *limit, "")
		if err != nil {
			return err
		}
		if *language != "" || *reason != "" {
			kept := reqs[:0]
			for _, r := range reqs {
				if (*language == "" || r.Language == *language) && (*reason == "" || string(r.Reason) == *reason) {
					kept = append(kept, r)
				}
			}
			reqs = kept
		}
		if *asJSON {
			return writeJSON(stdout, map[string]any{"callbacks": reqs, "next": next})
		}
		printList(stdout, reqs, time.Now())
		if next != "" {
			fmt.Fprintf(stdout, "(more: raise --limit)\n")
		}
		return nil
	case "show":
		r, err = client.Get(ctx, id)
	case "claim", "release":
		r, err = client.Action(ctx, id, sub, nil)
	case "reveal":
		n, err := client.Reveal(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, map[string]string{"callbackNumber": n})
		}
		fmt.Fprintln(stdout, n)
		return nil
	case "complete":
		body := map[string]any{"outcome": *outcome, "note": *note}
		switch *requeue {
		case "":
		case "true", "false":
			body["requeue"] = *requeue == "true"
		default:
			return &exitError{code: 2, err: fmt.Errorf("--requeue takes true or false")}
		}
		r, err = client.Action(ctx, id, "complete", body)
	case "note":
		if fs.NArg() == 0 {
			return &exitError{code: 2, err: fmt.Errorf("callbacks note needs the note's text")}
		}
		r, err = client.Action(ctx, id, "notes", map[string]string{"note": strings.Join(fs.Args(), " ")})
	case "cancel":
		r, err = client.Action(ctx, id, "cancel", map[string]string{"note": *note})
	default:
		return &exitError{code: 2, err: fmt.Errorf("unknown subcommand %q\n%s", sub, callbacksUsage)}
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, r)
	}
	printRequest(stdout, r)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// number is the callback number as the API gives it outside a reveal: its
// last four digits.
func number(r *api.View) string {
	if r.CallbackNumber != "" {
		return r.CallbackNumber
	}
	return "…" + r.CallbackNumberLast4
}

func printList(w io.Writer, reqs []*api.View, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tAGE\tCALL BACK\tLANG\tREASON\tATTEMPTS\tMESSAGE\tCLAIMED BY")
	for _, r := range reqs {
		msg := "-"
		if r.Message != nil && r.Message.DurationSeconds > 0 {
			msg = fmt.Sprintf("%ds", r.Message.DurationSeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Status, age(now.Sub(r.CreatedAt)),
			number(r), orDash(r.Language), reason(r), r.Attempts, msg, r.ClaimedBy)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d request(s)\n", len(reqs))
}

// reason is the request's reason, marked URGENT when it is to be worked
// before every other (the API lists those first).
func reason(r *api.View) string {
	if r.Urgent {
		return "URGENT " + string(r.Reason)
	}
	return string(r.Reason)
}

func age(d time.Duration) string {
	// A request dated in the future was left by a simulated call (--at)
	// on a service in local mode: it has not waited yet.
	d = max(d, 0)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func printRequest(w io.Writer, r *api.View) {
	fmt.Fprintf(w, "%s  %s\n", r.ID, r.Status)
	fmt.Fprintf(w, "  call back:   %s\n", number(r))
	fmt.Fprintf(w, "  created:     %s (%s)\n", r.CreatedAt.Format(time.RFC3339), reason(r))
	fmt.Fprintf(w, "  language:    %s\n", orDash(r.Language))
	fmt.Fprintf(w, "  consent:     voicemail %s, name the practice %s\n", orDash(string(r.VoicemailOK)), orDash(string(r.NamePracticeOK)))
	fmt.Fprintf(w, "  attempts:    %d", r.Attempts)
	if r.Outcome != "" {
		fmt.Fprintf(w, " (last: %s)", r.Outcome)
	}
	fmt.Fprintln(w)
	if r.ClaimedBy != "" {
		fmt.Fprintf(w, "  claimed by:  %s at %s\n", printable(r.ClaimedBy), r.ClaimedAt.Format(time.RFC3339))
	}
	if m := r.Message; m != nil {
		fmt.Fprintf(w, "  message:     %d s", m.DurationSeconds)
		if m.Transcription != "" {
			fmt.Fprintf(w, ", transcription: %q", m.Transcription)
		}
		fmt.Fprintln(w)
	}
	for _, e := range r.History {
		fmt.Fprintf(w, "  %s  %-10s %s", e.At.Format(time.RFC3339), printable(e.Who), printable(e.What))
		if e.Note != "" {
			fmt.Fprintf(w, " — %s", printable(e.Note))
		}
		fmt.Fprintln(w)
	}
}

// printable escapes what a terminal would obey rather than show (newlines,
// escape sequences, other control and invisible characters) as Go escapes
// (\n, \x1b), so a note cannot forge history lines or recolour the screen.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == ' ' || r != utf8.RuneError && strconv.IsPrint(r) && r != '\\' {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
