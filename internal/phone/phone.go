// Package phone is Switchboard's one home for phone numbers (the only
// importer of libphonenumber): caller IDs as Twilio sends them, numbers in
// the configuration, numbers keyed in on a keypad (E.164, or a reason they
// cannot be called back), and masking and read-back for people.
package phone

import (
	"errors"
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Reasons a keyed number is refused; each has a sentence a caller can hear.
var (
	ErrTooShort     = errors.New("that number is too short")
	ErrInvalid      = errors.New("that is not a valid phone number")
	ErrPremium      = errors.New("we cannot call premium-rate or shared-cost numbers")
	ErrNotCallable  = errors.New("we cannot call that kind of number back")
	ErrEmergencyNum = errors.New("that is an emergency or service number")
)

// FromKeypad turns digits keyed on a phone into an E.164 number. Ten digits
// are a US number; eleven starting with 1 too; a leading * stands for + (the
// keypad has no plus key), followed by the country code.
func FromKeypad(keys string) (string, error) {
	keys = strings.TrimSuffix(strings.TrimSpace(keys), "#")
	var raw string
	switch {
	case strings.HasPrefix(keys, "*"):
		raw = "+" + strings.TrimLeft(keys, "*")
	case strings.HasPrefix(keys, "011"):
		raw = "+" + keys[3:]
	case len(keys) == 11 && keys[0] == '1':
		raw = "+" + keys
	default:
		raw = "+1" + keys
	}
	if strings.ContainsAny(raw[1:], "*#") {
		return "", ErrInvalid
	}
	digits := raw[1:]
	switch digits {
	case "1911", "1988", "1411", "1611", "1711", "1811", "1311", "1211", "1511", "1911911":
		return "", ErrEmergencyNum
	}
	if len(digits) < 8 {
		return "", ErrTooShort
	}
	return Check(raw)
}

// Check validates an E.164 number as a callback destination: valid for its
// country and not premium rate, shared cost, or otherwise not callable.
func Check(e164 string) (string, error) {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return "", ErrInvalid
	}
	if !phonenumbers.IsValidNumber(n) {
		if phonenumbers.IsPossibleNumberWithReason(n) == phonenumbers.TOO_SHORT {
			return "", ErrTooShort
		}
		return "", ErrInvalid
	}
	if premium(n) {
		return "", ErrPremium
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL:
		return "", ErrNotCallable
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// Premium reports whether a number costs the caller extra to call or text:
// what libphonenumber types premium rate or shared cost (the NANP's 900
// area code, the UK's 09 and 084/087, ...), and NANP numbers in a 976
// exchange, the old local pay-per-call lines libphonenumber types as
// ordinary ones. A number that does not parse is not premium (it is
// refused for being invalid instead).
func Premium(e164 string) bool {
	n, err := phonenumbers.Parse(e164, "")
	return err == nil && premium(n)
}

func premium(n *phonenumbers.PhoneNumber) bool {
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST:
		return true
	}
	nsn := phonenumbers.GetNationalSignificantNumber(n)
	return n.GetCountryCode() == 1 && len(nsn) == 10 && (nsn[:3] == "900" || nsn[3:6] == "976")
}

// National writes a number for people in its own country's form:
// "+14258692644" becomes "(425) 869-2644". A number that does not parse is
// returned as it is.
func National(e164 string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	return phonenumbers.Format(n, phonenumbers.NATIONAL)
}

// e164Syntax is the written form of E.164: a plus, then 7 to 15 digits.
var e164Syntax = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)

// E164 accepts a number only when it is written in E.164 form and is a valid
// number, and returns it normalised. The configuration's numbers use it.
func E164(s string) (string, bool) {
	if !e164Syntax.MatchString(s) {
		return "", false
	}
	n, err := phonenumbers.Parse(s, "")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// Caller returns the caller's number in E.164 when Twilio sent a real one,
// and false for a withheld ("anonymous", "+266696687", empty) or invalid
// caller ID. Numbers without a country code are read as US numbers.
func Caller(from string) (string, bool) {
	if Withheld(from) {
		return "", false
	}
	n, err := phonenumbers.Parse(from, "US")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// Withheld reports the values Twilio sends for a withheld caller ID.
func Withheld(from string) bool {
	switch from {
	case "", "anonymous", "Anonymous", "+266696687", "+7378742833", "+2562533", "+8656696", "restricted", "unknown":
		return true
	}
	return false
}

// KnownRegion reports whether region is a region code libphonenumber knows
// ("US", "CA", "MX", ...).
func KnownRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(region) != 0
}

// NorthAmerican reports whether a region dials with country code +1 (the
// US, Canada and the rest of the North American Numbering Plan): a number
// there is keyed without a country code.
func NorthAmerican(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(region) == 1
}

// Reasons a number is refused by the practice's policy rather than by its
// form.
var (
	ErrCountry   = errors.New("we do not call back numbers in that country")
	ErrOwnNumber = errors.New("that is one of our own numbers")
)

// Region is the region a valid E.164 number is assigned to ("US", "CA",
// "GB"), or "" when it cannot be told.
func Region(e164 string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}

// AllowedIn checks a valid E.164 number, whose region (see Region) is
// known, against the practice's policy: the region must be one of regions (a
// number shared by several regions, such as +1, counts for the region it is
// assigned to) and the number must not be one of own. Parsing a number is
// the costliest thing a webhook does, so callers cache Region.
func AllowedIn(e164, region string, regions, own []string) error {
	for _, o := range own {
		if o == e164 {
			return ErrOwnNumber
		}
	}
	for _, r := range regions {
		if r == region {
			return nil
		}
	}
	return ErrCountry
}

// LastFour returns the last four digits of a number ("" when shorter).
func LastFour(n string) string {
	if len(n) < 4 {
		return ""
	}
	return n[len(n)-4:]
}

// Mask hides all but the last four digits: +1 ••• ••• 0142 becomes "…0142".
func Mask(n string) string {
	if n == "" {
		return ""
	}
	return "…" + LastFour(n)
}

// numberIn finds what may be a phone number inside text: seven or more
// digits, with an optional leading +.
var numberIn = regexp.MustCompile(`\+?[0-9]{7,}`)

// MaskIn masks every phone number inside text (an error from Twilio, a
// stored "who"), so it can be logged or shown: "call +14255550102 failed"
// becomes "call …0102 failed".
func MaskIn(text string) string {
	return numberIn.ReplaceAllStringFunc(text, Mask)
}

// Spoken renders a number for text-to-speech, digit by digit in the groups
// people say: "+12065550142" becomes "2 0 6, 5 5 5, 0 1 4 2", and a number
// elsewhere is read with its country code in its own country's grouping:
// "+442079460958" becomes "plus 4 4, 2 0, 7 9 4 6, 0 9 5 8".
func Spoken(e164 string) string {
	digits := strings.TrimPrefix(e164, "+")
	var groups []string
	switch {
	case strings.HasPrefix(digits, "1") && len(digits) == 11:
		groups = []string{digits[1:4], digits[4:7], digits[7:]}
	default:
		groups = []string{digits}
		if n, err := phonenumbers.Parse(e164, ""); err == nil {
			f := phonenumbers.Format(n, phonenumbers.INTERNATIONAL) // "+44 20 7946 0958"
			groups = strings.FieldsFunc(strings.TrimPrefix(f, "+"), func(r rune) bool { return r < '0' || r > '9' })
		}
	}
	for i, g := range groups {
		groups[i] = strings.Join(strings.Split(g, ""), " ")
	}
	out := strings.Join(groups, ", ")
	if !(strings.HasPrefix(digits, "1") && len(digits) == 11) {
		out = "plus " + out
	}
	return out
}

// SpokenLastFour reads the last four digits one by one: "0 1 4 2".
func SpokenLastFour(n string) string {
	return strings.Join(strings.Split(LastFour(n), ""), " ")
}
