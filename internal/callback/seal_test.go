package callback_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/seal"
)

func newKey(t testing.TB) []byte {
	t.Helper()
	k, err := seal.ParseKey(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sealedQueue(t testing.TB, rdb redis.UniversalClient, prefix string, current []byte, old ...[]byte) *callback.Queue {
	t.Helper()
	s, err := seal.New(current, old...)
	if err != nil {
		t.Fatal(err)
	}
	q, err := callback.NewQueue(callback.Options{Client: rdb, Sealer: s, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestClientDataIsSealedInRedis(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	q := sealedQueue(t, rdb, "s:", newKey(t))
	c := callback.Capture{CallSID: "CAseal1", CallerNumber: "+12065550100", CallbackNumber: "+14255550142", Reason: "menu"}
	id := create(t, q, c)
	if _, _, err := q.Apply(ctx, q.TranscriptionOp(c.CallSID, "please call after lunch", "completed")); err != nil {
		t.Fatal(err)
	}
	if _, err := q.AddNote(ctx, id, "dana", "left a message with her sister"); err != nil {
		t.Fatal(err)
	}
	h := rdb.HGetAll(ctx, q.Key("r:"+id)).Val()
	for _, f := range []string{"num", "from", "tx"} {
		if !strings.HasPrefix(h[f], "v1:") {
			t.Errorf("field %s is stored as %q, want a sealed value", f, h[f])
		}
	}
	if h["l4"] != "0142" {
		t.Errorf("last four stored as %q, want 0142 in clear", h["l4"])
	}
	hist := strings.Join(rdb.LRange(ctx, q.Key("h:"+id), 0, -1).Val(), "\n")
	if strings.Contains(hist, "sister") {
		t.Errorf("a note is stored in clear: %s", hist)
	}
	r, err := q.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.CallbackNumber != c.CallbackNumber || r.CallerNumber != c.CallerNumber || r.CallbackLast4 != "0142" ||
		r.Message == nil || r.Message.Transcription != "please call after lunch" || r.History[len(r.History)-1].Note != "left a message with her sister" {
		t.Errorf("request read back = %+v %+v", r, r.Message)
	}
	// A sealed number moved to another request does not open there.
	other := create(t, q, callback.Capture{CallSID: "CAseal2", CallbackNumber: "+12065550199", Reason: "menu"})
	rdb.HSet(ctx, q.Key("r:"+other), "num", h["num"])
	if _, err := q.Get(ctx, other); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("a number moved to another request: %v, want ErrCorrupt", err)
	}
}

// seedStored writes n requests straight into Redis as older versions left
// them: every fifth in clear (before sealing), the rest sealed with old.
// Each has a note in its history.
func seedStored(t testing.TB, rdb *redis.Client, q *callback.Queue, old *seal.Sealer, n int) []string {
	t.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	const batch = 5000
	for start := 0; start < n; start += batch {
		pipe := rdb.Pipeline()
		for i := start; i < min(start+batch, n); i++ {
			id := ulid.MustNew(ulid.Timestamp(at.Add(time.Duration(i)*time.Millisecond)), ulid.DefaultEntropy()).String()
			ids[i] = id
			sid, num, tx, note := fmt.Sprintf("CA%032d", i), fmt.Sprintf("+1206%07d", i), "transcript "+id, "note "+id
			if i%5 != 0 {
				num = old.Seal(num, callback.FieldAAD(sid, "num"))
				tx = old.Seal(tx, callback.FieldAAD(sid, "tx"))
				note = old.Seal(note, callback.NoteAAD(id))
			}
			pipe.HSet(ctx, q.Key("calls"), sid, id)
			pipe.HSet(ctx, q.Key("r:"+id), "id", id, "sid", sid, "from", "=", "num", num, "rsn", "menu", "st", "pending", "tx", tx, "txs", "completed")
			pipe.RPush(ctx, q.Key("h:"+id), fmt.Sprintf(`{"t":%d,"w":"caller","e":"created"}`, at.UnixMilli()),
				fmt.Sprintf(`{"t":%d,"w":"dana","e":"note","n":%q}`, at.UnixMilli(), note))
			pipe.ZAdd(ctx, q.Key("pending"), redis.Z{Member: id})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func TestRotateReSealsEveryRequest(t *testing.T) {
	t.Parallel()
	// The figure: 100,000 requests, in the full suite (race
	// detector included); 5,000 with -short.
	n := 100_000
	if testing.Short() {
		n = 5_000
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	oldKey, newKey := newKey(t), newKey(t)
	oldSealer, _ := seal.New(oldKey)
	rotating := sealedQueue(t, rdb, "rot:", newKey, oldKey)
	began := time.Now()
	ids := seedStored(t, rdb, rotating, oldSealer, n)
	seeded := time.Now()
	st, err := rotating.Reseal(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests: seeded in %v, rotated in %v (%d values)", n, seeded.Sub(began).Round(time.Millisecond), time.Since(seeded).Round(time.Millisecond), st.Values)
	if st.Requests != n || st.Values != 3*n {
		t.Errorf("rotation = %+v, want %d requests and %d values", st, n, 3*n)
	}
	again, err := rotating.Reseal(ctx, nil)
	if err != nil || again.Values != 0 {
		t.Errorf("a second rotation re-sealed %d values (%v), want none", again.Values, err)
	}
	// Every request, counted: its number, transcription and note are under
	// the new key.
	under := "v1:" + seal.KeyID(newKey) + ":"
	counted := 0
	for start := 0; start < n; start += 5000 {
		pipe := rdb.Pipeline()
		var hs []*redis.SliceCmd
		var notes []*redis.StringCmd
		for _, id := range ids[start:min(start+5000, n)] {
			hs = append(hs, pipe.HMGet(ctx, rotating.Key("r:"+id), "num", "tx"))
			notes = append(notes, pipe.LIndex(ctx, rotating.Key("h:"+id), 1))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for i, h := range hs {
			num, _ := h.Val()[0].(string)
			tx, _ := h.Val()[1].(string)
			if strings.HasPrefix(num, under) && strings.HasPrefix(tx, under) && strings.Contains(notes[i].Val(), `"n":"`+under) {
				counted++
			}
		}
	}
	if counted != n {
		t.Errorf("%d of %d requests are wholly under the new key", counted, n)
	}
	// The new key alone opens them: a sample of 2,000, clear ones and
	// sealed ones, read back to the original values.
	fresh := sealedQueue(t, rdb, "rot:", newKey)
	for i := 0; i < n; i += n / 1000 {
		for _, j := range []int{i, i + 1} {
			r, err := fresh.Get(ctx, ids[j])
			if err != nil {
				t.Fatalf("request %d: %v", j, err)
			}
			if r.CallbackNumber != fmt.Sprintf("+1206%07d", j) || r.Message.Transcription != "transcript "+ids[j] ||
				r.History[1].Note != "note "+ids[j] || r.CallbackLast4 != fmt.Sprintf("%04d", j%10000) {
				t.Fatalf("request %d after rotation: %+v", j, r)
			}
		}
	}
	t.Logf("checked in %v", time.Since(began).Round(time.Millisecond))
}

// TestSealedNumbersKeepTheHashCompact: a request's hash stays in Redis's
// compact encoding (listpack), which it leaves when a value is longer than
// 64 bytes; a number sealed as text (66 characters) made every request a
// hash table. A number sealed as text before still opens.
func TestSealedNumbersKeepTheHashCompact(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rdb := rs.Client()
	ctx := t.Context()
	key := newKey(t)
	q := sealedQueue(t, rdb, "p:", key)
	for _, n := range []string{"+12065550142", "+123456789012345"} {
		c := callback.Capture{CallSID: "CApack" + n[1:], CallerNumber: "+12065550100", CallbackNumber: n, Reason: "menu"}
		id := create(t, q, c)
		h := rdb.HGetAll(ctx, q.Key("r:"+id)).Val()
		if len(h["num"]) > 64 || len(h["from"]) > 64 {
			t.Errorf("%s sealed to %d and %d bytes, want at most 64", n, len(h["num"]), len(h["from"]))
		}
		if enc := rdb.ObjectEncoding(ctx, q.Key("r:"+id)).Val(); enc != "listpack" {
			t.Errorf("request of %s is stored as a %s, want listpack", n, enc)
		}
		r, err := q.Get(ctx, id)
		if err != nil || r.CallbackNumber != n || r.CallerNumber != "+12065550100" {
			t.Errorf("request of %s reads back %+v, %v", n, r, err)
		}
	}
	// A request stored before numbers were packed.
	s, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	id := create(t, q, callback.Capture{CallSID: "CAtext", CallbackNumber: "+14255550199", Reason: "menu"})
	rdb.HSet(ctx, q.Key("r:"+id), "num", s.Seal("+14255550199", "CAtext:num"))
	if r, err := q.Get(ctx, id); err != nil || r.CallbackNumber != "+14255550199" {
		t.Errorf("a number sealed as text reads back %+v, %v", r, err)
	}
}
