package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Readable writes an E.164 number the way people read it: a North
// American number as "(206) 555-0177", any other in its international
// groups ("+44 20 7946 0958"). Anything that is not a number comes back as
// it is.
func Readable(e164 string) string {
	if !strings.HasPrefix(e164, "+") {
		return e164
	}
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	if n.GetCountryCode() == 1 {
		if d := strings.TrimPrefix(e164, "+1"); len(d) == 10 && strings.Trim(d, "0123456789") == "" {
			return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:]
		}
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}
