package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestSocketIdentifiesSender(t *testing.T) {
	s, err := Listen(filepath.Join(t.TempDir(), "notify.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	t.Setenv("NOTIFY_SOCKET", s.Path())
	if sent, err := Send("READY=1\nSTATUS=up"); !sent || err != nil {
		t.Fatalf("Send = %v, %v", sent, err)
	}
	n, err := s.Receive()
	if err != nil {
		t.Fatal(err)
	}
	if n.PID != os.Getpid() || n.Message["READY"] != "1" || n.Message["STATUS"] != "up" {
		t.Fatalf("got %+v, want READY=1 STATUS=up from pid %d", n, os.Getpid())
	}

	// A malformed datagram is an error, and the socket keeps working after it.
	c, err := net.Dial("unixgram", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("garbage"))
	if _, err := s.Receive(); err == nil {
		t.Fatal("malformed datagram accepted")
	}
	c.Write([]byte("WATCHDOG=1"))
	if n, err := s.Receive(); err != nil || n.Message["WATCHDOG"] != "1" {
		t.Fatalf("after garbage: %+v, %v", n, err)
	}
}

func TestSendWithoutSystemdIsNoop(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Send("READY=1"); sent || err != nil {
		t.Fatalf("Send outside systemd = %v, %v", sent, err)
	}
}
