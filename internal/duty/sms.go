package duty

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"

	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/routing"
)

// PathSMS takes the texts schedulers send to the practice's number.
const PathSMS = "/twilio/sms"

// Names finds the staff account whose phone is a number (staff.Store
// implements it through a small adapter in the server).
type Names interface {
	NameOfPhone(ctx context.Context, e164 string) (string, bool, error)
}

// OptOuts records numbers that replied an opt-out keyword (out) or an
// opt-in one (callback.Texter, through a number-keying adapter).
type OptOuts interface {
	SetOptOut(ctx context.Context, e164 string, out bool) error
}

// The keywords Twilio handles itself on long-code numbers: "By default,
// Twilio handles standard English-language reply messages—STOP,
// UNSUBSCRIBE, END, QUIT, STOPALL, REVOKE, OPTOUT, and CANCEL"
// (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out), and
// "Recipients can ... resume receiving messages with the START, YES, or
// UNSTOP commands"; "Only single-word messages will trigger the block", and
// the message is still passed on to the webhook (Twilio support, "Twilio
// support for opt-out keywords (SMS STOP filtering)",
// https://help.twilio.com/articles/223134027).
var (
	optOutWords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
	optInWords  = []string{"START", "YES", "UNSTOP"}
)

// OptKeyword reads a text as Twilio reads its keywords: one word, any case.
// keyword is false for any other text.
func OptKeyword(body string) (out, keyword bool) {
	w := strings.ToUpper(strings.TrimSpace(body))
	switch {
	case slices.Contains(optOutWords, w):
		return true, true
	case slices.Contains(optInWords, w):
		return false, true
	}
	return false, false
}

// SMS answers Twilio's incoming-message webhook: a ring-group member who
// texts ON or OFF from their own phone is put on duty or away, and told so
// in the reply (TwiML <Message>, twilio.com/docs/messaging/twiml; the
// webhook's From and Body: twilio.com/docs/messaging/guides/webhook-request).
// A text from any other number changes nothing and gets a polite refusal.
// The signature is checked before, as for voice webhooks.
//
// Twilio's opt-out and opt-in keywords (STOP, START, ...) from any number
// are written to OptOuts, so no missed-call text goes to a number that
// replied STOP, and get no reply of ours: Twilio answers them itself.
type SMS struct {
	Roster  *Roster
	Names   Names
	OptOuts OptOuts // nil: keywords are not recorded
	Line    func() *routing.Line
	Now     func() time.Time
	Log     *slog.Logger
	// Watch, when set, is told of every change, so that the admins hear at
	// once when the last member of a group texts OFF.
	Watch *Watch
}

// Handle answers one text.
func (s *SMS) Handle(c echo.Context) error {
	req := c.Request()
	if err := req.ParseForm(); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "malformed form body")
	}
	from := strings.TrimSpace(req.PostForm.Get("From"))
	if from == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "missing From: this URL takes Twilio incoming-message webhooks")
	}
	ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
	defer cancel()
	// An exact replay (the same MessageSid) changes nothing and gets no
	// reply; when Redis cannot say, the text goes on (its change would
	// fail to save anyway).
	if sid := req.PostForm.Get("MessageSid"); sid != "" {
		if first, err := s.Roster.FirstDelivery(ctx, sid); err == nil && !first {
			s.Log.Info("duty text delivered again; ignored", slog.String("message_sid", sid))
			return noReply(c)
		}
	}
	if out, ok := OptKeyword(req.PostForm.Get("Body")); ok {
		if s.OptOuts != nil {
			if err := s.OptOuts.SetOptOut(ctx, from, out); err != nil {
				s.Log.Error("text opt-out or opt-in not recorded", slog.Bool("out", out), slog.String("error", err.Error()))
			}
		}
		return noReply(c)
	}
	line := s.Line()
	groups := GroupsOf(line, from)
	if len(groups) == 0 {
		// Maybe a missed caller answering the missed-call text, on a phone
		// others may read: the reply names neither the practice nor what it
		// does, and promises nothing (nobody reads these texts).
		s.Log.Info("text from a number that is no ring-group member; nothing changed")
		return reply(c, "Sorry, texts to this number are not read. Please call "+phone.National(line.MainNumber)+".")
	}
	on, ok := ParseText(req.PostForm.Get("Body"))
	list := strings.Join(groups, " and ")
	if !ok {
		states, err := s.Roster.States(ctx)
		now := "taking calls"
		if err == nil && !OnDuty(line.Groups[groups[0]], from, states, s.Now()) {
			now = "away"
		}
		return reply(c, "Text ON to take "+list+" calls on this phone, or OFF to stop. You are "+now+" now.")
	}
	who := phone.Mask(from) // stored and shown; never the number in full
	if s.Names != nil {
		if name, found, err := s.Names.NameOfPhone(ctx, from); err == nil && found {
			who = name
		}
	}
	if err := s.Roster.Set(ctx, Switch{Member: from, On: on, By: who, How: "sms", Until: SwitchUntil(line, from, s.Now())}); err != nil {
		s.Log.Error("duty change by text not saved", slog.String("error", err.Error()))
		return reply(c, "Sorry, your status could not be changed just now. Please try again in a minute, or use the staff console.")
	}
	if s.Watch != nil {
		if _, err := s.Watch.Check(ctx); err != nil {
			s.Log.Warn("duty check after a text failed; the next check tries again", slog.String("error", err.Error()))
		}
	}
	if on {
		return reply(c, "You are taking "+list+" calls: they will ring this phone. Text OFF to stop.")
	}
	return reply(c, "You are away: "+list+" calls will not ring this phone. Text ON to take calls again.")
}

func reply(c echo.Context, text string) error {
	doc, err := twiml.Messages([]twiml.Element{twiml.MessagingMessage{Body: text}})
	if err != nil {
		return errors.New("render the SMS reply")
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", []byte(doc))
}

// noReply answers a text with an empty TwiML document: nothing is sent.
func noReply(c echo.Context) error {
	doc, err := twiml.Messages(nil)
	if err != nil {
		return errors.New("render the empty SMS reply")
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", []byte(doc))
}
