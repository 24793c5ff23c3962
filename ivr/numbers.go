package ivr

import (
	"github.com/switchboard-clinic/switchboard/internal/memo"
	"github.com/switchboard-clinic/switchboard/internal/phone"
)

// numbers remembers what recent callers' numbers parse to: every step of a
// call carries the same From, and parsing a phone number properly is the
// costliest thing a webhook does.
type numbers struct {
	callers, backs *memo.Memo[string, parsedNumber]
	regions        *memo.Memo[string, string]
}

type parsedNumber struct {
	n  string
	ok bool
}

const maxCachedNumbers = 8192

func newNumbers() numbers {
	return numbers{
		callers: memo.New[string, parsedNumber](maxCachedNumbers),
		backs:   memo.New[string, parsedNumber](maxCachedNumbers),
		regions: memo.New[string, string](maxCachedNumbers),
	}
}

// caller is phone.Caller, remembered.
func (ns numbers) caller(from string) (string, bool) {
	p := ns.callers.Get(from, func() parsedNumber { n, ok := phone.Caller(from); return parsedNumber{n, ok} })
	return p.n, p.ok
}

// region is phone.Region, remembered.
func (ns numbers) region(e164 string) string {
	return ns.regions.Get(e164, func() string { return phone.Region(e164) })
}

// callback is callbackNumber, remembered.
func (ns numbers) callback(from string) (string, bool) {
	p := ns.backs.Get(from, func() parsedNumber { n, ok := callbackNumber(from); return parsedNumber{n, ok} })
	return p.n, p.ok
}
