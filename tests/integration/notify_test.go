package integration

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resync/resync/internal/sdnotify"
)

// notifySink plays systemd's side of NOTIFY_SOCKET: it records every message
// the master sends, in order.
type notifySink struct {
	path string
	mu   sync.Mutex
	msgs []sdnotify.Message
}

func listenNotify(t *testing.T, path string) *notifySink {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &notifySink{path: path}
	go func() {
		buf := make([]byte, sdnotify.MaxMessage)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msg, err := sdnotify.Parse(buf[:n])
			if err != nil {
				t.Errorf("master sent a malformed notify message %q: %v", buf[:n], err)
				continue
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, msg)
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *notifySink) all() []sdnotify.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sdnotify.Message(nil), s.msgs...)
}

// waitFor waits for a message holding assignment (KEY=VALUE) at index ≥ from,
// and returns its index.
func (s *notifySink) waitFor(t *testing.T, assignment string, from int, timeout time.Duration) int {
	t.Helper()
	key, value, _ := strings.Cut(assignment, "=")
	idx := -1
	waitUntil(t, timeout, "notify "+assignment, func() bool {
		msgs := s.all()
		for i := from; i < len(msgs); i++ {
			if v, ok := msgs[i][key]; ok && (value == "" || v == value) {
				idx = i
				return true
			}
		}
		return false
	})
	return idx
}

func (s *notifySink) count(key string) int {
	n := 0
	for _, m := range s.all() {
		if _, ok := m[key]; ok {
			n++
		}
	}
	return n
}
