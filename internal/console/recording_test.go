package console_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// recordingKey makes an RSA key pair as a practice would for Twilio's Voice
// Recording Encryption, and the keys Switchboard reads from its PEM.
func recordingKey(t *testing.T) (*rsa.PrivateKey, *seal.RecordingKeys) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.ParseRecordingKeys(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}))
	if err != nil {
		t.Fatal(err)
	}
	return priv, keys
}

const (
	recSID   = "REfedcba9876543210fedcba9876543210"
	pubKeyID = "CR0123456789abcdef0123456789abcdef"
)

// wav is a voice message as Twilio serves one: a WAV header and samples.
var wav = []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data" +
	strings.Repeat("\x01\x02\x03\x04 voice samples ", 200))

// claimedWithMessage seeds a request with a voice message, and signs in ana
// holding its claim; it returns ana and the request's audio path.
func claimedWithMessage(t *testing.T, s *testserver.Server) (*browser, string) {
	t.Helper()
	id := seed(t, s, "CA1", client, testserver.MondayMorning, &callback.Message{RecordingSID: recSID, DurationSeconds: 4})
	ana := signIn(t, s, "ana", s.AddStaff("ana"))
	if rec := ana.post("/staff/requests/" + id + "/claim"); rec.Code != http.StatusSeeOther {
		t.Fatalf("claim: %d", rec.Code)
	}
	return ana, "/staff/requests/" + id + "/audio"
}

func TestPlaybackDecryptsTwilioEncryptedRecordings(t *testing.T) {
	t.Parallel()
	priv, keys := recordingKey(t)
	other, _ := recordingKey(t)
	s := testserver.New(t, testserver.Options{Twilio: true, RecordingKeys: keys})
	s.Fake.SetAudio(wav)
	ana, audio := claimedWithMessage(t, s)

	// A recording in clear plays as before, as MP3, even with keys set.
	rec := ana.do("GET", audio, nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "audio/mpeg" || rec.Body.String() != string(wav) {
		t.Fatalf("clear recording: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}

	if err := s.Fake.EncryptRecordings(&priv.PublicKey, pubKeyID); err != nil {
		t.Fatal(err)
	}
	rec = ana.do("GET", audio, nil)
	if rec.Code != http.StatusOK || rec.Body.String() != string(wav) || !strings.HasPrefix(rec.Header().Get("Content-Type"), "audio/") {
		t.Fatalf("encrypted recording: %d %q, %d bytes; want the original %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len(), len(wav))
	}
	// A player seeking gets the range of the decrypted audio.
	req := ana.request("GET", audio)
	req.Header.Set("Range", "bytes=44-99")
	rec = s.Do(req)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != string(wav[44:100]) || rec.Header().Get("Content-Range") != "bytes 44-99/"+strconv.Itoa(len(wav)) {
		t.Errorf("range of an encrypted recording: %d %q", rec.Code, rec.Header().Get("Content-Range"))
	}
	var wavs int
	for _, r := range s.Fake.Requests() {
		if strings.HasSuffix(r.Path, recSID+".wav") {
			wavs++
		}
		if strings.HasSuffix(r.Path, recSID+".mp3") && wavs > 0 {
			t.Error("an encrypted recording was asked for as MP3")
		}
	}
	if wavs != 2 {
		t.Errorf("%d WAV fetches, want 2", wavs)
	}

	// Failures: a clear reason on a 502, never the audio, never a panic.
	for _, tc := range []struct {
		name   string
		setup  func()
		reason string
	}{
		{"another key", func() {
			if err := s.Fake.EncryptRecordings(&other.PublicKey, pubKeyID); err != nil {
				t.Fatal(err)
			}
		}, "private key is not in SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE (Twilio used public key " + pubKeyID + ")"},
		{"tampered audio", func() {
			if err := s.Fake.EncryptRecordings(&priv.PublicKey, pubKeyID); err != nil {
				t.Fatal(err)
			}
			s.Fake.TamperRecording()
		}, "the audio failed its integrity check"},
	} {
		tc.setup()
		rec := ana.do("GET", audio, nil)
		if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), tc.reason) {
			t.Errorf("%s: %d %s; want 502 with %q", tc.name, rec.Code, rec.Body, tc.reason)
		}
		if strings.Contains(rec.Body.String(), "voice samples") {
			t.Errorf("%s: the answer holds audio", tc.name)
		}
	}
	logs := s.Logs.String()
	if !strings.Contains(logs, "integrity check") {
		t.Error("the failed playback is not logged")
	}
	for _, leak := range []string{"5550142", "voice samples", "encrypted_cek"} {
		if strings.Contains(logs, leak) {
			t.Errorf("the log holds %q", leak)
		}
	}
}

func TestPlaybackOfEncryptedRecordingWithoutKeySaysWhatToSet(t *testing.T) {
	t.Parallel()
	priv, _ := recordingKey(t)
	s := testserver.New(t, testserver.Options{Twilio: true})
	if err := s.Fake.EncryptRecordings(&priv.PublicKey, pubKeyID); err != nil {
		t.Fatal(err)
	}
	ana, audio := claimedWithMessage(t, s)
	rec := ana.do("GET", audio, nil)
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "set SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE") {
		t.Errorf("encrypted recording without keys: %d %s", rec.Code, rec.Body)
	}
}

// request is a GET from b's session, to send with headers of its own.
func (b *browser) request(method, path string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	req.AddCookie(b.cookie)
	return req
}
