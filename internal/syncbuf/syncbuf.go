// Package syncbuf is a byte buffer safe for concurrent use: tests collect a
// process's or a logger's output in it while it runs and read it meanwhile
// (bytes.Buffer alone races). It was written twice, in tests/integration and
// in internal/ratelimit's tests; this is the one copy.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer behind a mutex; the zero value is ready.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
