package phone_test

import (
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/phone"
)

func TestReadable(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"US", "+12065550177", "(206) 555-0177"},
		{"Canada", "+14165550123", "(416) 555-0123"},
		{"UK", "+442079460958", "+44 20 7946 0958"},
		{"Mexico", "+525512345678", "+52 55 1234 5678"},
		{"not a number", "client:ana", "client:ana"},
		{"masked", "…0177", "…0177"},
	}
	for _, tt := range tests {
		if got := phone.Readable(tt.in); got != tt.want {
			t.Errorf("%s: Readable(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
