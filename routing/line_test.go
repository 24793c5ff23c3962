package routing_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard-clinic/switchboard/routing"
)

func testLine() *routing.Line {
	return &routing.Line{
		Fallback: "scheduling",
		Menu: []routing.Option{
			{Digit: "0", Phrases: []string{"scheduling", "appointment"}, Label: "To reach scheduling", ClosedLabel: "To leave a request for scheduling", Action: routing.Action{Kind: routing.ActionRing, Target: "scheduling"}},
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
		{"operator", "", "operator", true, routing.ChoiceOption, "0"},
		{"a person", "", "can I talk to a person", true, routing.ChoiceOption, "0"},
		{"someone", "", "I need to talk to someone", true, routing.ChoiceOption, "0"},
		{"representative", "", "representative", true, routing.ChoiceOption, "0"},
		{"human", "", "human please", true, routing.ChoiceOption, "0"},
		{"front desk", "", "the front desk", true, routing.ChoiceOption, "0"},
		{"negated option loses", "", "I don't want group therapy, I want scheduling", true, routing.ChoiceOption, "0"},
		{"not the groups", "", "not groups, call back", true, routing.ChoiceOption, "2"},
		{"no, I want", "", "no, I want scheduling", true, routing.ChoiceOption, "0"},
		{"only a negated option", "", "I don't want groups", true, routing.ChoiceInvalid, ""},
		{"two options named", "", "groups or a callback", true, routing.ChoiceAmbiguous, ""},
		{"scheduling wins over information", "", "an appointment for group therapy", true, routing.ChoiceOption, "0"},
		{"scheduling named beside groups", "", "scheduling or groups", true, routing.ChoiceOption, "0"},
		{"a plea reaches a person", "", "I need help", true, routing.ChoiceOption, "0"},
		{"a Spanish plea reaches a person", "", "ayúdeme por favor", true, routing.ChoiceOption, "0"},
		{"a configured phrase beats a built-in one", "", "billing person", true, routing.ChoiceExtension, "200"},
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

func TestOptionSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		open bool
		want []string
	}{
		{"open: in the configured order, scheduling first", true, []string{
			"To reach scheduling, press 0 or say scheduling.", "To hear about our therapy groups, press 1 or say groups.",
			"To ask for a call back, press 2 or say call back.", "To hear these options again, press 9 or say repeat."}},
		{"closed: the closed label where there is one", false, []string{
			"To leave a request for scheduling, press 0.", "To hear about our therapy groups, press 1 or say groups.",
			"To ask for a call back, press 2 or say call back.", "To hear these options again, press 9 or say repeat."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, routing.OptionSentences(testLine().Menu, tt.open, routing.Prompts{OptionKey: "{label}, press {digit}.", OptionKeyOrSay: "{label}, press {digit} or say {phrase}."})); diff != "" {
				t.Errorf("OptionSentences(open=%v) (-want +got):\n%s", tt.open, diff)
			}
		})
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
