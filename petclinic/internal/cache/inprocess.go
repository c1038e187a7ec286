package cache

import (
	"context"
	"sync"
	"time"
)

// InProcess is a Backend in the process's memory with per-entry TTL, the
// default when no Redis is configured (Spring PetClinic's Caffeine/JCache).
// Each instance of the service then has its own cache.
type InProcess struct {
	mu      sync.Mutex
	entries map[string]entry
	now     func() time.Time
}

type entry struct {
	value   []byte
	expires time.Time
}

var _ Backend = (*InProcess)(nil)

// NewInProcess returns an empty in-process backend.
func NewInProcess() *InProcess {
	return &InProcess{entries: map[string]entry{}, now: time.Now}
}

func (m *InProcess) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return nil, false, nil
	}
	if !m.now().Before(e.expires) {
		delete(m.entries, key)
		return nil, false, nil
	}
	return e.value, true, nil
}

func (m *InProcess) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[key] = entry{value: value, expires: m.now().Add(ttl)}
	return nil
}

func (m *InProcess) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
	return nil
}

// Len is the number of live entries: cache_size.
func (m *InProcess) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	now := m.now()
	for _, e := range m.entries {
		if now.Before(e.expires) {
			n++
		}
	}
	return n
}

func (m *InProcess) Close() error { return nil }
