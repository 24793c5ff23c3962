package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
	"github.com/twilio/twilio-go/client"
)

// BenchmarkWebhook measures one signed main-menu webhook through the whole
// router; BenchmarkBaselineValidate is the minimum any server pays for the
// same request: parse the form and validate the signature.
func BenchmarkWebhook(b *testing.B) {
	benchWebhook(b, "/twilio/voice", url.Values{"CallSid": {simulate.CallSID("bench")}, "From": {"+12065550142"}, "To": {"+14258692644"}})
}

// BenchmarkPressZero measures the step the practice sends every caller to:
// press 0 on the main menu, which rings the screened scheduling group.
func BenchmarkPressZero(b *testing.B) {
	benchWebhook(b, "/twilio/menu?n=0", url.Values{"CallSid": {simulate.CallSID("bench")}, "From": {"+12065550142"}, "To": {"+14258692644"}, "Digits": {"0"}})
}

func benchWebhook(b *testing.B, path string, form url.Values) {
	s := testserver.New(b, testserver.Options{})
	body := form.Encode()
	sig := simulate.Sign(testserver.Token, testserver.Base+path, form)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		rec := httptest.NewRecorder()
		s.HTTP.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkBaselineValidate(b *testing.B) {
	v := client.NewRequestValidator(testserver.Token)
	form := url.Values{"CallSid": {simulate.CallSID("bench")}, "From": {"+12065550142"}, "To": {"+14258692644"}}
	body := form.Encode()
	sig := simulate.Sign(testserver.Token, testserver.Base+"/twilio/voice", form)
	doc := []byte(strings.Repeat("x", 1500))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/twilio/voice", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		rec := httptest.NewRecorder()
		_ = req.ParseForm()
		params := map[string]string{}
		for k, vs := range req.PostForm {
			params[k] = vs[0]
		}
		if !v.Validate(testserver.Base+req.URL.RequestURI(), params, sig) {
			b.Fatal("invalid")
		}
		rec.Header().Set("Content-Type", "text/xml")
		rec.Write(doc)
	}
}

// BenchmarkCapture measures a callback capture (a new call each time) into
// a real redis-server through the whole router.
func BenchmarkCapture(b *testing.B) {
	s := testserver.New(b, testserver.Options{})
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		form := url.Values{"CallSid": {simulate.CallSID("cap " + strconv.Itoa(i))}, "From": {"+12065550142"}, "To": {"+14258692644"}, "Digits": {"1"}}
		path := "/twilio/callback/number?n=0&r=menu"
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", simulate.Sign(testserver.Token, testserver.Base+path, form))
		rec := httptest.NewRecorder()
		s.HTTP.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "saved") {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
