package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/seal"
)

const keysUsage = `usage:
  switchboard keys new      print a fresh data key (for SWITCHBOARD_DATA_KEY)
  switchboard keys rotate   re-seal every callback request in REDIS_URL with SWITCHBOARD_DATA_KEY,
                            opening values sealed with SWITCHBOARD_DATA_OLD_KEYS (comma separated)
                            and values stored in clear; safe to stop and run again`

// keysCmd makes data keys and re-seals stored client data with the current one.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	switch {
	case len(args) == 1 && args[0] == "new":
		fmt.Fprintln(stdout, seal.NewKey())
		return nil
	case len(args) == 1 && args[0] == "rotate":
		return rotateKeys(ctx, getenv, stdout)
	}
	return &exitError{code: 2, err: errors.New(keysUsage)}
}

// rotateKeys re-seals every request with the current data key.
func rotateKeys(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	env, err := config.FromEnv(getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if env.RedisURL == "" || env.DataKey == nil {
		return &exitError{code: 2, err: errors.New("keys rotate needs REDIS_URL and SWITCHBOARD_DATA_KEY (the new key), " +
			"and SWITCHBOARD_DATA_OLD_KEYS for the keys it replaces")}
	}
	sealer, err := seal.New(env.DataKey, env.OldDataKeys...)
	if err != nil {
		return err
	}
	rdb, err := redisconn.Connect(env.RedisURL, 10*time.Second)
	if err != nil {
		return err
	}
	defer rdb.Close()
	q, err := callback.NewQueue(callback.Options{Client: rdb, Sealer: sealer, Prefix: env.RedisPrefix})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Re-sealing callback requests with key %s (%d old keys for reading)\n", sealer.KeyID(), len(env.OldDataKeys))
	last := time.Now()
	st, err := q.Reseal(ctx, func(st callback.ResealStats) {
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			fmt.Fprintf(stdout, "  %d requests looked at, %d values re-sealed\n", st.Requests, st.Values)
		}
	})
	if err != nil {
		return fmt.Errorf("keys rotate: %w (run it again to continue: what is done stays done)", err)
	}
	fmt.Fprintf(stdout, "Done: %d requests looked at, %d values re-sealed. Keep the old keys in SWITCHBOARD_DATA_OLD_KEYS "+
		"until every instance's spool is empty.\n", st.Requests, st.Values)
	return nil
}
