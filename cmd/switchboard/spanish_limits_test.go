package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

// TestConfigCheckHoldsSpanishToTheSameLimits: a Spanish line whose greeting
// pushes scheduling past 45 words from the start of the call, or whose
// group message takes longer than 45 s, fails config check.
func TestConfigCheckHoldsSpanishToTheSameLimits(t *testing.T) {
	testprog.Slow(t, "walks a whole line")
	t.Parallel()
	src := string(config.DefaultYAML())
	for _, old := range []string{"      greeting: Ha llamado a Evergreen Psychotherapy.\n", "          Ofrecemos grupos de terapia."} {
		if !strings.Contains(src, old) {
			t.Fatalf("default.yaml has no %q", old)
		}
	}
	src = strings.Replace(src, "      greeting: Ha llamado a Evergreen Psychotherapy.\n",
		"      greeting: Muchas gracias por llamar hoy a la consulta de Evergreen Psychotherapy, estamos aquí para ayudarle.\n", 1)
	src = strings.Replace(src, "          Ofrecemos grupos de terapia.",
		"          Ofrecemos grupos de terapia."+strings.Repeat(" Los grupos se reúnen cada semana en nuestra consulta.", 4), 1)
	path := filepath.Join(t.TempDir(), "long.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	// Only the English walk of a file without Spanish would pass: the
	// problems must be the Spanish ones.
	out, err := runOut(t, map[string]string{}, "config", "check", "--at", "2026-12-05T21:00", path)
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("config check passed a Spanish line over the limits:\n%s", out)
	}
	for _, want := range []string{
		`the "Terapia de grupo" message (Spanish) takes`,
		"is announced after",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `the "Group therapy" message (English) takes`) {
		t.Errorf("the English message is blamed:\n%s", out)
	}
}
