package callback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/phone"
)

// TextSender sends one SMS (twilioapi.Client implements it).
type TextSender interface {
	SendSMS(to, from, body string) error
}

// TextObserver counts missed-call texts by result (metrics implements it):
// "sent", "opted-out", "limit", "failed".
type TextObserver interface {
	MissedText(result string)
}

// MissedText is a text to send to a missed caller, decided by the call
// flow: the number is callable (not withheld, foreign, premium or the
// practice's own) and the wording is in the call's language.
type MissedText struct {
	CallSID   string
	Number    string // E.164
	NumberKey string // NumberKeys.Of(Number)
	From      string // the practice's number that sends it
	Body      string
	Language  string
	// Day is the practice's calendar day of the call ("2026-11-30"): one
	// text per number per day.
	Day string
}

// The results of a missed-call text, as counted and written in history.
const (
	TextSent     = "sent"
	TextOptedOut = "opted-out"
	TextLimit    = "limit"
	TextFailed   = "failed"
)

// keepTextDay is how long a number's "texted today" mark lives: past the
// end of the practice's day wherever the server's clock is.
const keepTextDay = 48 * time.Hour

// Texter sends missed-call texts in the background, one at a time, so that
// no webhook waits on Twilio, and keeps the opt-out list (numbers that
// replied STOP) in Redis by number key, never the number itself. Every
// text sent, skipped or failed is a line in the missed-call request's
// history. Its Run is started and stopped by the server's owner.
type Texter struct {
	queue  *Queue
	send   TextSender
	obs    TextObserver
	log    *slog.Logger
	prefix string
	jobs   chan MissedText
	wg     sync.WaitGroup
}

// NewTexter returns a Texter writing history through q and sending with
// send; obs may be nil, and so may send when Twilio is not set up (the
// opt-out list is still kept, and every text fails with a history line).
func NewTexter(q *Queue, send TextSender, obs TextObserver, log *slog.Logger) (*Texter, error) {
	if q == nil || log == nil {
		return nil, errors.New("missed-call texter: queue and logger are required")
	}
	if obs == nil {
		obs = noTextObserver{}
	}
	return &Texter{queue: q, send: send, obs: obs, log: log, prefix: q.prefix, jobs: make(chan MissedText, 256)}, nil
}

type noTextObserver struct{}

func (noTextObserver) MissedText(string) {}

// Text queues a text; it never waits. With the queue full the text is not
// sent (logged).
func (t *Texter) Text(m MissedText) {
	t.wg.Add(1)
	select {
	case t.jobs <- m:
	default:
		t.wg.Done()
		t.obs.MissedText(TextFailed)
		t.log.Warn("missed-call text not sent: the texter is full", slog.String("call_sid", m.CallSID))
	}
}

// Run sends queued texts until ctx ends, then those still queued.
func (t *Texter) Run(ctx context.Context) {
	for {
		select {
		case m := <-t.jobs:
			t.do(context.WithoutCancel(ctx), m)
		case <-ctx.Done():
			for {
				select {
				case m := <-t.jobs:
					t.do(context.WithoutCancel(ctx), m)
				default:
					return
				}
			}
		}
	}
}

// Wait returns once every text queued so far is handled, or ctx ends.
func (t *Texter) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *Texter) optOutKey() string { return t.prefix + "txt:optout" }

func (t *Texter) dayKey(m MissedText) string {
	return t.prefix + "txt:" + m.NumberKey + ":" + m.Day
}

// SetOptOut records that the number replied with an opt-out keyword (out)
// or an opt-in one: no missed-call text goes to an opted-out number.
func (t *Texter) SetOptOut(ctx context.Context, numberKey string, out bool) error {
	var err error
	if out {
		err = t.queue.rdb.SAdd(ctx, t.optOutKey(), numberKey).Err()
	} else {
		err = t.queue.rdb.SRem(ctx, t.optOutKey(), numberKey).Err()
	}
	if err != nil {
		return fmt.Errorf("record a text opt-out: %w", err)
	}
	return nil
}

// OptedOut reports whether the number behind numberKey opted out of texts.
func (t *Texter) OptedOut(ctx context.Context, numberKey string) (bool, error) {
	ok, err := t.queue.rdb.SIsMember(ctx, t.optOutKey(), numberKey).Result()
	if err != nil {
		return false, fmt.Errorf("look up a text opt-out: %w", err)
	}
	return ok, nil
}

// optedOutError is how a sender says that the recipient replied STOP to
// the sending number (twilioapi.Error: Twilio's error 21610).
type optedOutError interface{ OptedOut() bool }

func (t *Texter) do(ctx context.Context, m MissedText) {
	defer t.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	result, what := t.deliver(ctx, m)
	if result == "" {
		return
	}
	t.obs.MissedText(result)
	id, err := t.queue.rdb.Get(ctx, t.queue.prefix+"mc:"+m.NumberKey).Result()
	if err == nil {
		_, err = t.queue.Log(ctx, id, "switchboard", what)
	}
	if err != nil {
		t.log.Warn("missed-call text not written in the request's history", slog.String("call_sid", m.CallSID),
			slog.String("result", result), slog.String("error", phone.MaskIn(err.Error())))
	}
}

// deliver sends the text unless the number opted out or had one today,
// and says how it went ("" when Redis could not say: nothing is sent).
func (t *Texter) deliver(ctx context.Context, m MissedText) (result, what string) {
	lang := ""
	if m.Language != "" && m.Language != DefaultLanguage {
		lang = " (" + m.Language + ")"
	}
	out, err := t.OptedOut(ctx, m.NumberKey)
	if err != nil {
		t.log.Warn("missed-call text not sent: redis unavailable", slog.String("call_sid", m.CallSID), slog.String("error", err.Error()))
		return "", ""
	}
	if out {
		return TextOptedOut, "missed-call text not sent: the number replied STOP"
	}
	// The day's mark is taken before sending: a second instance, or a
	// second missed call the same day, finds it and sends nothing.
	first, err := t.queue.rdb.SetNX(ctx, t.dayKey(m), m.CallSID, keepTextDay).Result()
	if err != nil {
		t.log.Warn("missed-call text not sent: redis unavailable", slog.String("call_sid", m.CallSID), slog.String("error", err.Error()))
		return "", ""
	}
	if !first {
		return TextLimit, "missed-call text not sent: one was sent today"
	}
	if t.send == nil {
		_ = t.queue.rdb.Del(ctx, t.dayKey(m)).Err()
		return TextFailed, "missed-call text not sent: no Twilio account is set up (TWILIO_ACCOUNT_SID)"
	}
	if err := t.send.SendSMS(m.Number, m.From, m.Body); err != nil {
		var oo optedOutError
		if errors.As(err, &oo) && oo.OptedOut() {
			if err := t.SetOptOut(ctx, m.NumberKey, true); err != nil {
				t.log.Warn("text opt-out not recorded", slog.String("error", err.Error()))
			}
			return TextOptedOut, "missed-call text not sent: the number replied STOP"
		}
		// A later missed call today may try again.
		_ = t.queue.rdb.Del(ctx, t.dayKey(m)).Err()
		msg := phone.MaskIn(err.Error())
		t.log.Warn("missed-call text failed", slog.String("call_sid", m.CallSID), slog.String("error", msg))
		return TextFailed, "missed-call text failed: " + strings.TrimSpace(msg)
	}
	return TextSent, "missed-call text sent" + lang
}
