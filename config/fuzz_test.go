package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/routing"
)

// FuzzLoad feeds the loader arbitrary documents: it must never panic, every
// refusal must be a *config.Error naming its problems, and every accepted
// document must describe a line a call can use.
func FuzzLoad(f *testing.F) {
	def := string(config.DefaultYAML())
	f.Add(def)
	f.Add(strings.Replace(def, `digit: "9"`, `digit: "1"`, 1))
	f.Add(strings.Replace(def, "maxRingSeconds: 25", "maxRingSeconds: 0", 1))
	f.Add("practice: x\n")
	f.Add("")
	f.Add("menu: [{digit: '0', action: ring, target: nowhere}]")
	f.Add("hours: {monday: ['25:00-26:00']}\n")
	f.Add(":\n\t- [")
	f.Fuzz(func(t *testing.T, doc string) {
		var line *routing.Line
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			line, err = config.Load("fuzz.yaml", []byte(doc))
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Load did not return within 5 s on %q", doc)
		}
		if err != nil {
			ce, ok := config.AsError(err)
			if !ok || len(ce.Problems) == 0 {
				t.Fatalf("refusal without problems: %v", err)
			}
			return
		}
		if line.MaxTries < 1 || len(line.Menu) == 0 || line.Prompts.Crisis == "" || line.Groups[line.Fallback].TotalRingSeconds() <= 0 {
			t.Fatalf("accepted a line that cannot answer a call: %+v", line)
		}
	})
}
