// Package faketwilio plays the parts of Twilio's REST API that Switchboard
// uses, on an httptest server: calls, messages and recordings (in clear, or
// encrypted as Voice Recording Encryption does), with Basic auth checked,
// every request kept for assertions, and failures on demand.
package faketwilio

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Form   url.Values
}

// Server is a fake Twilio.
type Server struct {
	SID, Token string
	srv        *httptest.Server

	mu       sync.Mutex
	requests []Request
	failCode int           // Twilio error code to answer with, 0 for success
	delay    time.Duration // how long to wait before answering
	audio    []byte
	// enc is set while recordings are encrypted (EncryptRecordings).
	enc *encrypted
}

// encrypted is the fake's recording as Twilio's Voice Recording
// Encryption stores it: the audio sealed with AES-256-GCM under a content
// key, and the details that unwrap it.
type encrypted struct {
	media   []byte
	details map[string]string
}

// Start runs a fake Twilio for account sid with auth token, stopped at cleanup.
func Start(tb testing.TB, sid, token string) *Server {
	tb.Helper()
	s := &Server{SID: sid, Token: token, audio: []byte("ID3fake-mp3-audio")}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	return s
}

// HTTPClient returns a client whose requests, to any host, reach the fake.
func (s *Server) HTTPClient(timeout time.Duration) *http.Client {
	target, _ := url.Parse(s.srv.URL)
	return &http.Client{Timeout: timeout, Transport: rewrite{target: target, next: http.DefaultTransport}}
}

type rewrite struct {
	target *url.URL
	next   http.RoundTripper
}

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme = r.target.Scheme
	out.URL.Host = r.target.Host
	out.Host = r.target.Host
	return r.next.RoundTrip(out)
}

// Fail makes every later request answer with a Twilio error code (0 to stop).
func (s *Server) Fail(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCode = code
}

// Delay makes every later request wait d before answering.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns what the fake received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay, failCode := s.delay, s.failCode
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.SID || pass != s.Token {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	_ = r.ParseForm()
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Form: r.PostForm})
	s.mu.Unlock()
	if failCode != 0 {
		writeError(w, http.StatusBadRequest, failCode, fmt.Sprintf("fake failure %d", failCode))
		return
	}
	prefix := "/2010-04-01/Accounts/" + s.SID + "/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		writeError(w, http.StatusNotFound, 20404, "not found")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case r.Method == http.MethodPost && rest == "Calls.json":
		writeJSON(w, http.StatusCreated, map[string]any{"sid": "CAfake" + fmt.Sprint(len(s.Requests())), "status": "queued", "to": r.PostForm.Get("To"), "from": r.PostForm.Get("From")})
	case r.Method == http.MethodPost && rest == "Messages.json":
		writeJSON(w, http.StatusCreated, map[string]any{"sid": "SMfake", "status": "queued"})
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "Recordings/") && strings.HasSuffix(rest, ".json"):
		s.recordingJSON(w, strings.TrimSuffix(strings.TrimPrefix(rest, "Recordings/"), ".json"))
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "Recordings/") && (strings.HasSuffix(rest, ".mp3") || strings.HasSuffix(rest, ".wav")):
		s.mu.Lock()
		audio, enc := append([]byte(nil), s.audio...), s.enc
		s.mu.Unlock()
		mp3 := strings.HasSuffix(rest, ".mp3")
		switch {
		case enc != nil && mp3:
			writeError(w, http.StatusBadRequest, 16109, "Recording cannot be retrieved in .mp3 format when call recording encryption feature is enabled")
			return
		case enc != nil:
			audio = append([]byte(nil), enc.media...)
		}
		w.Header().Set("Content-Type", "audio/x-wav")
		if mp3 {
			w.Header().Set("Content-Type", "audio/mpeg")
		}
		// Ranges as a file server (and Twilio's media CDN) answer them.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(audio))
	case r.Method == http.MethodDelete && strings.HasPrefix(rest, "Recordings/"):
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusNotFound, 20404, "not found")
	}
}

// recordingJSON answers a Recording resource: encryption_details is null
// unless recordings are encrypted.
func (s *Server) recordingJSON(w http.ResponseWriter, sid string) {
	s.mu.Lock()
	enc := s.enc
	s.mu.Unlock()
	body := map[string]any{"sid": sid, "account_sid": s.SID, "status": "completed", "duration": "4",
		"uri": "/2010-04-01/Accounts/" + s.SID + "/Recordings/" + sid + ".json", "encryption_details": nil}
	if enc != nil {
		body["encryption_details"] = enc.details
	}
	writeJSON(w, http.StatusOK, body)
}

// EncryptRecordings makes the fake keep its recording as Twilio does with
// Voice Recording Encryption on
// (https://www.twilio.com/docs/voice/tutorials/voice-recording-encryption):
// a random content key encrypts the audio with AES-256-GCM (a 12-byte IV,
// the 16-byte tag after the ciphertext), and is wrapped with pub using
// RSA-OAEP with SHA-256 and MGF1-SHA-256. The Recording resource then
// carries encryption_details (type rsa-aes, public_key_sid, encrypted_cek,
// iv, in standard base64), and the media is served as .wav only (.mp3
// answers error 16109).
func (s *Server) EncryptRecordings(pub *rsa.PublicKey, publicKeySID string) error {
	cek := make([]byte, 32)
	iv := make([]byte, 12)
	_, _ = rand.Read(cek)
	_, _ = rand.Read(iv)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	if err != nil {
		return fmt.Errorf("fake twilio: wrap content key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enc = &encrypted{media: gcm.Seal(nil, iv, s.audio, nil), details: map[string]string{
		"type": "rsa-aes", "public_key_sid": publicKeySID,
		"encrypted_cek": base64.StdEncoding.EncodeToString(wrapped), "iv": base64.StdEncoding.EncodeToString(iv),
	}}
	return nil
}

// TamperRecording flips one bit in the middle of the encrypted recording
// the fake serves (after EncryptRecordings), as a damaged or altered file.
func (s *Server) TamperRecording() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc != nil && len(s.enc.media) > 0 {
		s.enc.media[len(s.enc.media)/2] ^= 0x01
	}
}

// SetAudio sets what the fake serves as every recording (before
// EncryptRecordings, which encrypts it).
func (s *Server) SetAudio(audio []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audio = append([]byte(nil), audio...)
}

// Audio is what the fake serves as every recording.
func (s *Server) Audio() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.audio...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg, "status": status, "more_info": "https://www.twilio.com/docs/errors/" + fmt.Sprint(code)})
}
