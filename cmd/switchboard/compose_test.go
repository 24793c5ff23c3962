package main

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/switchboard-clinic/switchboard/config"
)

// envRead lists every environment variable the binary reads.
func envRead(t *testing.T) map[string]bool {
	t.Helper()
	read := map[string]bool{}
	rec := func(k string) string { read[k] = true; return "" }
	_, _ = config.FromEnv(rec)
	_, _ = config.ClientFromEnv(rec)
	_, _ = config.SimulatorFromEnv(rec)
	return read
}

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		DependsOn   any               `yaml:"depends_on"`
		Healthcheck map[string]any    `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func TestComposeFileMatchesTheBinary(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	read := envRead(t)

	redis, ok := f.Services["redis"]
	if !ok {
		t.Fatal("no redis service")
	}
	cmd := strings.Join(redis.Command, " ")
	if !strings.Contains(cmd, "--appendonly yes") || !strings.Contains(cmd, "--appendfsync everysec") {
		t.Errorf("redis runs without append-only persistence: %q", cmd)
	}
	if len(redis.Volumes) == 0 || !strings.HasSuffix(redis.Volumes[0], ":/data") || redis.Healthcheck == nil {
		t.Errorf("redis needs a data volume and a health check: %+v", redis)
	}

	instances := []string{"switchboard-a", "switchboard-b", "switchboard-fallback"}
	for _, name := range instances {
		s, ok := f.Services[name]
		if !ok {
			t.Errorf("no %s service", name)
			continue
		}
		if s.Build == nil {
			t.Errorf("%s is not built from the Dockerfile", name)
		}
		var keys []string
		for k := range s.Environment {
			keys = append(keys, k)
			if !read[k] {
				t.Errorf("%s sets %s, which the binary never reads", name, k)
			}
		}
		sort.Strings(keys)
		for _, must := range []string{"SWITCHBOARD_ADDR", "SWITCHBOARD_PUBLIC_URL", "TWILIO_AUTH_TOKEN", "REDIS_URL", "SWITCHBOARD_CONFIG", "SWITCHBOARD_DATA_DIR"} {
			if s.Environment[must] == "" {
				t.Errorf("%s does not set %s (has %v)", name, must, keys)
			}
		}
		if s.Environment["REDIS_URL"] != "redis://redis:6379/0" {
			t.Errorf("%s uses another Redis: %s", name, s.Environment["REDIS_URL"])
		}
		mounted := strings.Join(s.Volumes, " ")
		if !strings.Contains(mounted, ":"+s.Environment["SWITCHBOARD_CONFIG"]+":ro") || !strings.Contains(mounted, ":/data") {
			t.Errorf("%s does not mount its configuration and a spool volume: %v", name, s.Volumes)
		}
	}
	// The two instances behind the proxy are interchangeable: same settings.
	a, b := f.Services["switchboard-a"].Environment, f.Services["switchboard-b"].Environment
	for k, v := range a {
		if b[k] != v {
			t.Errorf("switchboard-a and -b differ in %s", k)
		}
	}
	if f.Services["switchboard-fallback"].Environment["SWITCHBOARD_PUBLIC_URL"] == a["SWITCHBOARD_PUBLIC_URL"] {
		t.Error("the fallback instance must have its own public URL (Twilio signs the fallback URL)")
	}
	proxy, ok := f.Services["proxy"]
	if !ok || len(proxy.Ports) == 0 {
		t.Fatal("no proxy publishing one port")
	}
	conf, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, up := range []string{"server switchboard-a:8080", "server switchboard-b:8080"} {
		if !strings.Contains(string(conf), up) {
			t.Errorf("deploy/nginx.conf lacks %q", up)
		}
	}
}

func TestDockerfileRunsAsNonRoot(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(data)
	if strings.Count(d, "\nFROM ") < 1 || strings.Count(d, "FROM ") < 2 {
		t.Error("the Dockerfile is not multi-stage")
	}
	if !strings.Contains(d, "USER nonroot") || !strings.Contains(d, "./cmd/switchboard") {
		t.Error("the Dockerfile does not build cmd/switchboard or run as a non-root user")
	}
}
