package embedredis

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Tick is how often the store's clock advances its keys' TTLs: the precision
// of expiry. Each tick walks every key once (miniredis' FastForward), so it is
// not finer than it needs to be; a lock TTL or a session lasts seconds or more.
const Tick = 100 * time.Millisecond

// Path is where a master with runtime directory dir serves its store: one
// master per runtime directory (the control socket makes sure of it).
func Path(dir string) string { return filepath.Join(dir, "redis", "redis.sock") }

// Store is a running embedded store.
type Store struct {
	mr   *miniredis.Miniredis
	ln   net.Listener
	path string
	quit chan struct{}
	wg   sync.WaitGroup
}

// Start serves a new, empty store on Path(dir): the directory is made 0700
// and the socket 0600, so only the master's user reaches it. A socket left by
// a master that died is replaced.
func Start(dir string) (*Store, error) {
	path := Path(dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create embedded redis directory: %w", err)
	}
	// MkdirAll keeps an existing directory's mode.
	if err := os.Chmod(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create embedded redis directory: %w", err)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen for embedded redis: %w", err)
	}
	// Between Listen and Chmod only the directory's 0700 guards the socket.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen for embedded redis: %w", err)
	}
	mr := miniredis.NewMiniRedis()
	// Dial starts miniredis' server without a listener of its own; the pipe
	// it returns is not needed.
	c, err := mr.Dial()
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	c.Close()
	s := &Store{mr: mr, ln: ln, path: path, quit: make(chan struct{})}
	s.wg.Add(2)
	go s.accept()
	go s.clock(time.Now)
	return s, nil
}

// URL is RESYNC_REDIS_URL for the workers.
func (s *Store) URL() string { return "unix://" + s.path }

// Path is the socket's path.
func (s *Store) Path() string { return s.path }

// Close stops accepting, closes every connection and removes the socket.
func (s *Store) Close() {
	close(s.quit)
	s.ln.Close() // a unix listener unlinks its socket on Close
	s.wg.Wait()
	s.mr.Close()
}

func (s *Store) accept() {
	defer s.wg.Done()
	srv := s.mr.Server()
	for {
		conn, err := s.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // EMFILE and the like: wait, as net/http does
			select {
			case <-s.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		srv.ServeConn(conn)
	}
}

// clock advances TTLs by the time measured between ticks, not by Tick, so
// that a late tick (a busy host) still expires keys on time.
func (s *Store) clock(now func() time.Time) {
	defer s.wg.Done()
	t := time.NewTicker(Tick)
	defer t.Stop()
	last := now()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			n := now()
			s.mr.FastForward(n.Sub(last))
			last = n
		}
	}
}
