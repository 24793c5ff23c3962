package seal_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/seal"
)

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParseRecordingKeys(t *testing.T) {
	t.Parallel()
	a, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(b)
	ec8, _ := x509.MarshalPKCS8PrivateKey(ec)
	pub, _ := x509.MarshalPKIXPublicKey(&a.PublicKey)
	pkcs1 := pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(a))
	tests := []struct {
		name    string
		pem     []byte
		keys    int
		wantErr string
	}{
		{"pkcs1", pkcs1, 1, ""},
		{"pkcs8 and pkcs1, a public key between", append(append(pemOf("PRIVATE KEY", pkcs8), pemOf("PUBLIC KEY", pub)...), pkcs1...), 2, ""},
		{"public key only", pemOf("PUBLIC KEY", pub), 0, "no RSA private key"},
		{"not pem", []byte("MIIEpAIBAAKCAQEA"), 0, "no RSA private key"},
		{"passphrase", pemOf("ENCRYPTED PRIVATE KEY", []byte{1, 2}), 0, "passphrase"},
		{"elliptic", pemOf("PRIVATE KEY", ec8), 0, "not an RSA key"},
		{"1024 bits", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)), 0, "1024 bits"},
		{"damaged", pemOf("RSA PRIVATE KEY", []byte("damaged")), 0, "not a readable private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := seal.ParseRecordingKeys(tt.pem)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || k.Len() != tt.keys {
				t.Fatalf("got %v keys, err %v; want %d", k, err, tt.keys)
			}
		})
	}

	// A content key wrapped as Twilio wraps it (RSA-OAEP, SHA-256, MGF1
	// SHA-256) unwraps with whichever key it was wrapped for.
	keys, err := seal.ParseRecordingKeys(append(pemOf("PRIVATE KEY", pkcs8), pkcs1...))
	if err != nil {
		t.Fatal(err)
	}
	cek := make([]byte, 32)
	_, _ = rand.Read(cek)
	for _, pubKey := range []*rsa.PublicKey{&a.PublicKey, &b.PublicKey} {
		wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pubKey, cek, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := keys.UnwrapContentKey(wrapped); err != nil || string(got) != string(cek) {
			t.Errorf("unwrap: %v", err)
		}
	}
	// Wrapped for another key, with another hash, or of the wrong size: refused.
	sha1Wrapped, _ := rsa.EncryptOAEPWithOptions(rand.Reader, &a.PublicKey, cek, &rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA1})
	shortWrapped, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, &a.PublicKey, cek[:16], nil)
	otherWrapped, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, &small.PublicKey, cek, nil)
	for name, w := range map[string][]byte{"mgf1 sha-1": sha1Wrapped, "16-byte key": shortWrapped, "another key": otherWrapped} {
		if _, err := keys.UnwrapContentKey(w); !errors.Is(err, seal.ErrRecordingKey) {
			t.Errorf("%s: err = %v, want ErrRecordingKey", name, err)
		}
	}
}
