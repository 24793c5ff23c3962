package ivr

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Sealer protects values that must travel in TwiML URLs but are nobody
// else's business, such as a callback number typed by the caller: the URL
// carries them encrypted and authenticated (AES-GCM), so they do not appear
// in Twilio's request logs, proxies' logs or ours, and cannot be altered.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives a sealing key from secret. Every instance of a line
// must use the same secret (the Twilio auth token serves) so that any
// instance can open what another sealed.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) == 0 {
		return nil, errors.New("sealer: secret is required")
	}
	key := sha256.Sum256(append([]byte("switchboard call state v1\x00"), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// RandomSecret returns a fresh secret for a single local instance.
func RandomSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// Seal encrypts value into a URL-safe string.
func (s *Sealer) Seal(value string) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, []byte(value), nil)
	return base64.RawURLEncoding.EncodeToString(out)
}

// Open returns the value sealed in token, or an error when it was not
// sealed with the same secret or was altered.
func (s *Sealer) Open(token string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", errors.New("open sealed state: malformed")
	}
	plain, err := s.aead.Open(nil, raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():], nil)
	if err != nil {
		return "", errors.New("open sealed state: not authentic")
	}
	return string(plain), nil
}
