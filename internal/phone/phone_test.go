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
		{"a 976 pay-per-call exchange", "2129761234", "", phone.ErrPremium},
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
		{"+442071838750", "…8750", "plus 4 4, 2 0, 7 1 8 3, 8 7 5 0", "8 7 5 0"},
		{"+525512345678", "…5678", "plus 5 2, 5 5, 1 2 3 4, 5 6 7 8", "5 6 7 8"},
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

func TestAllowed(t *testing.T) {
	t.Parallel()
	own := []string{"+14258692644"}
	us := []string{"US", "CA"}
	tests := []struct {
		name, number string
		want         error
	}{
		{"a US number", "+12065550142", nil},
		{"a Canadian number", "+14165550142", nil},
		{"the practice's own line", "+14258692644", phone.ErrOwnNumber},
		{"the UK", "+442071838750", phone.ErrCountry},
		{"Inmarsat satellite", "+870772001799", phone.ErrCountry},
		{"a Caribbean +1 number", "+18765550142", phone.ErrCountry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := phone.AllowedIn(tt.number, phone.Region(tt.number), us, own); !errors.Is(got, tt.want) && got != tt.want {
				t.Errorf("Allowed(%s) = %v, want %v", tt.number, got, tt.want)
			}
		})
	}
}

func TestCallerAndWithheld(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, want string
		ok         bool
	}{
		{"+12065550142", "+12065550142", true},
		{"2065550142", "+12065550142", true},
		{"anonymous", "", false},
		{"+266696687", "", false},
		{"", "", false},
		{"+1206", "", false},
	}
	for _, tt := range tests {
		if got, ok := phone.Caller(tt.from); got != tt.want || ok != tt.ok {
			t.Errorf("Caller(%q) = %q, %v; want %q, %v", tt.from, got, ok, tt.want, tt.ok)
		}
	}
}

// TestMaskIn: numbers inside text (errors from Twilio, a stored "who") are
// masked to their last four digits; other text stays.
func TestMaskIn(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"call back: Twilio error 21211: The 'To' number +14255550102 is not valid", "call back: Twilio error 21211: The 'To' number …0102 is not valid"},
		{"+14255550102", "…0102"},
		{"ben", "ben"},
		{"from +12065550142 to +442071838750", "from …0142 to …8750"},
	} {
		if got := phone.MaskIn(tt.in); got != tt.want {
			t.Errorf("MaskIn(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPremium(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, number string
		want         bool
	}{
		{"NANP 900", "+19005551234", true},
		{"NANP 976 exchange", "+12129761234", true},
		{"UK premium rate 09", "+449061234567", true},
		{"ordinary US number", "+12065550142", false},
		{"976 as the last digits", "+12065550976", false},
		{"toll free", "+18005550100", false},
		{"not a number", "+1", false},
	}
	for _, tt := range tests {
		if got := phone.Premium(tt.number); got != tt.want {
			t.Errorf("%s: Premium(%q) = %v, want %v", tt.name, tt.number, got, tt.want)
		}
	}
	if got := phone.National("+14258692644"); got != "(425) 869-2644" {
		t.Errorf("National = %q, want (425) 869-2644", got)
	}
}
