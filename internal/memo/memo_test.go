package memo_test

import (
	"sync"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/memo"
)

func TestMemoComputesOnceAndForgetsWhenFull(t *testing.T) {
	m := memo.New[string, int](2)
	calls := 0
	get := func(k string, v int) int {
		return m.Get(k, func() int { calls++; return v })
	}
	if get("a", 1) != 1 || get("a", 99) != 1 || calls != 1 {
		t.Fatalf("the second Get of a key computed again (calls %d)", calls)
	}
	get("b", 2)
	if m.Len() != 2 {
		t.Fatalf("Len = %d, want 2", m.Len())
	}
	if get("c", 3) != 3 || m.Len() != 1 {
		t.Fatalf("a full memo kept %d results, want only the new one", m.Len())
	}
	if get("a", 4) != 4 || calls != 4 {
		t.Fatalf("a forgotten key was not computed again (calls %d)", calls)
	}
}

func TestMemoIsSafeForConcurrentUse(t *testing.T) {
	m := memo.New[int, int](16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := (g + i) % 40
				if v := m.Get(k, func() int { return k * k }); v != k*k {
					t.Errorf("Get(%d) = %d", k, v)
					return
				}
			}
		}()
	}
	wg.Wait()
}
