package callback

import (
	"hash/maphash"
	"reflect"
	"testing"
	"time"
)

func TestKeptCreatesRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		op   Op
	}{
		{"a capture", Op{Kind: "create", CallSID: "CA0123", ID: "01M95", At: at, Event: `{"e":"created"}`,
			Fields: []string{"id", "01M95", "sid", "CA0123", "num", "v1:abc", "rsn", "unanswered", "lng", "es"}}},
		{"empty values and no event", Op{Kind: "create", CallSID: "CA1", ID: "x", At: at, Fields: []string{"from", "", "l4", ""}}},
		{"no fields", Op{Kind: "create", CallSID: "CA2", ID: "y", At: at, Fields: []string{}}},
		{"bytes of every kind", Op{Kind: "create", CallSID: "CA3", ID: "z", At: at, Event: "ñ\x00\xff", Fields: []string{"note", string(make([]byte, 300))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKeptCreates()
			k.keep(tt.op, at, time.Minute)
			got, ok := k.get(tt.op.CallSID, at.Add(time.Minute), time.Minute)
			if !ok || !reflect.DeepEqual(got, tt.op) {
				t.Fatalf("get = %+v, %v; want %+v", got, ok, tt.op)
			}
			enc := encodeCreate(tt.op)
			for n := range enc {
				if _, err := decodeCreate(enc[:n]); err == nil {
					t.Fatalf("decoding the first %d of %d bytes succeeded", n, len(enc))
				}
			}
		})
	}
}

func TestKeptCreatesForgetAndMiss(t *testing.T) {
	now := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	k := newKeptCreates()
	k.keep(Op{Kind: "create", CallSID: "CAold", ID: "1", At: now}, now, 10*time.Minute)
	if _, ok := k.get("CAold", now.Add(10*time.Minute+time.Nanosecond), 10*time.Minute); ok {
		t.Fatal("a copy older than the orphan time was returned")
	}
	if _, ok := k.get("CAnever", now, 10*time.Minute); ok {
		t.Fatal("a call never kept was found")
	}
	// A later keep, past a minute, prunes the old copy from memory.
	k.keep(Op{Kind: "create", CallSID: "CAnew", ID: "2", At: now}, now.Add(11*time.Minute), 10*time.Minute)
	if len(k.byCall) != 1 {
		t.Fatalf("%d copies kept after pruning, want 1", len(k.byCall))
	}
	// A slot holding another call's copy (a hash collision) is a miss.
	k.byCall[maphash.String(k.seed, "CAother")] = k.byCall[maphash.String(k.seed, "CAnew")]
	if op, ok := k.get("CAother", now.Add(11*time.Minute), 10*time.Minute); ok {
		t.Fatalf("CAother got CAnew's create: %+v", op)
	}
}
