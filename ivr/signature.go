package ivr

import (
	"errors"
	"log/slog"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"
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
			params := make(map[string]string, len(req.PostForm))
			for k, vs := range req.PostForm {
				if len(vs) > 1 {
					return echo.NewHTTPError(http.StatusBadRequest, "parameter "+k+" is repeated; Twilio sends each once")
				}
				params[k] = vs[0]
			}
			url := baseURL + req.URL.RequestURI()
			sig := req.Header.Get("X-Twilio-Signature")
			if sig == "" || !v.Validate(url, params, sig) {
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
			if sid, ok := params["CallSid"]; ok && !callSID.MatchString(sid) {
				return echo.NewHTTPError(http.StatusBadRequest, "CallSid is not a Twilio call SID")
			}
			if sid, ok := params["MessageSid"]; ok && !messageSID.MatchString(sid) {
				return echo.NewHTTPError(http.StatusBadRequest, "MessageSid is not a Twilio message SID")
			}
			if account != "" && params["AccountSid"] != account {
				if onFail != nil {
					onFail()
				}
				return echo.NewHTTPError(http.StatusForbidden, "the request is not for this Twilio account")
			}
			return next(c)
		}
	}, nil
}

// messageSID is the form of the SID of an incoming SMS (SM) or MMS (MM).
var messageSID = regexp.MustCompile(`^(SM|MM)[0-9a-f]{32}$`)

// callSID is the form of every call SID Twilio sends.
var callSID = regexp.MustCompile(`^CA[0-9a-f]{32}$`)
