package ivr_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/ivr"
	"github.com/switchboard-clinic/switchboard/routing"
)

// BenchmarkCachedSteps serves the steps whose pages come from the cache
// (the greeting, and pressing 0, a ring with the caller's number filled in)
// through the flow's handler alone: no storage, no signature check.
func BenchmarkCachedSteps(b *testing.B) {
	line, err := config.LoadFile("")
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC) // open
	f, err := ivr.New(ivr.Deps{Line: func(string) *routing.Line { return line }, BaseURL: "https://phone.example.org",
		Now: func() time.Time { return at }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	form := url.Values{"CallSid": {"CA0123456789abcdef0123456789abcdef"}, "From": {"+12065550142"}, "To": {"+14258692644"}}
	for _, tt := range []struct {
		name, path string
		h          echo.HandlerFunc
		digits     string
	}{
		{"answer", "/twilio/voice", f.Handler(f.Answer), ""},
		{"press 0", "/twilio/menu?n=0", f.Handler(f.MenuChoice), "0"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			e := echo.New()
			e.POST(strings.Split(tt.path, "?")[0], tt.h)
			fm := url.Values{}
			for k, v := range form {
				fm[k] = v
			}
			if tt.digits != "" {
				fm.Set("Digits", tt.digits)
			}
			body := fm.Encode()
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
