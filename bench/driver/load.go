package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// result is one load run.
type result struct {
	RPS      float64
	P50, P99 time.Duration
	Requests int
	Errors   int
	Saved    int // answers with the expected text (wrkCalls)
}

// request builds the i-th request of worker w: the URL path, the body and
// its signature.
type request func(w, i int) (path string, body []byte, sig string)

// load drives target with conns closed-loop connections for d and reports
// throughput and latency percentiles. check validates each answer.
func load(target string, conns int, d time.Duration, mk request, check func(status int, body []byte) bool) result {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			bad := 0
			for i := 0; ctx.Err() == nil; i++ {
				path, body, sig := mk(w, i)
				req, _ := http.NewRequest(http.MethodPost, target+path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Twilio-Signature", sig)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				took := time.Since(t0)
				if !check(resp.StatusCode, data) {
					bad++
					continue
				}
				lat = append(lat, took)
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := result{Requests: len(all), Errors: errs, RPS: float64(len(all)) / elapsed.Seconds()}
	if len(all) > 0 {
		r.P50 = all[len(all)/2]
		r.P99 = all[len(all)*99/100]
	}
	return r
}

func median(rs []result) result {
	sort.Slice(rs, func(i, j int) bool { return rs[i].RPS < rs[j].RPS })
	m := rs[len(rs)/2]
	p50s, p99s := make([]time.Duration, len(rs)), make([]time.Duration, len(rs))
	for i, r := range rs {
		p50s[i], p99s[i] = r.P50, r.P99
	}
	sort.Slice(p50s, func(i, j int) bool { return p50s[i] < p50s[j] })
	sort.Slice(p99s, func(i, j int) bool { return p99s[i] < p99s[j] })
	m.P50, m.P99 = p50s[len(p50s)/2], p99s[len(p99s)/2]
	return m
}
