// Package twilioapi is the part of Twilio's REST API that Switchboard calls:
// ringing a staff member and connecting them to a client, sending a
// notification SMS, and fetching (decrypting in memory, when Twilio
// encrypted it with the practice's public key) or deleting a voice
// message's recording.
// Every call is bounded by the http.Client's timeout (twilio-go takes no
// context).
package twilioapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"github.com/twilio/twilio-go/twiml"
)

// Client talks to Twilio with one account's credentials.
type Client struct {
	sid, token string
	http       *http.Client
	rest       *twilio.RestClient
	recKeys    *seal.RecordingKeys // nil: recordings are not decrypted
}

// New returns a Client. hc may be nil for a default client with a 10-second
// timeout; tests pass one whose transport reaches a fake Twilio.
func New(accountSID, authToken string, hc *http.Client) (*Client, error) {
	if accountSID == "" || authToken == "" {
		return nil, errors.New("twilio api: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	if hc.CheckRedirect == nil {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	base := &client.Client{Credentials: client.NewCredentials(accountSID, authToken), HTTPClient: hc}
	base.SetAccountSid(accountSID)
	return &Client{sid: accountSID, token: authToken, http: hc, rest: twilio.NewRestClientWithParams(twilio.ClientParams{Client: base})}, nil
}

// Error is a failure that staff can read: what Twilio said, with its code.
type Error struct {
	Op      string
	Code    int // Twilio's error code, 0 when the request never reached Twilio
	Status  int // HTTP status
	Message string
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("%s: Twilio error %d: %s", e.Op, e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Op, e.Message)
}

// OptedOut reports Twilio's error 21610: the recipient replied STOP (or
// another opt-out keyword) to the sending number, and Twilio refuses to
// text them until they reply START
// (https://www.twilio.com/docs/api/errors/21610).
func (e *Error) OptedOut() bool { return e.Code == 21610 }

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		return &Error{Op: op, Code: te.Code, Status: te.Status, Message: te.Message}
	}
	return &Error{Op: op, Message: "Twilio could not be reached: " + err.Error()}
}

// AccountSID is the account the client acts for.
func (c *Client) AccountSID() string { return c.sid }

// CallBack rings staffPhone from the practice's main number; when the staff
// member answers they hear who is being called and are connected to the
// client, who sees the main number as caller ID. It returns the call's SID.
func (c *Client) CallBack(staffPhone, clientNumber, mainNumber string) (string, error) {
	doc, err := twiml.Voice([]twiml.Element{
		&twiml.VoiceSay{Message: "Connecting you to a client who asked us to call back. Please hold."},
		&twiml.VoiceDial{CallerId: mainNumber, Timeout: "30", InnerElements: []twiml.Element{&twiml.VoiceNumber{PhoneNumber: clientNumber}}},
		&twiml.VoiceSay{Message: "The client did not answer. Record the outcome in the console."},
	})
	if err != nil {
		return "", fmt.Errorf("call back: build twiml: %w", err)
	}
	p := &openapi.CreateCallParams{}
	p.SetTo(staffPhone)
	p.SetFrom(mainNumber)
	p.SetTwiml(doc)
	p.SetTimeout(30)
	call, err := c.rest.Api.CreateCall(p)
	if err != nil {
		return "", wrap("call back", err)
	}
	if call.Sid == nil {
		return "", &Error{Op: "call back", Message: "Twilio answered without a call SID"}
	}
	return *call.Sid, nil
}

// SendSMS sends body to one number from the practice's number.
func (c *Client) SendSMS(to, from, body string) error {
	p := &openapi.CreateMessageParams{}
	p.SetTo(to)
	p.SetFrom(from)
	p.SetBody(body)
	_, err := c.rest.Api.CreateMessage(p)
	return wrap("send sms", err)
}

// DeleteRecording deletes a recording from Twilio. Only a SID of the form
// Twilio gives ("RE" and 32 hex digits) is sent, so nothing else can become
// part of the DELETE path.
func (c *Client) DeleteRecording(recordingSID string) error {
	if !callback.ValidRecordingSID(recordingSID) {
		return &Error{Op: "delete recording", Message: "not a recording SID"}
	}
	err := wrap("delete recording", c.rest.Api.DeleteRecording(recordingSID, &openapi.DeleteRecordingParams{}))
	var te *Error
	if errors.As(err, &te) && te.Status == http.StatusNotFound {
		return nil // already gone: what deletion wanted
	}
	return err
}

var _ callback.RecordingDeleter = (*Client)(nil)

// FetchRecording returns a recording of this account for playback. A
// recording in clear is streamed as MP3; rangeHeader, when not empty, is
// passed on (the player seeks) and the answer is then 206 with its
// Content-Range. With recording keys set (SetRecordingKeys), the
// recording's details are read first, and one that Twilio encrypted is
// fetched as WAV and decrypted in memory (Audio is set; the caller serves
// ranges from it). The URLs are built from the recording's SID and the
// account, never taken from a webhook, so this cannot become a way to make
// Switchboard fetch other URLs.
func (c *Client) FetchRecording(ctx context.Context, recordingSID, rangeHeader string) (*Recording, error) {
	if !callback.ValidRecordingSID(recordingSID) {
		return nil, &Error{Op: "fetch recording", Message: "not a recording SID"}
	}
	if c.recKeys != nil {
		d, err := c.recordingEncryption(recordingSID)
		if err != nil {
			return nil, err
		}
		if d != nil {
			return c.fetchDecrypted(ctx, recordingSID, d)
		}
	}
	resp, err := c.get(ctx, recordingSID, ".mp3", rangeHeader)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		defer resp.Body.Close()
		return nil, statusError("fetch recording", resp)
	}
	rec := &Recording{Body: resp.Body, Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		ContentRange: resp.Header.Get("Content-Range"), ContentLength: resp.Header.Get("Content-Length")}
	if rec.ContentType == "" {
		rec.ContentType = "audio/mpeg"
	}
	return rec, nil
}

// Recording is a recording being fetched: either a body streamed from
// Twilio (which the caller closes) with what the player needs to seek, or,
// for a recording Switchboard decrypted, the audio in memory.
type Recording struct {
	Body          io.ReadCloser // nil when Audio is set
	Status        int           // 200, or 206 for a range
	ContentType   string
	ContentRange  string
	ContentLength string
	// Audio is a decrypted recording, held in memory only for this
	// playback; nil for a streamed one.
	Audio *bytes.Reader
}

// Close releases the recording's body, if it has one.
func (r *Recording) Close() error {
	if r.Body == nil {
		return nil
	}
	return r.Body.Close()
}
