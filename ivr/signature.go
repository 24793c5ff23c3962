package ivr

import (
	"errors"
	"log/slog"
	"net/http"

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
func VerifySignature(v Validator, baseURL string, log *slog.Logger, onFail func()) (echo.MiddlewareFunc, error) {
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
				params[k] = vs[0]
			}
			url := baseURL + req.URL.RequestURI()
			sig := req.Header.Get("X-Twilio-Signature")
			if sig == "" || !v.Validate(url, params, sig) {
				if onFail != nil {
					onFail()
				}
				log.Warn("twilio signature check failed: if this is Twilio, SWITCHBOARD_PUBLIC_URL must be the base of the URL configured at Twilio",
					slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
					slog.String("checked_url", url),
					slog.Bool("signature_present", sig != ""))
				return echo.NewHTTPError(http.StatusForbidden, "invalid Twilio signature")
			}
			return next(c)
		}
	}, nil
}
