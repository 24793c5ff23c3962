package callback_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
)

// BenchmarkRecordSealed measures creating a request as the call flow does
// (Recorder.Record of a create, on a real redis-server, with the spool
// beside it), with its client data sealed and, in the same loop, in clear as
// before sealing; the two alternate so a busy machine slows both alike.
// It reports each one's time and their ratio:
//
//	go test -run '^$' -bench RecordSealed -benchtime 20000x ./internal/callback
func BenchmarkRecordSealed(b *testing.B) {
	rdb := redistest.Start(b).Client()
	q := sealedQueue(b, rdb, "bench:", newKey(b))
	spool, err := callback.OpenSpool(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	rec, err := callback.NewRecorder(q, spool, 2*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	at := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	capture := func(kind string, i int) callback.Capture {
		return callback.Capture{CallSID: fmt.Sprintf("CA%s%030d", kind, i), CallerNumber: "+12065550100",
			CallbackNumber: fmt.Sprintf("+1425%07d", i%10_000_000), Reason: "menu", At: at}
	}
	var sealed, clear time.Duration
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if _, err := rec.Record(ctx, callback.ClearCreateOp(q, capture("c", i))); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := rec.Record(ctx, q.CreateOp(capture("s", i))); err != nil {
			b.Fatal(err)
		}
		clear += t1.Sub(t0)
		sealed += time.Since(t1)
	}
	b.ReportMetric(float64(clear.Nanoseconds())/float64(b.N), "ns/clear-create")
	b.ReportMetric(float64(sealed.Nanoseconds())/float64(b.N), "ns/sealed-create")
	b.ReportMetric(float64(sealed)/float64(clear), "sealed/clear")
}
