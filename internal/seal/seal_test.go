package seal_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/seal"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := seal.ParseKey(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	s, err := seal.New(k)
	if err != nil {
		t.Fatal(err)
	}
	v := s.Seal("+12065550142", "CA1:num")
	if strings.Contains(v, "0142") || !strings.HasPrefix(v, "v1:"+seal.KeyID(k)+":") {
		t.Fatalf("sealed value %q", v)
	}
	if again := s.Seal("+12065550142", "CA1:num"); again == v {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, err := s.Open(v, "CA1:num")
	if err != nil || got != "+12065550142" {
		t.Errorf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(v, "CA2:num"); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("opened under another request's data: %v", err)
	}
	if got, err := s.Open("+12065550100", "CA1:num"); err != nil || got != "+12065550100" {
		t.Errorf("a clear value: %q, %v", got, err)
	}
	if s.Seal("", "x") != "" {
		t.Error("an empty value was sealed")
	}
	if !s.Current(v) || s.Current("+1206") {
		t.Error("Current is wrong")
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := mustKey(t), mustKey(t)
	old, _ := seal.New(oldKey)
	v := old.Seal("hello", "a")
	cur, err := seal.New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Current(v) {
		t.Error("an old-key value counts as current")
	}
	if got, err := cur.Open(v, "a"); err != nil || got != "hello" {
		t.Errorf("old key: %q, %v", got, err)
	}
	alone, _ := seal.New(newKey)
	if _, err := alone.Open(v, "a"); !errors.Is(err, seal.ErrUnknownKey) {
		t.Errorf("without the old key: %v", err)
	}
}

func TestIndex(t *testing.T) {
	t.Parallel()
	a, b := mustKey(t), mustKey(t)
	sa, _ := seal.New(a)
	sa2, _ := seal.New(a)
	sb, _ := seal.New(b)
	if sa.Index("+12065550142") != sa2.Index("+12065550142") {
		t.Error("one key, two indexes")
	}
	if sa.Index("+12065550142") == sb.Index("+12065550142") || sa.Index("+12065550142") == sa.Index("+12065550143") {
		t.Error("index does not depend on the key and the value")
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{"empty": "", "short": "c2hvcnQ=", "not base64": "!!!"} {
		if _, err := seal.ParseKey(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func BenchmarkSealOpen(b *testing.B) {
	k, _ := seal.ParseKey(seal.NewKey())
	s, _ := seal.New(k)
	b.ReportAllocs()
	for b.Loop() {
		v := s.Seal("+12065550142", "CA0123456789abcdef0123456789abcdef:num")
		if _, err := s.Open(v, "CA0123456789abcdef0123456789abcdef:num"); err != nil {
			b.Fatal(err)
		}
	}
}
