package routing_test

import (
	"testing"

	"github.com/switchboard-clinic/switchboard/routing"
)

func TestDistress(t *testing.T) {
	t.Parallel()
	en := &routing.Line{LanguageCode: "en"}
	es := &routing.Line{LanguageCode: "es"}
	configured := &routing.Line{LanguageCode: "en", Distress: routing.DistressIn("en").With(routing.Distress{Crisis: []string{"can't go on"}})}
	tests := []struct {
		name                    string
		line                    *routing.Line
		speech                  string
		crisis, plea, therapist bool
	}{
		{"thoughts of suicide", en, "I'm having thoughts of suicide", true, false, false},
		{"suicidal", en, "I feel suicidal", true, false, false},
		{"kill myself", en, "I want to kill myself", true, false, false},
		{"hurt myself", en, "I might hurt myself", true, false, false},
		{"end my life", en, "I want to end my life", true, false, false},
		{"in crisis", en, "I'm in crisis", true, false, false},
		{"an emergency", en, "this is an emergency", true, false, false},
		{"overdose", en, "my friend overdosed", true, false, false},
		{"not an emergency", en, "it's not an emergency", false, false, false},
		{"not suicidal", en, "I'm not suicidal, I want scheduling", false, false, false},
		{"a plea", en, "I need help", false, true, false},
		{"please help me", en, "please help me", false, true, false},
		{"no help needed", en, "I don't need help", false, false, false},
		{"my therapist", en, "I want to talk to my therapist", false, false, true},
		{"a message for the doctor", en, "a message for Dr. Lee", false, false, true},
		{"scheduling is none", en, "scheduling please", false, false, false},
		{"Spanish: suicidal thoughts", es, "tengo pensamientos suicidas", true, false, false},
		{"Spanish: take my life", es, "quiero quitarme la vida", true, false, false},
		{"Spanish: hurt myself", es, "tengo miedo de hacerme daño", true, false, false},
		{"Spanish: an emergency", es, "es una emergencia", true, false, false},
		{"Spanish: not an emergency", es, "no es una emergencia", false, false, false},
		{"Spanish: a plea", es, "necesito ayuda", false, true, false},
		{"Spanish: my therapist", es, "quiero hablar con mi terapeuta", false, false, true},
		{"English words in a Spanish call still count", es, "emergencia", true, false, false},
		{"a configured phrase adds", configured, "I can't go on", true, false, false},
		{"the built-in ones stay", configured, "suicide", true, false, false},
		{"a stem matches only word starts", en, "unsuicidal", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.line.InCrisis(tt.speech); got != tt.crisis {
				t.Errorf("InCrisis(%q) = %v, want %v", tt.speech, got, tt.crisis)
			}
			if got := tt.line.Pleads(tt.speech); got != tt.plea {
				t.Errorf("Pleads(%q) = %v, want %v", tt.speech, got, tt.plea)
			}
			if got := tt.line.AsksForTherapist(tt.speech); got != tt.therapist {
				t.Errorf("AsksForTherapist(%q) = %v, want %v", tt.speech, got, tt.therapist)
			}
		})
	}
}
