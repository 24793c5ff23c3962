package server_test

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// TestNoClientDataInRedisFilesOrSpool runs callback requests through the
// router into a redis-server with append-only persistence, some through
// the spool while Redis is down, and then looks for the numbers, a word of
// a transcription and of a note in every file Redis wrote (AOF, rewritten
// AOF, RDB) and in the spool. A canary written in clear proves the search
// finds what is there.
func TestNoClientDataInRedisFilesOrSpool(t *testing.T) {
	t.Parallel()
	spoolDir := t.TempDir()
	s := testserver.New(t, testserver.Options{RedisArgs: []string{"--appendonly", "yes", "--appendfsync", "always"}, SpoolDir: spoolDir})
	ctx := t.Context()
	numbers := []string{"+12065557301", "+12065557302", "+12065557303"}
	capture := func(i int) {
		t.Helper()
		form := url.Values{"CallSid": {simulate.CallSID("atrest " + numbers[i])}, "From": {numbers[i]}, "To": {"+14258692644"}, "Digits": {"1"}}
		if rec := s.Post("/twilio/callback/number?n=0&r=menu", form, true); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "saved") {
			t.Fatalf("capture %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	capture(0)
	capture(1)
	tr := url.Values{"CallSid": {simulate.CallSID("atrest " + numbers[0])}, "TranscriptionText": {"zanzibarquokka appointment"}, "TranscriptionStatus": {"completed"}}
	if rec := s.Post("/twilio/callback/transcript", tr, true); rec.Code != http.StatusNoContent {
		t.Fatalf("transcription: %d %s", rec.Code, rec.Body)
	}
	reqs, _, err := s.Queue.List(ctx, "pending", 10, "")
	if err != nil || len(reqs) != 2 {
		t.Fatalf("pending = %d, %v", len(reqs), err)
	}
	if _, err := s.Queue.AddNote(ctx, reqs[0].ID, "dana", "xylophonecactus said mornings"); err != nil {
		t.Fatal(err)
	}

	// Redis away: the third request waits in the spool, which must not
	// hold it in clear either.
	s.Redis.Kill()
	capture(2)
	spool, err := os.ReadFile(s.App.Spool.Path())
	if err != nil || len(spool) == 0 {
		t.Fatalf("the spool is empty while Redis is down: %v", err)
	}
	secrets := []string{"2065557301", "2065557302", "2065557303", "zanzibarquokka", "xylophonecactus"}
	for _, sec := range secrets {
		if bytes.Contains(spool, []byte(sec)) {
			t.Errorf("the spool holds %q in clear", sec)
		}
	}
	s.Redis.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for s.Recorder.Spooled() > 0 && time.Now().Before(deadline) {
		_, _ = s.Recorder.Replay(ctx)
		time.Sleep(50 * time.Millisecond)
	}
	rdb := s.Redis.Client()
	if n := rdb.ZCard(ctx, s.Queue.Key("pending")).Val(); n != 3 {
		t.Fatalf("%d pending after the spool drained, want 3", n)
	}
	r, err := s.Queue.Get(ctx, reqs[0].ID)
	if err != nil || r.Message == nil || r.Message.Transcription != "zanzibarquokka appointment" {
		t.Fatalf("the transcription does not read back: %+v %v", r, err)
	}
	rdb.Set(ctx, "canary", "canarywren+12065550000", 0)

	// Every file Redis writes: the AOF as it was appended, after a rewrite,
	// and a snapshot.
	searched := map[string]bool{}
	search := func() {
		t.Helper()
		searched = map[string]bool{}
		if err := filepath.WalkDir(s.Redis.Dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, ".log") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			searched[filepath.Base(path)] = bytes.Contains(data, []byte("canarywren"))
			for _, sec := range secrets {
				if bytes.Contains(data, []byte(sec)) {
					t.Errorf("%s holds %q in clear", filepath.Base(path), sec)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	search()
	if !searched["appendonly.aof.1.incr.aof"] {
		t.Fatalf("the appended AOF does not hold the clear canary, so the search proves nothing: %v", searched)
	}
	if err := rdb.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitPersisted(t, ctx, s)
	if err := rdb.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	search()
	if !searched["dump.rdb"] || !searched["appendonly.aof.2.base.rdb"] {
		t.Fatalf("the snapshot or the rewritten AOF does not hold the clear canary, so the search proves nothing: %v", searched)
	}
}

// waitPersisted waits until Redis has no AOF rewrite running.
func waitPersisted(t *testing.T, ctx context.Context, s *testserver.Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		info := s.Redis.Client().Info(ctx, "persistence").Val()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the AOF rewrite did not finish within 10s")
}
