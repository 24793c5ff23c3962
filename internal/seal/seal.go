// Package seal encrypts client data at rest: callback numbers, caller
// numbers, transcriptions and notes are sealed with AES-256-GCM under the
// data key before they reach Redis or a spool file, and opened when read.
// A Sealer holds the current key, which seals, and older keys, which only
// open, so a key can be rotated while sealed values are re-sealed.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a data key in bytes (AES-256).
const KeySize = 32

// prefix starts every sealed value: "v1:<key id>:<base64(nonce|ciphertext)>".
// A value without it was stored before sealing and is read as it is.
const prefix = "v1:"

// ErrUnknownKey means a value was sealed with a key the Sealer does not hold
// (an old key missing from SWITCHBOARD_DATA_OLD_KEYS).
var ErrUnknownKey = errors.New("sealed with a key this instance does not hold")

// ErrCorrupt means a sealed value is malformed or was altered or moved (its
// authentication failed).
var ErrCorrupt = errors.New("sealed value is corrupt or belongs elsewhere")

type key struct {
	id   string
	aead cipher.AEAD
}

// Sealer seals with its current key and opens with any of its keys. It is
// safe for concurrent use.
type Sealer struct {
	current *key
	byID    map[string]*key
	index   []byte // HMAC key for Index, derived from the current key
}

// NewKey returns a fresh random data key, base64 encoded, as
// SWITCHBOARD_DATA_KEY takes it.
func NewKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}

// ParseKey decodes a base64 data key and checks its length.
func ParseKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != KeySize {
		return nil, fmt.Errorf("want %d random bytes in standard base64 (make one with 'switchboard keys new')", KeySize)
	}
	return b, nil
}

// KeyID is the identifier a key's sealed values carry: the first 8 hex
// digits of its SHA-256, so values sealed by different keys tell apart.
func KeyID(k []byte) string {
	sum := sha256.Sum256(k)
	return hex.EncodeToString(sum[:4])
}

// New returns a Sealer that seals with current and opens with current and
// each of old.
func New(current []byte, old ...[]byte) (*Sealer, error) {
	s := &Sealer{byID: map[string]*key{}}
	for i, raw := range append([][]byte{current}, old...) {
		if len(raw) != KeySize {
			return nil, fmt.Errorf("seal: key %d is %d bytes, want %d", i, len(raw), KeySize)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		k := &key{id: KeyID(raw), aead: aead}
		if i == 0 {
			s.current = k
		}
		if _, dup := s.byID[k.id]; !dup {
			s.byID[k.id] = k
		}
	}
	idx, err := hkdf.Key(sha256.New, current, nil, "switchboard index v1", sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("seal: derive index key: %w", err)
	}
	s.index = idx
	return s, nil
}

// Random returns a Sealer with a key of its own that nothing else holds:
// for the embedded demo store, whose data dies with the process anyway.
func Random() *Sealer {
	k, _ := ParseKey(NewKey())
	s, _ := New(k)
	return s
}

// KeyID is the identifier of the current key.
func (s *Sealer) KeyID() string { return s.current.id }

// Seal encrypts plain under the current key, bound to aad (what the value
// belongs to: a value moved to another request does not open). An empty
// value stays empty: emptiness is what the queue's scripts test.
func (s *Sealer) Seal(plain, aad string) string {
	if plain == "" {
		return ""
	}
	k := s.current
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	_, _ = rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, []byte(plain), []byte(aad))
	return prefix + k.id + ":" + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a value Seal made with aad, with whichever key sealed it. A
// value that is not sealed (stored before sealing) is returned as it is.
func (s *Sealer) Open(v, aad string) (string, error) {
	rest, ok := strings.CutPrefix(v, prefix)
	if !ok {
		return v, nil
	}
	id, enc, ok := strings.Cut(rest, ":")
	if !ok {
		return "", ErrCorrupt
	}
	k := s.byID[id]
	if k == nil {
		return "", fmt.Errorf("key %s: %w", id, ErrUnknownKey)
	}
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return "", ErrCorrupt
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(aad))
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}

// Current reports whether v needs no re-sealing: empty, or sealed with the
// current key.
func (s *Sealer) Current(v string) bool {
	return v == "" || strings.HasPrefix(v, s.CurrentPrefix())
}

// CurrentPrefix is how every value sealed with the current key starts.
func (s *Sealer) CurrentPrefix() string { return prefix + s.current.id + ":" }

// Sealed reports whether v is a sealed value (with any key).
func Sealed(v string) bool { return strings.HasPrefix(v, prefix) }

// Index is a keyed hash of v (HMAC-SHA256 under a key derived from the data
// key with HKDF), in hex: what must be matched without opening anything,
// such as the same number calling again, is stored this way. It changes
// when the key rotates.
func (s *Sealer) Index(v string) string {
	m := hmac.New(sha256.New, s.index)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}
