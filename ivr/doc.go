// Package ivr owns the call flow: the Echo handlers Twilio calls while a
// caller is on the line and the functions that build their TwiML with
// twilio-go's twiml package. Call state travels in the URLs of the TwiML it
// returns (Twilio signs the whole URL), so any instance can answer any step
// of any call.
package ivr
