package callback

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Spool is a local append-only journal of callback writes that Redis does
// not hold durably yet: writes that could not reach Redis (replayed when it
// is back), and writes a master took but no replica has acknowledged (kept
// until one does, re-applied if the master lost them). Each record is
// fsynced before the caller is told their request is taken. The file holds
// client numbers: it is created 0600 and removed when it drains.
type Spool struct {
	path string

	drainMu sync.Mutex // one drain at a time
	mu      sync.Mutex // guards the file and the counts
	count   int
	applied int       // entries a master took (Op.Applied set)
	oldest  time.Time // the earliest Op.Applied among them

	batchMu sync.Mutex // guards cur
	cur     *batch     // appends waiting for the next fsync
}

// batch is a group of appends made durable by one fsync (group commit): under
// an outage every webhook spools, and one fsync per request in turn would
// make the last caller wait for all the others.
type batch struct {
	lines  [][]byte
	ops    []Op
	leader bool
	done   chan struct{}
	err    error
}

// OpenSpool opens (creating when needed) the spool in dir and counts what
// an earlier run left in it.
func OpenSpool(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: create %s: %w", dir, err)
	}
	s := &Spool{path: filepath.Join(dir, "callbacks.spool")}
	ops, err := s.read(0)
	if err != nil {
		return nil, err
	}
	s.counted(ops)
	return s, nil
}

// counted sets the counts from the spool's whole content; s.mu must be
// held (or s not shared yet).
func (s *Spool) counted(ops []Op) {
	s.count, s.applied, s.oldest = len(ops), 0, time.Time{}
	for _, op := range ops {
		s.countApplied(op)
	}
}

func (s *Spool) countApplied(op Op) {
	if op.Applied.IsZero() {
		return
	}
	s.applied++
	if s.oldest.IsZero() || op.Applied.Before(s.oldest) {
		s.oldest = op.Applied
	}
}

// Unreplicated is the number of entries a master took that no replica has
// acknowledged yet, and when the oldest of them was taken.
func (s *Spool) Unreplicated() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied, s.oldest
}

// Check reports whether the spool can take a write now: it writes, syncs
// and removes a small probe file beside the spool, which fails on a full
// disk, a read-only file system or a broken spool file.
func (s *Spool) Check() error {
	if st, err := os.Stat(s.path); err == nil && st.IsDir() {
		return fmt.Errorf("spool: %s is a directory", s.path)
	}
	probe := s.path + ".probe"
	f, err := os.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: cannot write in %s: %w", filepath.Dir(s.path), err)
	}
	_, werr := f.Write(make([]byte, 4096))
	serr := f.Sync()
	f.Close()
	os.Remove(probe)
	if werr != nil || serr != nil {
		return fmt.Errorf("spool: cannot write in %s: %v", filepath.Dir(s.path), errors.Join(werr, serr))
	}
	return nil
}

// Path is the spool file's location.
func (s *Spool) Path() string { return s.path }

// Len is the number of writes waiting for Redis.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Append writes op durably (fsync) at the end of the spool. Concurrent
// appends share fsyncs: the first of a group writes and syncs them all.
func (s *Spool) Append(op Op) error {
	line, err := json.Marshal(op)
	if err != nil {
		return fmt.Errorf("spool: encode: %w", err)
	}
	s.batchMu.Lock()
	b := s.cur
	if b == nil {
		b = &batch{done: make(chan struct{})}
		s.cur = b
	}
	b.lines = append(b.lines, append(line, '\n'))
	b.ops = append(b.ops, op)
	leader := !b.leader
	b.leader = true
	s.batchMu.Unlock()
	if !leader {
		<-b.done
		return b.err
	}
	// The leader waits for the file; appends arriving meanwhile join its batch.
	s.mu.Lock()
	s.batchMu.Lock()
	s.cur = nil
	lines, ops := b.lines, b.ops
	s.batchMu.Unlock()
	b.err = s.locked(s.path+".lock", func() error { return s.write(lines) })
	if b.err == nil {
		s.count += len(lines)
		for _, op := range ops {
			s.countApplied(op)
		}
	}
	s.mu.Unlock()
	close(b.done)
	return b.err
}

// write appends lines and fsyncs; s.mu must be held.
func (s *Spool) write(lines [][]byte) error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("spool: open: %w", err)
	}
	if _, err := f.Write(bytes.Join(lines, nil)); err != nil {
		f.Close()
		return fmt.Errorf("spool: write: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("spool: fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spool: close: %w", err)
	}
	return nil
}

// read returns the ops stored from byte offset on. A torn last line (a crash
// during a write that was never acknowledged) is ignored.
func (s *Spool) read(offset int64) ([]Op, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: open: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("spool: seek: %w", err)
	}
	var ops []Op
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var op Op
		if err := json.Unmarshal(bytes.TrimSpace(sc.Bytes()), &op); err != nil {
			continue
		}
		ops = append(ops, op)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("spool: read: %w", err)
	}
	return ops, nil
}

// Drain replays the spool through apply, in order. Ops that apply (or that
// keep says to drop) leave the spool; the rest stay for the next round.
// apply must be idempotent. Drain stops at the first error for which keep
// returns stop.
func (s *Spool) Drain(apply func(Op) error, keep func(Op, error) (retain, stop bool)) (applied int, err error) {
	err = s.Rework(func(ops []Op) []Op {
		var rest []Op
		for i, op := range ops {
			aerr := apply(op)
			if aerr == nil {
				applied++
				continue
			}
			retain, stop := keep(op, aerr)
			if retain {
				rest = append(rest, op)
			}
			if stop {
				return append(rest, ops[i+1:]...)
			}
		}
		return rest
	})
	return applied, err
}

// Rework replaces the spool's entries with what work returns for them
// (entries to keep, changed or not, in order). Appends may go on meanwhile:
// they are kept after the returned ones, and the lock is held only to
// snapshot and to rewrite, never while work runs. One Rework at a time.
//
// Another process may share the spool (`keys rotate` re-seals it beside a
// running serve): file locks beside the spool keep one Rework at a time
// across processes, and keep appends out of a rewrite.
func (s *Spool) Rework(work func([]Op) []Op) error {
	s.drainMu.Lock()
	defer s.drainMu.Unlock()
	return s.locked(s.path+".rework.lock", func() error {
		var size int64
		var ops []Op
		s.mu.Lock()
		err := s.locked(s.path+".lock", func() (err error) {
			size, ops, err = s.snapshot()
			return err
		})
		s.mu.Unlock()
		if err != nil || len(ops) == 0 {
			return err
		}
		rest := work(ops)
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.locked(s.path+".lock", func() error {
			later, err := s.read(size)
			if err != nil {
				return err
			}
			rest = append(rest, later...)
			if err := s.rewrite(rest); err != nil {
				return err
			}
			s.counted(rest)
			return nil
		})
	})
}

// locked runs f holding the file lock at path.
func (s *Spool) locked(path string, f func() error) error {
	unlock, err := lockFile(path)
	if err != nil {
		return err
	}
	defer unlock()
	return f()
}

func (s *Spool) snapshot() (int64, []Op, error) {
	st, err := os.Stat(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("spool: stat: %w", err)
	}
	ops, err := s.read(0)
	return st.Size(), ops, err
}

// rewrite replaces the spool with ops atomically (write, fsync, rename),
// or removes it when ops is empty.
func (s *Spool) rewrite(ops []Op) error {
	if len(ops) == 0 {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("spool: remove: %w", err)
		}
		return nil
	}
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: rewrite: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, op := range ops {
		line, _ := json.Marshal(op)
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("spool: rewrite: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("spool: rewrite fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spool: rewrite close: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("spool: rewrite rename: %w", err)
	}
	return nil
}
