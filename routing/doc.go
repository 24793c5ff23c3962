// Package routing is the pure decision logic of the phone line: which menu
// option a key press or a spoken phrase selects, whether the practice is open
// at a given instant, and how a ring group is dialled. It imports no HTTP,
// Redis or Twilio package so that every rule can be tested with plain tables.
package routing
