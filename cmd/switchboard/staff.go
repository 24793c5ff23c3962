package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/staff"
)

const staffUsage = `usage:
  switchboard staff add NAME [--admin]  create an account; prints its API token last
  switchboard staff list
  switchboard staff remove NAME
  switchboard staff passwd NAME         set a console password (read from standard input)
  switchboard staff phone NAME +1...    the phone "call back" rings for NAME
(staff accounts live in the Redis at REDIS_URL; without it, in the embedded store of the
'switchboard serve' running with the same SWITCHBOARD_DATA_DIR, where nothing is kept)`

// staffCmd manages staff accounts directly in Redis.
func staffCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return &exitError{code: 2, err: fmt.Errorf("%s", staffUsage)}
	}
	env, err := config.FromEnv(getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	redisURL := env.RedisURL
	if redisURL == "" {
		// The embedded store of a running serve, found by its state file.
		state := embeddedStateFile(env)
		b, err := os.ReadFile(state)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("no REDIS_URL, and no running 'switchboard serve' on the embedded store "+
				"with SWITCHBOARD_DATA_DIR=%s (%s not found): start one, or set REDIS_URL", env.DataDir, state)}
		}
		redisURL = strings.TrimSpace(string(b))
		fmt.Fprintln(stdout, "EMBEDDED STORE of the running 'switchboard serve': "+embeddedWarning)
	}
	rdb, err := redisconn.Connect(redisURL, 2*time.Second)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if env.RedisURL == "" {
		if err := redisconn.Ping(ctx, rdb, 2*time.Second); err != nil {
			return fmt.Errorf("the embedded store of 'switchboard serve' does not answer (has it stopped?): %w", err)
		}
	}
	s, err := staff.NewStore(rdb, env.RedisPrefix, time.Now)
	if err != nil {
		return err
	}
	switch {
	case args[0] == "add" && (len(args) == 2 || (len(args) == 3 && args[2] == "--admin")):
		token, err := s.Add(ctx, args[1])
		if err != nil {
			return fmt.Errorf("staff add %s: %w", args[1], err)
		}
		if len(args) == 3 {
			if err := s.SetAdmin(ctx, args[1], true); err != nil {
				return fmt.Errorf("staff add %s: %w", args[1], err)
			}
		}
		fmt.Fprintf(stdout, "Added %s. Keep this API token; it is not stored and cannot be shown again:\n%s\n", args[1], token)
		return nil
	case args[0] == "list" && len(args) == 1:
		accts, err := s.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED\tADMIN\tPASSWORD\tPHONE")
		for _, a := range accts {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%s\n", a.Name, a.Created.Format(time.RFC3339), a.Admin, a.HasPassword, phone.Mask(a.Phone))
		}
		return tw.Flush()
	case args[0] == "passwd" && len(args) == 2:
		fmt.Fprintf(stdout, "New console password for %s (at least 12 characters), then Enter:\n", args[1])
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("staff passwd: read password: %w", err)
		}
		if err := s.SetPassword(ctx, args[1], strings.TrimRight(line, "\r\n")); err != nil {
			return fmt.Errorf("staff passwd %s: %w", args[1], err)
		}
		fmt.Fprintf(stdout, "Password set for %s.\n", args[1])
		return nil
	case args[0] == "phone" && len(args) == 3:
		n, err := phone.Check(args[2])
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("staff phone: %q: %v (give E.164, e.g. +14255550111)", args[2], err)}
		}
		if err := s.SetPhone(ctx, args[1], n); err != nil {
			return fmt.Errorf("staff phone %s: %w", args[1], err)
		}
		fmt.Fprintf(stdout, "Call back will ring %s at %s.\n", args[1], n)
		return nil
	case args[0] == "remove" && len(args) == 2:
		if err := s.Remove(ctx, args[1]); err != nil {
			return fmt.Errorf("staff remove %s: %w", args[1], err)
		}
		fmt.Fprintf(stdout, "Removed %s; its token no longer works.\n", args[1])
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("%s", staffUsage)}
}
