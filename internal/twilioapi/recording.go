package twilioapi

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// Voice Recording Encryption, as Twilio documents it
// (https://www.twilio.com/docs/voice/tutorials/voice-recording-encryption,
// checked December 2026):
//   - Twilio makes a random content key (CEK) per recording, encrypts the
//     audio with it using AES256-GCM, and wraps the CEK with the account's
//     public key (a Credentials PublicKey resource, SID "CR...",
//     https://www.twilio.com/docs/iam/credentialpublickey-resource) using
//     RSAES-OAEP-SHA256-MGF1.
//   - The Recording resource (GET .../Recordings/{Sid}.json) then carries
//     encryption_details: {"type": "rsa-aes", "public_key_sid": "CR...",
//     "encrypted_cek": base64, "iv": base64} (the sample recording in
//     github.com/TwilioDevEd/encrypted-media-recordings' README; twilio-go's
//     ApiV2010Recording.EncryptionDetails). The IV is 12 bytes.
//   - The media is the GCM ciphertext followed by its 16-byte tag (Twilio's
//     Java sample decrypts the whole file with GCMParameterSpec(128, iv)).
//   - An encrypted recording cannot be fetched as .mp3: "request the
//     recording as .wav instead" (error 16109,
//     https://www.twilio.com/docs/api/errors/16109). Nor can Twilio
//     transcribe it (error 17533).

// encryptionDetails is a recording's encryption_details.
type encryptionDetails struct {
	Type         string `json:"type"`
	PublicKeySID string `json:"public_key_sid"`
	EncryptedCEK string `json:"encrypted_cek"`
	IV           string `json:"iv"`
}

// maxRecordingBytes bounds an encrypted recording held in memory to
// decrypt: a voice message is at most two minutes, about 2 MB as WAV.
const maxRecordingBytes = 32 << 20

// codeEncryptedMP3 is Twilio's error for an encrypted recording asked for
// as .mp3 (16109).
const codeEncryptedMP3 = 16109

// SetRecordingKeys makes FetchRecording decrypt recordings that Twilio
// encrypted with the practice's public key (nil: it does not). Set it
// before use.
func (c *Client) SetRecordingKeys(k *seal.RecordingKeys) { c.recKeys = k }

// recordingEncryption reads a recording's encryption_details: nil when the
// recording is not encrypted.
func (c *Client) recordingEncryption(recordingSID string) (*encryptionDetails, error) {
	rec, err := c.rest.Api.FetchRecording(recordingSID, &openapi.FetchRecordingParams{})
	if err != nil {
		return nil, wrap("fetch recording details", err)
	}
	if rec.EncryptionDetails == nil || *rec.EncryptionDetails == nil {
		return nil, nil
	}
	raw, err := json.Marshal(*rec.EncryptionDetails)
	if err != nil {
		return nil, &Error{Op: "fetch recording details", Message: "unreadable encryption_details"}
	}
	var d encryptionDetails
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, &Error{Op: "fetch recording details", Message: "unreadable encryption_details"}
	}
	if d == (encryptionDetails{}) {
		return nil, nil
	}
	return &d, nil
}

// fetchDecrypted fetches an encrypted recording as WAV and decrypts it in
// memory. The audio is never written anywhere.
func (c *Client) fetchDecrypted(ctx context.Context, recordingSID string, d *encryptionDetails) (*Recording, error) {
	const op = "decrypt recording"
	if d.Type != "rsa-aes" {
		return nil, &Error{Op: op, Message: fmt.Sprintf("Twilio encrypted it with %q, which Switchboard does not know (it knows rsa-aes)", d.Type)}
	}
	wrapped, err1 := base64.StdEncoding.DecodeString(d.EncryptedCEK)
	iv, err2 := base64.StdEncoding.DecodeString(d.IV)
	if err1 != nil || err2 != nil || len(iv) != 12 {
		return nil, &Error{Op: op, Message: "the recording's encryption details are malformed"}
	}
	cek, err := c.recKeys.UnwrapContentKey(wrapped)
	if err != nil {
		return nil, &Error{Op: op, Message: err.Error() + " (Twilio used public key " + safeSID(d.PublicKeySID) + ")"}
	}
	resp, err := c.get(ctx, recordingSID, ".wav", "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError("fetch recording", resp)
	}
	sealed, err := io.ReadAll(io.LimitReader(resp.Body, maxRecordingBytes+1))
	if err != nil {
		return nil, wrap("fetch recording", err)
	}
	if len(sealed) > maxRecordingBytes {
		return nil, &Error{Op: op, Message: fmt.Sprintf("the recording is larger than %d MiB", maxRecordingBytes>>20)}
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, &Error{Op: op, Message: "the content key is not an AES-256 key"}
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, &Error{Op: op, Message: "the content key is not an AES-256 key"}
	}
	audio, err := gcm.Open(sealed[:0], iv, sealed, nil)
	if err != nil {
		return nil, &Error{Op: op, Message: "the audio failed its integrity check (it was altered, cut short, or its encryption details belong to another recording)"}
	}
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "audio/") {
		ct = "audio/wav"
	}
	return &Recording{Status: http.StatusOK, ContentType: ct, Audio: bytes.NewReader(audio)}, nil
}

// get requests a recording's media (ext ".mp3" or ".wav") of this account.
// The URL is built from the recording's SID and the account, never taken
// from a webhook.
func (c *Client) get(ctx context.Context, recordingSID, ext, rangeHeader string) (*http.Response, error) {
	if !callback.ValidRecordingSID(recordingSID) {
		return nil, &Error{Op: "fetch recording", Message: "not a recording SID"}
	}
	u := "https://api.twilio.com/2010-04-01/Accounts/" + c.sid + "/Recordings/" + recordingSID + ext
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch recording: %w", err)
	}
	req.SetBasicAuth(c.sid, c.token)
	if rangeHeader != "" {
		req.Header.Set("Range", rangeHeader)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, wrap("fetch recording", err)
	}
	return resp, nil
}

// statusError reads Twilio's error answer (and closes nothing: the caller
// closes the body). An encrypted recording asked for as MP3 says what to set.
func statusError(op string, resp *http.Response) error {
	var body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	e := &Error{Op: op, Status: resp.StatusCode, Code: body.Code, Message: "Twilio answered " + resp.Status}
	if body.Code == codeEncryptedMP3 {
		e.Message = "the recording is encrypted at Twilio (Voice Recording Encryption); set SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE to play it"
	}
	return e
}

// safeSID keeps a public key SID for a message only when it has Twilio's
// form, so nothing else from an answer reaches a page or the log.
func safeSID(s string) string {
	if len(s) == 34 && strings.HasPrefix(s, "CR") && strings.Trim(s[2:], "0123456789abcdefABCDEF") == "" {
		return s
	}
	return "(unnamed)"
}
