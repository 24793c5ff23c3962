package ivr_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
