// Package faketwilio plays the parts of Twilio's REST API that Switchboard
// uses, on an httptest server: calls, messages and recordings, with Basic
// auth checked, every request kept for assertions, and failures on demand.
package faketwilio

import (
	"bytes"
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
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "Recordings/") && strings.HasSuffix(rest, ".mp3"):
		w.Header().Set("Content-Type", "audio/mpeg")
		s.mu.Lock()
		audio := append([]byte(nil), s.audio...)
		s.mu.Unlock()
		// Ranges as a file server (and Twilio's media CDN) answer them.
		http.ServeContent(w, r, "recording.mp3", time.Time{}, bytes.NewReader(audio))
	case r.Method == http.MethodDelete && strings.HasPrefix(rest, "Recordings/"):
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusNotFound, 20404, "not found")
	}
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
