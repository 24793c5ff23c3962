package seal

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// RecordingKeys are the practice's RSA private keys for voice messages that
// Twilio encrypts with the matching public key (Voice Recording
// Encryption): they unwrap each recording's content key. Several keys may
// be held, so that recordings made before a key change still play.
//
// Twilio wraps each recording's random content key "with the customer's
// public key using the RSAES-OAEP-SHA256-MGF1 cipher" (SHA-256 for the
// OAEP hash and for MGF1, as Twilio's own Python sample passes
// padding.OAEP(mgf=MGF1(SHA256()), algorithm=SHA256())):
// https://www.twilio.com/docs/voice/tutorials/voice-recording-encryption
// and https://github.com/TwilioDevEd/encrypted-media-recordings
// (voice-recordings-decryptor/python/RecordingsDecryptor.py).
type RecordingKeys struct {
	keys []*rsa.PrivateKey
}

// ErrRecordingKey means no key held unwraps a recording's content key: it
// was encrypted for a public key whose private key Switchboard does not
// hold, or the wrapped key was altered.
var ErrRecordingKey = errors.New("the recording was encrypted for a public key whose private key is not in SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE")

// ParseRecordingKeys reads one or more PEM blocks of RSA private keys:
// "RSA PRIVATE KEY" (PKCS #1, what `openssl genrsa` wrote before OpenSSL 3)
// or unencrypted "PRIVATE KEY" (PKCS #8). Other blocks (a public key kept
// beside it) are skipped; a file without a private key is an error. The
// errors never quote the file.
func ParseRecordingKeys(data []byte) (*RecordingKeys, error) {
	k := &RecordingKeys{}
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("PEM block %d: the private key is protected by a passphrase; write it without one (openssl pkey -in KEY -out KEY.pem) and protect the file instead", n)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: not a readable private key", n)
		}
		rk, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PEM block %d: not an RSA key (Twilio wraps recording keys with RSA)", n)
		}
		if rk.N.BitLen() < 2048 {
			return nil, fmt.Errorf("PEM block %d: an RSA key of %d bits; use 2048 bits or more", n, rk.N.BitLen())
		}
		k.keys = append(k.keys, rk)
	}
	if len(k.keys) == 0 {
		return nil, errors.New("no RSA private key in PEM form found")
	}
	return k, nil
}

// Len is how many keys are held.
func (k *RecordingKeys) Len() int { return len(k.keys) }

// UnwrapContentKey decrypts a recording's wrapped content key
// (encryption_details.encrypted_cek, base64-decoded) with RSA-OAEP,
// SHA-256 and MGF1-SHA-256, trying each key held. Only a 32-byte key
// (AES-256) is accepted.
func (k *RecordingKeys) UnwrapContentKey(wrapped []byte) ([]byte, error) {
	for _, key := range k.keys {
		cek, err := key.Decrypt(nil, wrapped, &rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA256})
		if err == nil && len(cek) == 32 {
			return cek, nil
		}
	}
	return nil, ErrRecordingKey
}
