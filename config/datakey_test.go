package config_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/config"
)

func TestDataKeyFromEnv(t *testing.T) {
	t.Parallel()
	const key = "dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LTMyYnk="
	const other = "b3RoZXItZGF0YS1rZXktb3RoZXItZGF0YS1rZXktMzI="
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		vars    map[string]string
		wantKey bool
		wantOld int
		wantErr string
	}{
		{"unset", nil, false, 0, ""},
		{"key", map[string]string{"SWITCHBOARD_DATA_KEY": key}, true, 0, ""},
		{"file", map[string]string{"SWITCHBOARD_DATA_KEY_FILE": file}, true, 0, ""},
		{"old keys", map[string]string{"SWITCHBOARD_DATA_KEY": key, "SWITCHBOARD_DATA_OLD_KEYS": other + ", " + key}, true, 2, ""},
		{"short", map[string]string{"SWITCHBOARD_DATA_KEY": "c2hvcnQ="}, false, 0, "SWITCHBOARD_DATA_KEY: want 32"},
		{"both", map[string]string{"SWITCHBOARD_DATA_KEY": key, "SWITCHBOARD_DATA_KEY_FILE": file}, false, 0, "not both"},
		{"missing file", map[string]string{"SWITCHBOARD_DATA_KEY_FILE": file + ".none"}, false, 0, "SWITCHBOARD_DATA_KEY_FILE"},
		{"old without current", map[string]string{"SWITCHBOARD_DATA_OLD_KEYS": other}, false, 0, "SWITCHBOARD_DATA_KEY is not"},
		{"bad old", map[string]string{"SWITCHBOARD_DATA_KEY": key, "SWITCHBOARD_DATA_OLD_KEYS": "nope"}, false, 0, "SWITCHBOARD_DATA_OLD_KEYS, key 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := config.FromEnv(func(k string) string { return tt.vars[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), key) {
					t.Fatalf("err = %v, want one naming %q and not the key", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := e.DataKey != nil; got != tt.wantKey || len(e.OldDataKeys) != tt.wantOld {
				t.Errorf("key set %v, %d old keys; want %v, %d", got, len(e.OldDataKeys), tt.wantKey, tt.wantOld)
			}
			if strings.Contains(e.String(), key) {
				t.Errorf("Env.String() shows the key: %s", e.String())
			}
		})
	}
}

func TestRecordingKeyFileFromEnv(t *testing.T) {
	t.Parallel()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, pub := filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err := os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, file string
		wantKeys   int
		wantErr    string
	}{
		{"unset", "", 0, ""},
		{"private key", good, 1, ""},
		{"public key instead", pub, 0, "SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE: no RSA private key"},
		{"missing", good + ".none", 0, "SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE: open"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := config.FromEnv(func(k string) string {
				if k == "SWITCHBOARD_RECORDING_PRIVATE_KEY_FILE" {
					return tt.file
				}
				return ""
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			if e.RecordingKeys != nil {
				got = e.RecordingKeys.Len()
			}
			if got != tt.wantKeys || !strings.Contains(e.String(), "recording_keys="+strconv.Itoa(tt.wantKeys)) {
				t.Errorf("%d recording keys (%s), want %d", got, e.String(), tt.wantKeys)
			}
		})
	}
}
