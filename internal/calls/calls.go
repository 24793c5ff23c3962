// Package calls keeps what a call did, in Redis only while the call lasts:
// for now, which ring-group members' phones answered it (a personal
// voicemail, or a scheduler who then declined in the whisper), so that a
// ring of the group in the same call rings only the others. Every key
// expires a few hours after its last write, when the call is long over; it
// holds staff numbers and CallSids, never a caller's number or anything a
// caller said.
//
// Every key shares the hash tag {calls}, so that one transaction may touch
// several of them on a single Redis, Sentinel or Cluster.
package calls

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keep is how long a call's keys live after they are written: a Twilio call
// lasts at most four hours, so nothing is needed after that. The marks of a
// call's record renew it only once less than renewBelow is left (track.go).
const Keep = 5 * time.Hour

// Store keeps calls' records in Redis. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
}

// New returns a Store on rdb; keys start with prefix. Each operation is
// bounded by timeout, far below the 15 s Twilio waits for a webhook.
func New(rdb redis.UniversalClient, prefix string, timeout time.Duration) (*Store, error) {
	switch {
	case rdb == nil:
		return nil, errors.New("calls: a Redis client is required")
	case timeout <= 0:
		return nil, errors.New("calls: the timeout must be positive")
	}
	return &Store{rdb: rdb, prefix: prefix + "{calls}:", timeout: timeout}, nil
}

// answeredKey is the set of the members of group whose phones answered the
// call callSID (the caller's call, Twilio's parent leg).
func (s *Store) answeredKey(callSID, group string) string {
	return s.prefix + callSID + ":answered:" + group
}

// Answered records that member's phone answered the call callSID while
// group rang. Recording it again changes nothing.
func (s *Store) Answered(ctx context.Context, callSID, group, member string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	key := s.answeredKey(callSID, group)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, key, member)
		p.Expire(ctx, key, Keep)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record an answered leg of call %s: %w", callSID, err)
	}
	return nil
}

// AnsweredIn lists the members of group whose phones answered the call
// callSID, in no particular order; none when nothing was recorded.
func (s *Store) AnsweredIn(ctx context.Context, callSID, group string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	members, err := s.rdb.SMembers(ctx, s.answeredKey(callSID, group)).Result()
	if err != nil {
		return nil, fmt.Errorf("read the answered legs of call %s: %w", callSID, err)
	}
	return members, nil
}
