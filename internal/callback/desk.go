package callback

import (
	"context"
	"time"
)

// Desk is what the staff front ends (the API and the console) ask of the
// callback queue: read, list and search requests, and work them. The Redis
// Queue is the real one; callbacktest.Queue is an in-memory one for the
// front ends' tests, bound by the same rules (rules.go). It is named for
// the staff's side of the queue so as not to clash with the Queue type.
type Desk interface {
	List(ctx context.Context, status Status, limit int, cursor string) ([]*Request, string, error)
	Get(ctx context.Context, id string) (*Request, error)
	SearchFinished(ctx context.Context, last4 string, day time.Time, loc *time.Location, limit int) ([]*Request, error)
	Stats(ctx context.Context) (Stats, error)

	Claim(ctx context.Context, id string, by Holder) (*Request, error)
	Release(ctx context.Context, id string, by Holder) (*Request, error)
	Complete(ctx context.Context, id string, by Holder, a Attempt) (*Request, error)
	Cancel(ctx context.Context, id string, by Holder, note string) (*Request, error)
	CallPlaced(ctx context.Context, id string, by Holder, note string) (*Request, error)
	AddNote(ctx context.Context, id, who, note string) (*Request, error)
	Log(ctx context.Context, id, who, what string) (*Request, error)
}

var _ Desk = (*Queue)(nil)
