package callback

import (
	"encoding/binary"
	"errors"
	"hash/maphash"
	"sync"
	"time"
)

// keptCreates is this instance's copy of the creates it made, for the
// orphan time: an update that finds its request missing (a master that
// lost it in a failover) re-applies the creation from it.
//
// It is held in a form the garbage collector does not walk: each create is
// one pointer-free byte slice under a hash of its CallSid. A busy line keeps
// tens of thousands of them; as Ops (a dozen strings each) they made the
// collector's marking the largest cost of a callback write.
type keptCreates struct {
	mu     sync.Mutex
	seed   maphash.Seed
	byCall map[uint64]keptCreate
	pruned time.Time
}

// keptCreate is an encoded create (encodeCreate) with when this machine
// kept it, in unix nanoseconds (op.At follows the queue's clock, which
// tests set).
type keptCreate struct {
	op   []byte
	kept int64
}

func newKeptCreates() *keptCreates {
	return &keptCreates{seed: maphash.MakeSeed(), byCall: map[uint64]keptCreate{}}
}

// keep keeps op, and forgets copies older than ttl (at most once a minute).
func (k *keptCreates) keep(op Op, now time.Time, ttl time.Duration) {
	enc := encodeCreate(op)
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.pruned) > time.Minute {
		k.pruned = now
		for h, c := range k.byCall {
			if now.UnixNano()-c.kept > int64(ttl) {
				delete(k.byCall, h)
			}
		}
	}
	k.byCall[maphash.String(k.seed, op.CallSID)] = keptCreate{op: enc, kept: now.UnixNano()}
}

// get returns the create of callSID kept less than ttl before now. Two
// CallSids whose hashes collide (one chance in 2^64 per pair) share a slot:
// the later one's copy replaces the earlier's, which is then reported
// missing, never mistaken for the other call's.
func (k *keptCreates) get(callSID string, now time.Time, ttl time.Duration) (Op, bool) {
	k.mu.Lock()
	c, ok := k.byCall[maphash.String(k.seed, callSID)]
	k.mu.Unlock()
	if !ok || now.UnixNano()-c.kept > int64(ttl) {
		return Op{}, false
	}
	op, err := decodeCreate(c.op)
	if err != nil || op.CallSID != callSID {
		return Op{}, false
	}
	return op, true
}

// encodeCreate writes what re-applying a create needs (its CallSid, id,
// instant, event and fields) as length-prefixed strings.
func encodeCreate(op Op) []byte {
	n := 2*binary.MaxVarintLen64 + len(op.CallSID) + len(op.ID) + len(op.Event) + 4*binary.MaxVarintLen64
	for _, f := range op.Fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	b := make([]byte, 0, n)
	b = binary.AppendVarint(b, op.At.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(op.Fields)))
	put := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	put(op.CallSID)
	put(op.ID)
	put(op.Event)
	for _, f := range op.Fields {
		put(f)
	}
	return b
}

var errKeptCreate = errors.New("kept create: truncated")

// decodeCreate reads what encodeCreate wrote.
func decodeCreate(b []byte) (Op, error) {
	at, n := binary.Varint(b)
	if n <= 0 {
		return Op{}, errKeptCreate
	}
	b = b[n:]
	nf, n := binary.Uvarint(b)
	if n <= 0 || nf > uint64(len(b)) {
		return Op{}, errKeptCreate
	}
	b = b[n:]
	strs := make([]string, 3+nf)
	for i := range strs {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return Op{}, errKeptCreate
		}
		strs[i] = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	return Op{Kind: "create", CallSID: strs[0], ID: strs[1], Event: strs[2], Fields: strs[3:], At: time.Unix(0, at).UTC()}, nil
}
