package phone_test

import (
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/phone"
)

// FuzzFromKeypad: any key sequence is either refused with one of the
// package's reasons or becomes a callable E.164 number that checks again.
func FuzzFromKeypad(f *testing.F) {
	for _, s := range []string{"2065550142", "12065550142", "*442071838750", "011442071838750", "911", "9005551234", "", "#", "*", "0000000000", "1234567890123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, keys string) {
		n, err := phone.FromKeypad(keys)
		if err != nil {
			if n != "" {
				t.Fatalf("refused %q but returned %q", keys, n)
			}
			return
		}
		if !strings.HasPrefix(n, "+") || strings.Trim(n[1:], "0123456789") != "" {
			t.Fatalf("FromKeypad(%q) = %q, not E.164", keys, n)
		}
		again, err := phone.Check(n)
		if err != nil || again != n {
			t.Fatalf("Check(%q) = %q, %v", n, again, err)
		}
		if phone.Mask(n) != "…"+n[len(n)-4:] {
			t.Fatalf("Mask(%q) = %q", n, phone.Mask(n))
		}
	})
}
