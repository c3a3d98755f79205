// Package journaldtest is a stand-in journald for tests: a unixgram socket
// where a process sends native-protocol datagrams, which keeps each one (with
// its ancillary data: a memfd) and can stop reading, as a stalled journald
// does. Parsing the entries is the test's business.
package journaldtest

import (
	"net"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// Datagram is one received datagram and its ancillary data.
type Datagram struct {
	Data, OOB []byte
}

// Server listens on Path until the test ends or Close.
type Server struct {
	Path string
	conn *net.UnixConn
	done chan struct{}

	mu        sync.Mutex
	datagrams []Datagram
	paused    chan struct{} // non-nil: the reader waits until it is closed
}

// Listen starts a stand-in journald on path.
func Listen(t testing.TB, path string) *Server {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadBuffer(8 << 20)
	s := &Server{Path: path, conn: conn, done: make(chan struct{})}
	t.Cleanup(s.Close)
	go s.read()
	return s
}

func (s *Server) read() {
	defer close(s.done)
	buf := make([]byte, 16<<20)
	oob := make([]byte, unix.CmsgSpace(4*8))
	for {
		s.mu.Lock()
		paused := s.paused
		s.mu.Unlock()
		if paused != nil {
			<-paused
		}
		n, oobn, _, _, err := s.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		d := Datagram{Data: append([]byte(nil), buf[:n]...), OOB: append([]byte(nil), oob[:oobn]...)}
		s.mu.Lock()
		s.datagrams = append(s.datagrams, d)
		s.mu.Unlock()
	}
}

// Close stops listening; senders then get ECONNREFUSED.
func (s *Server) Close() {
	s.Resume()
	_ = s.conn.Close()
	<-s.done
}

// Pause stops reading (after the datagram being read, if any); Resume reads
// again.
func (s *Server) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused == nil {
		s.paused = make(chan struct{})
	}
}

func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused != nil {
		close(s.paused)
		s.paused = nil
	}
}

// Since returns the datagrams received from index from on.
func (s *Server) Since(from int) []Datagram {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from >= len(s.datagrams) {
		return nil
	}
	return append([]Datagram(nil), s.datagrams[from:]...)
}
