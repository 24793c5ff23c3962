// Package phone checks and formats callers' phone numbers: a number keyed in
// on a phone's keypad becomes E.164 or a reason it cannot be called back, and
// numbers are masked or read back digit by digit for people.
package phone

import (
	"errors"
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
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST:
		return "", ErrPremium
	case phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL:
		return "", ErrNotCallable
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
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

// Spoken renders digits for text-to-speech, grouped as people say them:
// "+12065550142" becomes "2 0 6, 5 5 5, 0 1 4 2" for North American numbers.
func Spoken(e164 string) string {
	digits := strings.TrimPrefix(e164, "+")
	var groups []string
	if strings.HasPrefix(digits, "1") && len(digits) == 11 {
		groups = []string{digits[1:4], digits[4:7], digits[7:]}
	} else {
		groups = []string{digits}
	}
	for i, g := range groups {
		groups[i] = strings.Join(strings.Split(g, ""), " ")
	}
	return strings.Join(groups, ", ")
}

// SpokenLastFour reads the last four digits one by one: "0 1 4 2".
func SpokenLastFour(n string) string {
	return strings.Join(strings.Split(LastFour(n), ""), " ")
}
