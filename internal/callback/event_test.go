package callback

import (
	"testing"
	"time"
)

// TestEventAuthor: the caller's events are stored without an author (the
// most common one, in every request's history), and read back as the
// caller's; events stored before that, and everyone else's, keep theirs.
func TestEventAuthor(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		name, raw, who string
	}{
		{"the caller's, as stored now", eventJSON(at, eventCaller, "created", ""), "caller"},
		{"the caller's, as stored before", `{"t":1796567822440,"w":"caller","e":"created"}`, "caller"},
		{"a scheduler's", eventJSON(at, "Dana", "claimed", ""), "Dana"},
		{"Twilio's", eventJSON(at, "twilio", "transcription completed", ""), "twilio"},
		{"no one named, stored before", `{"t":1796567822440,"w":"","e":"note"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := decodeEvent(tt.raw)
			if !ok || e.Who != tt.who {
				t.Fatalf("decodeEvent(%s) = %+v, %v; want who %q", tt.raw, e, ok, tt.who)
			}
		})
	}
	if raw := eventJSON(at, eventCaller, "created", ""); raw != `{"t":1796565600000,"e":"created"}` {
		t.Errorf("the caller's event is stored as %s", raw)
	}
}
