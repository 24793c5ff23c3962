package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/seal"
)

const keysUsage = `usage:
  switchboard keys new      print a fresh data key (for SWITCHBOARD_DATA_KEY)
  switchboard keys rotate   re-seal every callback request in REDIS_URL, and the writes waiting in this
                            machine's spool (SWITCHBOARD_DATA_DIR/spool), with SWITCHBOARD_DATA_KEY,
                            opening values sealed with SWITCHBOARD_DATA_OLD_KEYS (comma separated)
                            and values stored in clear; safe beside a running serve, to stop and to run again`

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
	// The spool first: it is local, and a spool full of writes usually
	// means Redis is away.
	spoolDir := filepath.Join(env.DataDir, "spool")
	if _, err := os.Stat(filepath.Join(spoolDir, "callbacks.spool")); err == nil {
		spool, err := callback.OpenSpool(spoolDir)
		if err != nil {
			return err
		}
		st, err := q.ResealSpool(spool)
		if err != nil {
			return fmt.Errorf("keys rotate: %w (run it again to continue: what is done stays done)", err)
		}
		fmt.Fprintf(stdout, "Spool %s: %d writes looked at, %d values re-sealed\n", spool.Path(), st.Requests, st.Values)
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
	fmt.Fprintf(stdout, "Done: %d requests looked at, %d values re-sealed. Run it on each machine with a spool, "+
		"and keep the old keys in SWITCHBOARD_DATA_OLD_KEYS until every instance runs on the new key.\n", st.Requests, st.Values)
	return nil
}
