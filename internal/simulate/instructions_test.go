package simulate

import (
	"reflect"
	"testing"
)

// TestInstructionsIn lists the forms the explorer follows, from the built-in
// line's sentences in English and Spanish.
func TestInstructionsIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		sentence string
		want     []string
	}{
		{"key and phrase", "For scheduling, press 0 or say scheduling.", []string{"press 0", `say "scheduling"`}},
		{"star then digits", "If you know an extension, press star, then dial it.", []string{"press star"}},
		{"pound", "Please dial the extension, then press pound.", []string{"press pound"}},
		{"two answers", "Press 1 or say yes, press 2 or say no.", []string{"press 1", "press 2", `say "yes"`, `say "no"`}},
		{"Spanish key and phrase", "Para español, oprima 8 o diga español.", []string{"press 8", `say "español"`}},
		{"Spanish star", "Para volver al menú principal, oprima asterisco.", []string{"press star"}},
		{"Spanish pound", "Marque la extensión y luego oprima numeral.", []string{"press pound"}},
		{"Spanish semicolon", "Oprima 1 o diga sí; oprima 2 o diga no.", []string{"press 1", "press 2", `say "sí"`, `say "no"`}},
		{"extension in a message", "Contact scheduling: extension 0 on our main line, or a message.", []string{"extension 0"}},
		{"spaced extension", "Dial extensión 1 0 0 for the desk.", []string{"extension 100"}},
		{"no instruction", "Thank you for calling.", nil},
		{"a number is no key", "Press 12 now.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, in := range instructionsIn(tt.sentence) {
				got = append(got, in.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("instructionsIn(%q) = %q, want %q", tt.sentence, got, tt.want)
			}
		})
	}
}

// TestInstructionsGoToTheGatherThatTakesThem: a phrase said in a keys-only
// greeting is taken by the speech menu after it; a refusal instructs nothing.
func TestInstructionsGoToTheGatherThatTakesThem(t *testing.T) {
	t.Parallel()
	doc, err := ParseTwiML([]byte(`<Response><Say>There is no extension 5.</Say>` +
		`<Gather input="dtmf" action="/keys"><Say>Para español, oprima 8 o diga español.</Say></Gather>` +
		`<Gather input="dtmf speech" action="/menu"><Say>For scheduling, press 0.</Say></Gather></Response>`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, gi := range instructionsOf(doc, []string{"There is no extension"}, instructionsIn) {
		for _, in := range gi.list {
			got[gi.gather.Attrs["action"]] = append(got[gi.gather.Attrs["action"]], in.String())
		}
	}
	want := map[string][]string{"/keys": {"press 8"}, "/menu": {`say "español"`, "press 0"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("instructions by gather = %q, want %q", got, want)
	}
}
