package config

import (
	"fmt"
	"sync"

	"github.com/switchboard-clinic/switchboard/routing"
)

// Live is the configuration in force, swapped by a reload, plus the last few
// versions, so that calls in progress finish on the configuration they
// started with. It is safe for concurrent use.
type Live struct {
	path string

	mu      sync.RWMutex
	current *routing.Line
	recent  []*routing.Line // newest last, at most keepVersions
}

const keepVersions = 8

// NewLive holds line, loaded from path ("" for the built-in default).
func NewLive(path string, line *routing.Line) *Live {
	return &Live{path: path, current: line, recent: []*routing.Line{line}}
}

// Line returns the configuration of a version, or the current one when
// version is "" or no longer held.
func (l *Live) Line(version string) *routing.Line {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if version != "" && version != l.current.Version {
		for _, r := range l.recent {
			if r.Version == version {
				return r
			}
		}
	}
	return l.current
}

// Current returns the configuration in force.
func (l *Live) Current() *routing.Line { return l.Line("") }

// Reload reads the file again. A file with problems is rejected with them and
// the running configuration stays.
func (l *Live) Reload() (*routing.Line, error) {
	line, err := LoadFile(l.path)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.current = line
	l.recent = append(l.recent, line)
	if len(l.recent) > keepVersions {
		l.recent = l.recent[len(l.recent)-keepVersions:]
	}
	return line, nil
}
