// Command switchboard answers a clinic's main phone line for Twilio and gives
// staff tools to work the callback queue. Subcommands: serve (the default),
// config, staff, call, keys and callbacks; `switchboard help` lists them.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard-clinic/switchboard/internal/redisconn"
)

func main() {
	// go-redis has one process-wide logger: its dial retries go to the log
	// instead of bare lines on stderr.
	redisconn.RouteClientLogs(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit status (for example 1 for a config with
// problems, 2 for bad usage).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	if ee, ok := err.(*exitError); ok {
		return ee.code
	}
	return 1
}

const usage = `usage: switchboard [command]

commands:
  serve                 answer Twilio webhooks (the default)
  config check [FILE]   check a line configuration and print its menu tree
  staff ...             manage staff accounts: add, list, remove, passwd, phone (REDIS_URL)
  callbacks ...         work the callback queue (SWITCHBOARD_URL, SWITCHBOARD_TOKEN)
  call [--press K ...]  walk a simulated call through Switchboard (see switchboard call --help)
  keys new              print a fresh data key for SWITCHBOARD_DATA_KEY
  keys rotate           re-seal every callback request with SWITCHBOARD_DATA_KEY, reading
                        values sealed with SWITCHBOARD_DATA_OLD_KEYS or stored in clear (REDIS_URL)

environment: SWITCHBOARD_ADDR, SWITCHBOARD_PUBLIC_URL, TWILIO_AUTH_TOKEN,
REDIS_URL, SWITCHBOARD_DATA_KEY, SWITCHBOARD_CONFIG, SWITCHBOARD_URL,
SWITCHBOARD_TOKEN (see README.md)
`

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return serve(ctx, getenv, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, getenv, stdout, stderr)
	case "config":
		return configCmd(args[1:], getenv, stdout)
	case "staff":
		return staffCmd(ctx, args[1:], getenv, stdin, stdout)
	case "call":
		return callCmd(ctx, args[1:], getenv, stdin, stdout)
	case "keys":
		return keysCmd(ctx, args[1:], getenv, stdout)
	case "callbacks":
		return callbacksCmd(ctx, args[1:], getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", args[0])}
}
