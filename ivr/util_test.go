package ivr_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

func signature(u string, f url.Values) string { return simulate.Sign(testToken, u, f) }

func newPost(path string, form url.Values) *http.Request {
	return newRawPost(path, form.Encode())
}

func newRawPost(path, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func newGet(path string) *http.Request { return httptest.NewRequest(http.MethodGet, path, nil) }

func serve(h *harness, req *http.Request) *httptest.ResponseRecorder {
	return h.Do(req)
}

func twimldocParse(b []byte) (*simulate.Node, error) { return simulate.ParseTwiML(b) }

func mustGet(path string) *http.Request { return newGet(path) }
