package phone_test

import (
	"errors"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/phone"
)

func TestFromKeypad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, keys, want string
		err              error
	}{
		{"ten digits", "2065550142", "+12065550142", nil},
		{"ten digits with pound", "2065550142#", "+12065550142", nil},
		{"eleven digits with 1", "12065550142", "+12065550142", nil},
		{"star for plus", "*442071838750", "+442071838750", nil},
		{"international prefix", "011442071838750", "+442071838750", nil},
		{"too short", "55501", "", phone.ErrTooShort},
		{"nine digits", "206555014", "", phone.ErrTooShort},
		{"premium rate", "9005551234", "", phone.ErrPremium},
		{"emergency", "911", "", phone.ErrEmergencyNum},
		{"crisis line", "988", "", phone.ErrEmergencyNum},
		{"invalid area code", "0005550142", "", phone.ErrInvalid},
		{"star in the middle", "206*550142", "", phone.ErrInvalid},
		{"empty", "", "", phone.ErrTooShort},
		{"unknown country", "*9991234567", "", phone.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := phone.FromKeypad(tt.keys)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("FromKeypad(%q) = %q, %v; want %q, %v", tt.keys, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, mask, spoken, last string
	}{
		{"+12065550142", "…0142", "2 0 6, 5 5 5, 0 1 4 2", "0 1 4 2"},
		{"+442071838750", "…8750", "4 4 2 0 7 1 8 3 8 7 5 0", "8 7 5 0"},
	}
	for _, tt := range tests {
		if got := phone.Mask(tt.in); got != tt.mask {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.mask)
		}
		if got := phone.Spoken(tt.in); got != tt.spoken {
			t.Errorf("Spoken(%q) = %q, want %q", tt.in, got, tt.spoken)
		}
		if got := phone.SpokenLastFour(tt.in); got != tt.last {
			t.Errorf("SpokenLastFour(%q) = %q, want %q", tt.in, got, tt.last)
		}
	}
}
