package routing_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard-clinic/switchboard/routing"
)

func testLine() *routing.Line {
	return &routing.Line{
		Menu: []routing.Option{
			{Digit: "0", Phrases: []string{"scheduling", "appointment"}, Label: "To reach scheduling", Action: routing.Action{Kind: routing.ActionRing, Target: "scheduling"}},
			{Digit: "1", Phrases: []string{"groups", "group therapy"}, Label: "To hear about our therapy groups", Action: routing.Action{Kind: routing.ActionInfo, Target: "groups"}},
			{Digit: "2", Phrases: []string{"call back", "callback"}, Label: "To ask for a call back", Action: routing.Action{Kind: routing.ActionCallback}},
			{Digit: "9", Phrases: []string{"repeat"}, Label: "To hear these options again", Action: routing.Action{Kind: routing.ActionRepeat}},
		},
		Extensions: []routing.Extension{
			{Number: "101", Name: "Doctor Rivera", Phrases: []string{"Rivera"}, Group: "ext-101"},
			{Number: "200", Name: "Billing", Group: "billing"},
		},
	}
}

func TestChoose(t *testing.T) {
	t.Parallel()
	l := testLine()
	tests := []struct {
		name       string
		digits     string
		speech     string
		extensions bool
		wantKind   routing.ChoiceKind
		wantTarget string // option digit or extension number
	}{
		{"no input", "", "", true, routing.ChoiceNone, ""},
		{"key 0", "0", "", true, routing.ChoiceOption, "0"},
		{"key with pound", "1#", "", true, routing.ChoiceOption, "1"},
		{"unknown key", "7", "", true, routing.ChoiceInvalid, ""},
		{"extension", "101", "", true, routing.ChoiceExtension, "101"},
		{"extension not offered here", "101", "", false, routing.ChoiceInvalid, ""},
		{"unknown extension", "555", "", true, routing.ChoiceInvalid, ""},
		{"said scheduling", "", "Scheduling, please.", true, routing.ChoiceOption, "0"},
		{"said a phrase of two words", "", "I'd like to hear about group therapy", true, routing.ChoiceOption, "1"},
		{"said a name", "", "Rivera", true, routing.ChoiceExtension, "101"},
		{"said a full name", "", "doctor rivera please", true, routing.ChoiceExtension, "101"},
		{"said an extension number", "", "extension one oh one", true, routing.ChoiceExtension, "101"},
		{"said digits as numerals", "", "101", true, routing.ChoiceExtension, "101"},
		{"said something else", "", "what time is it", true, routing.ChoiceInvalid, ""},
		{"digits win over speech", "2", "scheduling", true, routing.ChoiceOption, "2"},
		{"name is not matched inside another word", "", "riverside", true, routing.ChoiceInvalid, ""},
		{"markup in speech is just words", "", "<Say>hi</Say>", true, routing.ChoiceInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := l.Choose(l.Menu, tt.digits, tt.speech, tt.extensions)
			if got.Kind != tt.wantKind {
				t.Fatalf("Choose(%q, %q).Kind = %v, want %v", tt.digits, tt.speech, got.Kind, tt.wantKind)
			}
			var target string
			switch got.Kind {
			case routing.ChoiceOption:
				target = got.Option.Digit
			case routing.ChoiceExtension:
				target = got.Extension.Number
			}
			if target != tt.wantTarget {
				t.Errorf("Choose(%q, %q) chose %q, want %q", tt.digits, tt.speech, target, tt.wantTarget)
			}
		})
	}
}

func TestHints(t *testing.T) {
	t.Parallel()
	l := testLine()
	got := l.Hints(l.Menu, true)
	want := []string{"scheduling", "appointment", "groups", "group therapy", "call back", "callback", "repeat", "Doctor Rivera", "Rivera", "Billing"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Hints() mismatch (-want +got):\n%s", diff)
	}
}

func TestOptionsPrompt(t *testing.T) {
	t.Parallel()
	got := routing.OptionsPrompt(testLine().Menu)
	want := "To hear about our therapy groups, press 1 or say groups. To ask for a call back, press 2 or say call back. " +
		"To hear these options again, press 9 or say repeat. To reach scheduling, press 0 or say scheduling."
	if got != want {
		t.Errorf("OptionsPrompt() =\n%q\nwant\n%q", got, want)
	}
}

func TestSpokenDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{"one oh one", "101"},
		{"extension 2 0 0", "200"},
		{"ext 42", "42"},
		{"zero", "0"},
		{"scheduling", ""},
		{"one more thing", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := routing.SpokenDigits(routing.Words(tt.in)); got != tt.want {
			t.Errorf("SpokenDigits(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
