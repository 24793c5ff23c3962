package ivr

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/client"
)

// Validator checks a Twilio request signature; twilio-go's
// client.RequestValidator implements it.
type Validator interface {
	Validate(url string, params map[string]string, signature string) bool
}

// VerifySignature rejects with 403 every request whose X-Twilio-Signature
// does not match the URL Twilio called and the POST body. The URL is built
// from the configured public base URL and the request URI, never from Host
// or X-Forwarded-* headers, which differ behind proxies and tunnels. A nil
// validator means local mode: requests pass unchecked.
// onFail, when not nil, is called for each refused request (metrics).
//
// Twilio's signature joins each parameter's name and value with nothing
// between them, so one captured signature also validates a body split
// differently ("CallSid=<sid>CallStatusin-progress" with no CallStatus).
// With signatures on, the formats Twilio guarantees are checked too: no
// repeated parameter names, a CallSid of "CA" and 32 hex digits, and, when
// account is set (TWILIO_ACCOUNT_SID), an AccountSid equal to it.
func VerifySignature(v Validator, baseURL, account string, log *slog.Logger, onFail func()) (echo.MiddlewareFunc, error) {
	if baseURL == "" || log == nil {
		return nil, errors.New("verify signature: base URL and logger are required")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if v == nil {
				return next(c)
			}
			req := c.Request()
			if err := req.ParseForm(); err != nil {
				return formError(err)
			}
			form := req.PostForm
			for k, vs := range form {
				if len(vs) > 1 {
					return echo.NewHTTPError(http.StatusBadRequest, "parameter "+k+" is repeated; Twilio sends each once")
				}
			}
			sig := req.Header.Get("X-Twilio-Signature")
			if sig == "" || !validate(v, baseURL+req.URL.RequestURI(), form, sig) {
				if onFail != nil {
					onFail()
				}
				// The path only: the query string is the sender's, and may be
				// anything.
				log.Warn("twilio signature check failed: if this is Twilio, SWITCHBOARD_PUBLIC_URL must be the base of the URL configured at Twilio",
					slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
					slog.String("checked_url", baseURL+req.URL.Path),
					slog.Bool("signature_present", sig != ""))
				return echo.NewHTTPError(http.StatusForbidden, "invalid Twilio signature")
			}
			if sid, ok := form["CallSid"]; ok && !isSID(sid[0], "CA") {
				return echo.NewHTTPError(http.StatusBadRequest, "CallSid is not a Twilio call SID")
			}
			if sid, ok := form["MessageSid"]; ok && !isSID(sid[0], "SM") && !isSID(sid[0], "MM") {
				return echo.NewHTTPError(http.StatusBadRequest, "MessageSid is not a Twilio message SID")
			}
			if account != "" && form.Get("AccountSid") != account {
				if onFail != nil {
					onFail()
				}
				return echo.NewHTTPError(http.StatusForbidden, "the request is not for this Twilio account")
			}
			return next(c)
		}
	}, nil
}

// isSID reports whether s is a Twilio SID of the given two-letter prefix:
// the prefix and 32 lower-case hex digits (an incoming SMS is SM, an MMS
// MM, a call CA).
func isSID(s, prefix string) bool {
	if len(s) != 34 || s[:2] != prefix {
		return false
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// validate checks a form whose parameters each appear once.
func validate(v Validator, fullURL string, form url.Values, sig string) bool {
	if f, ok := v.(*SignatureValidator); ok {
		return f.ValidateForm(fullURL, form, sig)
	}
	params := make(map[string]string, len(form))
	for k, vs := range form {
		params[k] = vs[0]
	}
	return v.Validate(fullURL, params, sig)
}

// SignatureValidator is twilio-go's RequestValidator with a fast path for
// the signatures Twilio sends. twilio-go accepts a signature made for the
// URL with the default port added or with its port removed; one of those
// two is always the URL itself, unchanged (a URL without a port is its own
// port-removed form, one with a port its own port-added form). The fast
// path computes that one signature with a reused HMAC and buffers; only
// when it does not match does twilio-go's validator decide (the other
// form, or a refusal). The answer is always twilio-go's: the fast path
// accepts only what twilio-go accepts.
type SignatureValidator struct {
	twilio client.RequestValidator
	macs   sync.Pool // *signer
}

// signer is an HMAC-SHA1 keyed with the auth token, and its buffers.
type signer struct {
	mac  hash.Hash
	msg  []byte
	keys []string
	sum  [sha1.Size]byte
	b64  [28]byte // base64 of 20 bytes
}

// NewSignatureValidator returns a validator for webhooks signed with
// authToken.
func NewSignatureValidator(authToken string) *SignatureValidator {
	v := &SignatureValidator{twilio: client.NewRequestValidator(authToken)}
	key := []byte(authToken)
	v.macs.New = func() any { return &signer{mac: hmac.New(sha1.New, key)} }
	return v
}

// Validate reports whether signature is Twilio's for fullURL and params,
// as twilio-go's RequestValidator.Validate does.
func (v *SignatureValidator) Validate(fullURL string, params map[string]string, signature string) bool {
	return fastMatch(v, fullURL, params, func(s string) string { return s }, signature) ||
		v.twilio.Validate(fullURL, params, signature)
}

// ValidateForm is Validate for a form whose parameters each appear once
// (the first value of each is signed).
func (v *SignatureValidator) ValidateForm(fullURL string, form url.Values, signature string) bool {
	if fastMatch(v, fullURL, form, func(vs []string) string { return vs[0] }, signature) {
		return true
	}
	params := make(map[string]string, len(form))
	for k, vs := range form {
		params[k] = vs[0]
	}
	return v.twilio.Validate(fullURL, params, signature)
}

// fastMatch checks signature against the one string Twilio signs for
// fullURL as it is: the URL, then each parameter's name and value (value
// picks it from m's values) in the order of the names.
func fastMatch[V any](v *SignatureValidator, fullURL string, m map[string]V, value func(V) string, signature string) bool {
	s := v.macs.Get().(*signer)
	defer v.macs.Put(s)
	s.keys = s.keys[:0]
	for k := range m {
		s.keys = append(s.keys, k)
	}
	slices.Sort(s.keys)
	s.msg = append(s.msg[:0], fullURL...)
	for _, k := range s.keys {
		s.msg = append(append(s.msg, k...), value(m[k])...)
	}
	return s.matches(signature)
}

// matches reports whether signature is the base64 HMAC of s.msg.
func (s *signer) matches(signature string) bool {
	s.mac.Reset()
	s.mac.Write(s.msg)
	base64.StdEncoding.Encode(s.b64[:], s.mac.Sum(s.sum[:0]))
	return subtle.ConstantTimeCompare(s.b64[:], []byte(signature)) == 1
}
