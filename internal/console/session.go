package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Session is a signed-in staff member's browser session.
type Session struct {
	ID   string // the cookie value; only its hash is stored
	Name string
	// Generation is the account's generation at sign-in; a session whose
	// account was removed, re-created or given a new password is over.
	Generation string
	CSRF       string // the token every form of this session must carry
	Created    time.Time
}

// Sessions keeps console sessions in Redis, so any instance can serve any
// browser. (scs's Redis store needs the redigo client; Switchboard talks to
// Redis through go-redis only, and a session here is one hash with a TTL.)
type Sessions struct {
	rdb      redis.UniversalClient
	prefix   string
	idle     time.Duration
	absolute time.Duration
	now      func() time.Time
}

// NewSessions returns a store whose sessions end after idle without use or
// absolute after sign-in, whichever comes first.
func NewSessions(rdb redis.UniversalClient, prefix string, idle, absolute time.Duration, now func() time.Time) (*Sessions, error) {
	if rdb == nil {
		return nil, errors.New("sessions: redis client is required")
	}
	if prefix == "" {
		prefix = "switchboard:"
	}
	if now == nil {
		now = time.Now
	}
	return &Sessions{rdb: rdb, prefix: prefix + "{staff}:sess:", idle: idle, absolute: absolute, now: now}, nil
}

func (s *Sessions) key(id string) string {
	sum := sha256.Sum256([]byte(id))
	return s.prefix + hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create starts a session for the account name of the given generation.
func (s *Sessions) Create(ctx context.Context, name, generation string) (Session, error) {
	sess := Session{ID: randomToken(), Name: name, Generation: generation, CSRF: randomToken(), Created: s.now()}
	pipe := s.rdb.TxPipeline()
	k := s.key(sess.ID)
	pipe.HSet(ctx, k, "name", name, "gen", generation, "csrf", sess.CSRF, "created", strconv.FormatInt(sess.Created.UnixMilli(), 10))
	pipe.Expire(ctx, k, s.idle)
	if _, err := pipe.Exec(ctx); err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return sess, nil
}

// ErrNoSession means the cookie names no live session.
var ErrNoSession = errors.New("no such session")

// Get returns a live session and extends its idle time.
func (s *Sessions) Get(ctx context.Context, id string) (Session, error) {
	if id == "" {
		return Session{}, ErrNoSession
	}
	k := s.key(id)
	h, err := s.rdb.HGetAll(ctx, k).Result()
	if err != nil {
		return Session{}, fmt.Errorf("get session: %w", err)
	}
	if len(h) == 0 {
		return Session{}, ErrNoSession
	}
	ms, _ := strconv.ParseInt(h["created"], 10, 64)
	sess := Session{ID: id, Name: h["name"], Generation: h["gen"], CSRF: h["csrf"], Created: time.UnixMilli(ms)}
	if s.now().Sub(sess.Created) > s.absolute {
		_ = s.rdb.Del(ctx, k).Err()
		return Session{}, ErrNoSession
	}
	if err := s.rdb.Expire(ctx, k, s.idle).Err(); err != nil {
		return Session{}, fmt.Errorf("extend session: %w", err)
	}
	return sess, nil
}

// SetFlash keeps a one-time message for the session's next page.
func (s *Sessions) SetFlash(ctx context.Context, id, msg string) error {
	return s.rdb.HSet(ctx, s.key(id), "flash", msg).Err()
}

// TakeFlash returns and clears the session's message.
func (s *Sessions) TakeFlash(ctx context.Context, id string) string {
	k := s.key(id)
	msg, err := s.rdb.HGet(ctx, k, "flash").Result()
	if err != nil || msg == "" {
		return ""
	}
	_ = s.rdb.HDel(ctx, k, "flash").Err()
	return msg
}

// Delete ends a session.
func (s *Sessions) Delete(ctx context.Context, id string) error {
	return s.rdb.Del(ctx, s.key(id)).Err()
}
