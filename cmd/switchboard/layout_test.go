package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layoutViolations lists, for the Go files under root (tests and test
// support excluded), every import or call that breaks the house rules: only
// config reads the environment, only internal/phone imports libphonenumber,
// and packages live only at the design card's top level or under internal/.
func layoutViolations(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	top := map[string]bool{"cmd": true, "ivr": true, "routing": true, "config": true, "internal": true, "bench": true}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		if first, _, _ := strings.Cut(dir, "/"); !top[first] {
			out = append(out, rel+": a package outside cmd, ivr, routing, config, internal and bench")
		}
		if strings.HasSuffix(path, "_test.go") || strings.HasPrefix(dir, "internal/testprog") || strings.HasPrefix(dir, "bench") {
			return nil // tests, their support and the benchmark driver (which hands its environment to the processes it starts)
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/nyaruka/phonenumbers") && dir != "internal/phone" {
				out = append(out, rel+": imports phonenumbers (only internal/phone may)")
			}
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if dir != "config" && dir != "cmd/switchboard" {
			for _, call := range []string{"os.Getenv(", "os.LookupEnv(", "os.Environ("} {
				if strings.Contains(string(src), call) {
					out = append(out, rel+": calls "+call+" (only config reads the environment)")
				}
			}
		}
		if dir == "cmd/switchboard" && strings.Contains(string(src), `getenv("`) {
			out = append(out, rel+": reads a variable by name (only config reads the environment)")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLayoutRules(t *testing.T) {
	t.Parallel()
	if v := layoutViolations(t, "../.."); len(v) > 0 {
		t.Errorf("layout rules broken:\n%s", strings.Join(v, "\n"))
	}
}

// TestLayoutRulesCatchViolations feeds the check a tree that breaks each rule.
func TestLayoutRulesCatchViolations(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"store/store.go":         "package store\n",
		"ivr/dial.go":            "package ivr\nimport _ \"github.com/nyaruka/phonenumbers\"\n",
		"internal/api/api.go":    "package api\nimport \"os\"\nvar _ = os.Getenv(\"X\")\n",
		"cmd/switchboard/x.go":   "package main\nfunc f(getenv func(string) string) string { return getenv(\"X\") }\n",
		"internal/phone/p.go":    "package phone\nimport _ \"github.com/nyaruka/phonenumbers\"\n",
		"config/env.go":          "package config\nimport \"os\"\nvar _ = os.Getenv(\"X\")\n",
		"internal/api/a_test.go": "package api\nimport \"os\"\nvar _ = os.Getenv(\"CI\")\n",
	}
	for name, src := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found := layoutViolations(t, root)
	got := strings.Join(found, "\n")
	for _, want := range []string{"store/store.go: a package outside", "ivr/dial.go: imports phonenumbers", "internal/api/api.go: calls os.Getenv(", "cmd/switchboard/x.go: reads a variable"} {
		if !strings.Contains(got, want) {
			t.Errorf("the check missed %q; it found:\n%s", want, got)
		}
	}
	for _, v := range found {
		for _, clean := range []string{"internal/phone/", "config/", "internal/api/a_test.go"} {
			if strings.HasPrefix(v, clean) {
				t.Errorf("the check flagged %s, which keeps the rules", v)
			}
		}
	}
}

// TestReadmeLayoutTableMatchesTheTree checks that the README's layout table
// names every package directory and nothing that is gone.
func TestReadmeLayoutTableMatchesTheTree(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "## Layout")
	if !ok {
		t.Fatal("README has no ## Layout section")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	listed := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			name, _, _ := strings.Cut(rest, "`")
			listed[strings.TrimSuffix(name, "/")] = true
		}
	}
	dirs := map[string]bool{}
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != "../.." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			rel, _ := filepath.Rel("../..", filepath.Dir(path))
			rel = filepath.ToSlash(rel)
			if strings.HasPrefix(rel, "bench/") {
				rel = "bench" // one row for the benchmark tools
			}
			dirs[rel] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for d := range dirs {
		if !listed[d] {
			t.Errorf("package %s/ is missing from the README's layout table", d)
		}
	}
	for l := range listed {
		if !dirs[l] {
			t.Errorf("the README's layout table lists %s/, which has no Go package", l)
		}
	}
}
