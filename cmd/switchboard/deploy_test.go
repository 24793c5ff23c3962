package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

// TestComposeFileValidates runs a real compose implementation (Debian's
// docker-compose; "config" needs no Docker daemon) on the shipped file: it
// must accept it with only the required variables set, mount a line file
// that exists in a fresh clone, and refuse to run without those variables.
func TestComposeFileValidates(t *testing.T) {
	testprog.Slow(t, "docker-compose")
	t.Parallel()
	dc := testprog.Find(t, "docker-compose", "docker-compose")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	run := func(vars ...string) (string, error) {
		cmd := exec.Command(dc, "-f", filepath.Join(root, "docker-compose.yml"), "config")
		cmd.Dir = root
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, vars...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("SWITCHBOARD_PUBLIC_URL=https://phone.example.org", "SWITCHBOARD_FALLBACK_URL=https://phone-fallback.example.org", "TWILIO_AUTH_TOKEN=abc123")
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
	line := filepath.Join(root, "deploy", "line.yaml")
	if !strings.Contains(out, line+":/etc/switchboard/line.yaml:ro") && !strings.Contains(out, "source: "+line) {
		t.Errorf("the instances do not mount %s:\n%s", line, out)
	}
	if _, err := config.LoadFile(line); err != nil {
		t.Errorf("the shipped line file does not load: %v", err)
	}
	if out, err := run(); err == nil || !strings.Contains(out, "set the public https URL Twilio calls") {
		t.Errorf("docker-compose config without the required variables: %v\n%s", err, out)
	}
}
