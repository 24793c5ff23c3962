// Package logbatch writes log lines in batches: one system call for many
// request lines instead of one each, which under load is a large part of a
// webhook's cost. A line waits at most the flush interval; warnings and
// errors, and everything at Close, go out at once.
package logbatch

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Size is how much a batch holds before it is written without waiting.
const Size = 32 << 10

// Writer batches what is written to it and writes it to an underlying
// writer. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	out io.Writer
	buf []byte
	err error // the first write error, reported by Flush and Close
}

// New returns a Writer that writes batches to out.
func New(out io.Writer) *Writer { return &Writer{out: out, buf: make([]byte, 0, Size)} }

// Write keeps p for the next batch (writing the batch first when p would
// not fit). It never fails: a failed write of a batch is reported by Flush.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf)+len(p) > Size {
		w.flushLocked()
	}
	if len(p) >= Size {
		w.write(p)
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush writes what is waiting.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	return w.err
}

func (w *Writer) flushLocked() {
	if len(w.buf) > 0 {
		w.write(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *Writer) write(p []byte) {
	if _, err := w.out.Write(p); err != nil && w.err == nil {
		w.err = err
	}
}

// Run flushes every interval until ctx ends, then once more.
func (w *Writer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.Flush() //nolint:errcheck // nowhere left to report it
			return
		case <-t.C:
			w.Flush() //nolint:errcheck // the next batch tries again
		}
	}
}

// Urgent wraps h so that a record at level or above (a warning, an error)
// is written at once with everything before it.
func Urgent(h slog.Handler, w *Writer, level slog.Level) slog.Handler {
	return urgent{Handler: h, w: w, level: level}
}

type urgent struct {
	slog.Handler
	w     *Writer
	level slog.Level
}

func (u urgent) Handle(ctx context.Context, r slog.Record) error {
	err := u.Handler.Handle(ctx, r)
	if r.Level >= u.level {
		u.w.Flush() //nolint:errcheck // reported by the next Flush
	}
	return err
}

func (u urgent) WithAttrs(as []slog.Attr) slog.Handler {
	return urgent{Handler: u.Handler.WithAttrs(as), w: u.w, level: u.level}
}

func (u urgent) WithGroup(name string) slog.Handler {
	return urgent{Handler: u.Handler.WithGroup(name), w: u.w, level: u.level}
}
