package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/config"
)

func TestMissedCallText(t *testing.T) {
	t.Parallel()
	base := string(config.DefaultYAML())
	with := func(block string) string {
		return strings.Replace(base, "  missedCallText:\n    enabled: false\n", block, 1)
	}
	tests := []struct {
		name, yaml   string
		enabled      bool
		en, es, prob string
	}{
		{name: "off by default", yaml: base, en: "Sorry we missed your call. Please call us back at (425) 869-2644. Reply STOP to stop these texts.",
			es: "Lamentamos no haber podido atender su llamada. Llámenos al (425) 869-2644. Responda STOP para no recibir más mensajes."},
		{name: "own wording", yaml: with("  missedCallText:\n    enabled: true\n    text: We missed you. {number}\n"), enabled: true,
			en: "We missed you. (425) 869-2644", es: "Lamentamos no haber podido atender su llamada. Llámenos al (425) 869-2644. Responda STOP para no recibir más mensajes."},
		{name: "Spanish wording", yaml: with("  missedCallText:\n    enabled: true\n") + "    missedCallText: Le llamamos pronto.\n",
			enabled: true, es: "Le llamamos pronto."},
		{name: "too long", yaml: with("  missedCallText:\n    enabled: true\n    text: " + strings.Repeat("a", 321) + "\n"),
			prob: "callback.missedCallText.text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := config.Load("test.yaml", []byte(tt.yaml))
			if tt.prob != "" {
				var ce *config.Error
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.prob) {
					t.Fatalf("got %v, want a problem at %s", err, tt.prob)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := l.Callback.MissedText
			if m.Enabled != tt.enabled {
				t.Errorf("enabled: got %v, want %v", m.Enabled, tt.enabled)
			}
			if tt.en != "" && m.In("en", l.LanguageCode) != tt.en {
				t.Errorf("en: got %q, want %q", m.In("en", l.LanguageCode), tt.en)
			}
			if got := l.In("es").Callback.MissedText.In("es", l.LanguageCode); got != tt.es {
				t.Errorf("es: got %q, want %q", got, tt.es)
			}
		})
	}
}
