package callback

import "strings"

// A phone number is sealed packed: a marker byte, then its digits two to a
// byte. Sealed as text ("+12065550142"), a North American number came to 66
// characters, past the 64 up to which Redis keeps a hash in its compact
// encoding (hash-max-listpack-value): the whole request then took a hash
// table, about 400 bytes more. Packed, a number of up to 15 digits seals to
// at most 62. The marker tells a packed number from one sealed as text
// before, which still opens as it is.
const packedNumber = '\x01'

// packNumber packs an E.164 number ("+" and 1 to 15 digits); anything else
// is returned as it is.
func packNumber(n string) string {
	if len(n) < 2 || len(n) > 16 || n[0] != '+' {
		return n
	}
	digits := n[1:]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return n
		}
	}
	b := make([]byte, 1, 1+(len(digits)+1)/2)
	b[0] = packedNumber
	for i := 0; i < len(digits); i += 2 {
		hi, lo := digits[i]-'0', byte(0xf)
		if i+1 < len(digits) {
			lo = digits[i+1] - '0'
		}
		b = append(b, hi<<4|lo)
	}
	return string(b)
}

// unpackNumber reverses packNumber; a value that is not packed is returned
// as it is.
func unpackNumber(p string) string {
	if len(p) < 2 || p[0] != packedNumber {
		return p
	}
	var b strings.Builder
	b.Grow(1 + 2*(len(p)-1))
	b.WriteByte('+')
	for i := 1; i < len(p); i++ {
		for _, d := range [2]byte{p[i] >> 4, p[i] & 0xf} {
			switch {
			case d <= 9:
				b.WriteByte('0' + d)
			case d == 0xf && i == len(p)-1:
			default:
				return p // not a number this packed
			}
		}
	}
	return b.String()
}
