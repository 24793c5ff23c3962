package ivr

import "github.com/labstack/echo/v4"

// Routes registers every webhook of the call flow on e, each behind mw
// (the server's body limit and Twilio's signature check): the one table of
// the flow's URLs, used by the server and by the flow's own tests.
func (f *Flow) Routes(e *echo.Echo, mw ...echo.MiddlewareFunc) {
	e.POST(PathVoice, f.Handler(f.Answer), mw...)
	e.POST(PathStatus, f.Status, mw...)
	e.POST(PathMenu, f.Handler(f.MenuChoice), mw...)
	e.POST(PathExtension, f.Handler(f.ExtensionChoice), mw...)
	e.POST(PathInfo, f.Handler(f.Info), mw...)
	e.POST(PathInfoChoice, f.Handler(f.InfoChoice), mw...)
	e.POST(PathRingResult, f.Handler(f.RingResult), mw...)
	e.POST(PathScreen, f.Handler(f.Screen), mw...)
	e.POST(PathScreenAnswer, f.Handler(f.ScreenAnswer), mw...)
	e.POST(PathCrisis, f.Handler(f.CrisisChoice), mw...)
	e.POST(PathLifeline, f.Handler(f.LifelineResult), mw...)
	e.POST(PathCallback, f.Handler(f.CallbackEntry()), mw...)
	e.POST(PathCallbackNumber, f.Handler(f.CallbackNumber()), mw...)
	e.POST(PathCallbackKeyed, f.Handler(f.CallbackKeyed()), mw...)
	e.POST(PathCallbackConfirm, f.Handler(f.CallbackConfirm()), mw...)
	e.POST(PathCallbackConsent, f.Handler(f.CallbackConsent()), mw...)
	e.POST(PathCallbackRecorded, f.Handler(f.CallbackRecorded()), mw...)
	e.POST(PathCallbackDone, f.Handler(f.CallbackDone()), mw...)
	e.POST(PathCallbackTranscript, f.Transcription, mw...)
}
