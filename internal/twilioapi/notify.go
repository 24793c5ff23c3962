package twilioapi

import (
	"errors"
	"log/slog"
)

// Notifier tells staff by SMS that a new callback request is waiting. The
// message names the practice only: never the caller's number or anything
// they said.
type Notifier struct {
	client *Client
	from   string
	to     []string
	// body is the usual message, urgentBody the one for a request to work
	// before every other (a caller who may be in crisis).
	body, urgentBody string
	log              *slog.Logger
}

// NewNotifier returns a Notifier that texts to from the practice's number.
func NewNotifier(c *Client, from string, to []string, practice string, log *slog.Logger) (*Notifier, error) {
	if c == nil || from == "" || log == nil {
		return nil, errors.New("notifier: client, from number and logger are required")
	}
	return &Notifier{client: c, from: from, to: to, log: log,
		body:       practice + ": a new callback request is waiting in the staff console.",
		urgentBody: practice + ": URGENT callback request: the caller may be in crisis. Open the staff console now."}, nil
}

// NewRequest sends the notification to every number, saying so when the
// request is urgent; failures are logged.
func (n *Notifier) NewRequest(urgent bool) {
	body := n.body
	if urgent {
		body = n.urgentBody
	}
	for _, to := range n.to {
		if err := n.client.SendSMS(to, n.from, body); err != nil {
			n.log.Warn("new-request SMS not sent", slog.String("error", err.Error()))
		}
	}
}
