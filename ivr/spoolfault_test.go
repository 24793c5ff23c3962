package ivr_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

// assertAnsweredWithoutSpool checks that with Redis down and the spool
// unwritable a caller still gets an answer (told the request could not be
// saved and put through to a person), and that /readyz and the logs say why.
func assertAnsweredWithoutSpool(t *testing.T, h *harness) {
	t.Helper()
	h.Redis.Kill()
	doc := h.callStep("/twilio/callback/number?n=0&r=menu", callForm("Digits", "1"))
	if !strings.Contains(doc.Said(), "could not save your request") {
		t.Errorf("caller hears %q", doc.Said())
	}
	if _, to := dialed(t, doc); len(to) != 3 {
		t.Errorf("the caller is not put through to scheduling: %v", to)
	}
	rec := h.Do(newGet("/readyz"))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"spool":"spool: `) {
		t.Errorf("/readyz = %d %s", rec.Code, rec.Body)
	}
	for _, want := range []string{"could not be saved anywhere", "the callback spool cannot be written"} {
		if !strings.Contains(h.Logs.String(), want) {
			t.Errorf("the logs do not say %q", want)
		}
	}
}

func TestBrokenSpoolStillAnswersCallers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := newServerHarness(t, harnessOpts{SpoolDir: dir})
	// A directory where the spool file should be fails every write, even
	// for root (who ignores file permissions).
	if err := os.Mkdir(filepath.Join(dir, "callbacks.spool"), 0o700); err != nil {
		t.Fatal(err)
	}
	assertAnsweredWithoutSpool(t, h)
}

func TestFullDiskStillAnswersCallers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A 16 KiB tmpfs, filled up: a real full disk. Mounting needs root.
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount a small tmpfs (CI runs as root): %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	h := newServerHarness(t, harnessOpts{SpoolDir: dir})
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := filler.Write(make([]byte, 4096)); err != nil {
			break
		}
	}
	filler.Close()
	assertAnsweredWithoutSpool(t, h)
}

func TestCallbackWithRedisDownIsStillConfirmedAndArrivesLater(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	h.Redis.Kill()
	start := time.Now()
	doc := h.callStep("/twilio/callback/number?n=0&r=menu", callForm("Digits", "1"))
	if took := time.Since(start); took >= time.Second {
		t.Errorf("confirmation with Redis down took %v", took)
	}
	if !strings.Contains(doc.Said(), "saved") {
		t.Fatalf("caller not confirmed: %q", doc.Said())
	}
	// The rest of the call goes on while Redis is down.
	h.callStep("/twilio/callback/consent?q=vm&n=0", callForm("Digits", "2"))
	ready := h.Do(mustGet("/readyz"))
	if ready.Code != http.StatusServiceUnavailable || !strings.Contains(ready.Body.String(), `"spooled":2`) {
		t.Errorf("/readyz while degraded: %d %s", ready.Code, ready.Body)
	}
	h.Redis.Restart()
	if _, err := h.Recorder.Replay(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := h.requests(t)[sid]
	if r == nil || r.VoicemailOK != callback.ConsentNo {
		t.Fatalf("after Redis returned: %+v", r)
	}
	if ready := h.Do(mustGet("/readyz")); ready.Code != http.StatusOK {
		t.Errorf("/readyz after the spool drained: %d %s", ready.Code, ready.Body)
	}
}

func TestCallbackWebhooksAnswerInTimeWhileRedisIsPaused(t *testing.T) {
	testprog.Slow(t, "Redis paused for seconds")
	t.Parallel()
	// The production deadline: this test proves that it keeps callers
	// answered within a second.
	h := newServerHarness(t, harnessOpts{RedisTimeout: 300 * time.Millisecond})
	h.Redis.Pause()
	paused := true
	defer func() {
		if paused {
			h.Redis.Resume()
		}
	}()
	start := time.Now()
	n := 0
	for ; time.Since(start) < 5*time.Second; n++ {
		form := callForm("Digits", "1", "CallSid", fmt.Sprintf("CA%032x", 0xbb000000+n))
		t0 := time.Now()
		doc := h.callStep("/twilio/callback/number?n=0&r=menu", form)
		if took := time.Since(t0); took >= time.Second {
			t.Fatalf("webhook %d took %v with Redis paused", n, took)
		}
		if !strings.Contains(doc.Said(), "saved") {
			t.Fatalf("webhook %d: caller not confirmed: %q", n, doc.Said())
		}
	}
	h.Redis.Resume()
	paused = false
	deadline := time.Now().Add(10 * time.Second)
	for h.Recorder.Spooled() > 0 && time.Now().Before(deadline) {
		if _, err := h.Recorder.Replay(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	st, err := h.Queue.Stats(t.Context())
	if err != nil || int(st.Pending) != n {
		t.Errorf("%d requests after Redis resumed (%v), want %d", st.Pending, err, n)
	}
}

// TestOrphanUpdatesDoNotHoldReadinessAndAreDropped: a signed transcription
// for a call that made no request is kept a short while (its request may
// still be in another instance's spool) without making the service
// unready, then dropped from disk with a warning.
func TestOrphanUpdatesDoNotHoldReadinessAndAreDropped(t *testing.T) {
	t.Parallel()
	h := newServerHarness(t, harnessOpts{})
	orphan := callForm("CallSid", "CAdddddddddddddddddddddddddddddddd", "TranscriptionText", "a secret sentence", "TranscriptionStatus", "completed")
	if rec := h.post("/twilio/callback/transcript", orphan, true); rec.Code != http.StatusNoContent {
		t.Fatalf("transcription for an unknown call: %d", rec.Code)
	}
	if h.Recorder.Spooled() != 1 || h.Recorder.Orphans() != 1 {
		t.Fatalf("spooled %d, orphans %d", h.Recorder.Spooled(), h.Recorder.Orphans())
	}
	ready := h.Do(mustGet("/readyz"))
	if ready.Code != http.StatusOK || !strings.Contains(ready.Body.String(), `"orphans":1`) {
		t.Errorf("/readyz with only an orphan: %d %s", ready.Code, ready.Body)
	}
	h.Recorder.KeepOrphansFor(time.Nanosecond)
	if _, err := h.Recorder.Replay(t.Context()); err != nil {
		t.Fatal(err)
	}
	if h.Recorder.Spooled() != 0 || h.Recorder.Orphans() != 0 {
		t.Errorf("after its time: spooled %d, orphans %d", h.Recorder.Spooled(), h.Recorder.Orphans())
	}
	if data, err := os.ReadFile(h.App.Spool.Path()); err == nil && strings.Contains(string(data), "secret sentence") {
		t.Error("the dropped transcription is still on disk")
	}
	if !strings.Contains(h.Logs.String(), "level=ERROR msg=\"LOST a callback update") {
		t.Errorf("no error when dropped:\n%s", h.Logs)
	}
}
