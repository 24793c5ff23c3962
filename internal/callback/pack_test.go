package callback

import "testing"

func TestPackNumber(t *testing.T) {
	tests := []struct {
		name, in string
		packed   bool // packNumber changes it
	}{
		{"North American", "+12065550142", true},
		{"longest E.164", "+123456789012345", true},
		{"odd digits", "+441632960961", true},
		{"one digit", "+1", true},
		{"zeros", "+1000000000", true},
		{"not E.164: no plus", "12065550142", false},
		{"not E.164: too long", "+1234567890123456", false},
		{"not E.164: letters", "+1206555CALL", false},
		{"not E.164: plus alone", "+", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := packNumber(tt.in)
			if (p != tt.in) != tt.packed {
				t.Fatalf("packNumber(%q) = %q, packed %v, want %v", tt.in, p, p != tt.in, tt.packed)
			}
			if tt.packed && len(p) != 1+(len(tt.in)-1+1)/2 {
				t.Errorf("packNumber(%q) is %d bytes", tt.in, len(p))
			}
			if got := unpackNumber(p); got != tt.in {
				t.Errorf("unpackNumber(packNumber(%q)) = %q", tt.in, got)
			}
		})
	}
	// Values that are not packed, numbers sealed as text before among them,
	// are read as they are.
	for _, v := range []string{"+12065550142", "\x01", "\x01\xab", "\x01\x1f\x23", "call after lunch"} {
		if got := unpackNumber(v); got != v {
			t.Errorf("unpackNumber(%q) = %q, want it unchanged", v, got)
		}
	}
}
