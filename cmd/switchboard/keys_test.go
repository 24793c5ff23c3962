package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/seal"
)

func TestKeysNewPrintsAFreshKey(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	if err := run(t.Context(), []string{"keys", "new"}, env(nil), strings.NewReader(""), &a, &b); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"keys", "new"}, env(nil), strings.NewReader(""), &b, &b); err != nil {
		t.Fatal(err)
	}
	if _, err := seal.ParseKey(a.String()); err != nil || a.String() == b.String() {
		t.Errorf("keys new printed %q then %q (%v)", a.String(), b.String(), err)
	}
}

func TestServeRefusesRedisWithoutADataKey(t *testing.T) {
	t.Parallel()
	var out, errs bytes.Buffer
	err := run(t.Context(), []string{"serve"}, env(map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}), strings.NewReader(""), &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "switchboard keys new") || exitCode(err) != 2 {
		t.Errorf("serve on REDIS_URL without SWITCHBOARD_DATA_KEY: %v", err)
	}
}

func TestKeysRotate(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rdb := rs.Client()
	oldKey, newKey := seal.NewKey(), seal.NewKey()
	queue := func(current string, old ...string) *callback.Queue {
		t.Helper()
		c, _ := seal.ParseKey(current)
		var o [][]byte
		for _, k := range old {
			b, _ := seal.ParseKey(k)
			o = append(o, b)
		}
		s, err := seal.New(c, o...)
		if err != nil {
			t.Fatal(err)
		}
		q, err := callback.NewQueue(callback.Options{Client: rdb, Sealer: s})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	before := queue(oldKey)
	id, _, err := before.Apply(t.Context(), before.CreateOp(callback.Capture{CallSID: "CArot", CallbackNumber: "+12065550142", Reason: "menu"}))
	if err != nil {
		t.Fatal(err)
	}
	// A write waiting in this machine's spool is re-sealed too.
	dataDir := t.TempDir()
	spool, err := callback.OpenSpool(filepath.Join(dataDir, "spool"))
	if err != nil {
		t.Fatal(err)
	}
	if err := spool.Append(before.CreateOp(callback.Capture{CallSID: "CAspooled", CallbackNumber: "+12065550143", Reason: "menu"})); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	vars := map[string]string{"REDIS_URL": rs.URL(), "SWITCHBOARD_DATA_KEY": newKey, "SWITCHBOARD_DATA_OLD_KEYS": oldKey, "SWITCHBOARD_DATA_DIR": dataDir}
	if err := run(t.Context(), []string{"keys", "rotate"}, env(vars), strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "1 requests looked at, 1 values re-sealed") || !strings.Contains(out.String(), "1 writes looked at, 1 values re-sealed") ||
		strings.Contains(out.String(), newKey) {
		t.Errorf("keys rotate printed:\n%s", out.String())
	}
	fresh := queue(newKey)
	r, err := fresh.Get(t.Context(), id)
	if err != nil || r.CallbackNumber != "+12065550142" {
		t.Errorf("with the new key alone: %+v, %v", r, err)
	}
	if n, err := spool.Drain(func(op callback.Op) error { _, _, err := fresh.Apply(t.Context(), op); return err },
		func(callback.Op, error) (bool, bool) { return true, true }); n != 1 || err != nil {
		t.Errorf("the spooled write with the new key alone: %d applied, %v", n, err)
	}
}
