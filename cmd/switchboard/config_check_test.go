package main

import (
	"reflect"
	"testing"

	"github.com/switchboard-clinic/switchboard/routing"
)

func TestRefusalTextsAndDistressSentences(t *testing.T) {
	t.Parallel()
	refusals := []struct {
		name    string
		prompts routing.Prompts
		want    []string
	}{
		{"English", routing.Prompts{Invalid: "Sorry, that is not an option.", NoExtension: "There is no extension {digits}."},
			[]string{"Sorry, that is not an option.", "There is no extension"}},
		{"Spanish", routing.Prompts{Invalid: "Disculpe, esa opción no existe.", NoExtension: "No existe la extensión {digits}."},
			[]string{"Disculpe, esa opción no existe.", "No existe la extensión"}},
		{"digits first", routing.Prompts{Invalid: "No.", NoExtension: "{digits} is no extension."}, []string{"No.", "is no extension."}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := refusalTexts(tt.prompts); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("refusalTexts = %q, want %q", got, tt.want)
			}
		})
	}
	for lang, want := range map[string]string{"en-US": "I'm having thoughts of suicide", "es": "tengo pensamientos suicidas", "fr": "I'm having thoughts of suicide"} {
		if got := distressSentence(lang); got != want {
			t.Errorf("distressSentence(%q) = %q, want %q", lang, got, want)
		}
	}
}
