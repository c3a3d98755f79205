package worker

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serve runs an http.Server as Run does, on connections the drain tracks,
// with h behind the chain's observe step (whose Writer adds the drain's
// Connection: close); httpapi's steps would bound the bodies these tests send.
func serve(t *testing.T, cs *conns, h http.Handler) string {
	t.Helper()
	return serveHandler(t, cs, testWorker(cs, nil).observe(h))
}

// serveHandler is serve with h as it is.
func serveHandler(t *testing.T, cs *conns, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ConnState: cs.track, IdleTimeout: 5 * time.Second}
	go srv.Serve(listener{Listener: ln, cs: cs})
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func ok(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, req string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp
}

// expectFIN: the server closed with a FIN after its answer, not a reset.
func expectFIN(t *testing.T, br *bufio.Reader) {
	t.Helper()
	_, err := br.ReadByte()
	if errors.Is(err, syscall.ECONNRESET) {
		t.Fatal("connection reset; want a clean close")
	}
	if err != io.EOF {
		t.Fatalf("after the last answer: %v, want EOF", err)
	}
}

const get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

// A keep-alive connection open when the drain begins: its next request is
// served, with Connection: close, and then the connection ends cleanly.
func TestDrainAnswersNextRequestWithClose(t *testing.T) {
	cs := newConns(5 * time.Second)
	addr := serve(t, cs, http.HandlerFunc(ok))
	c, br := dial(t, addr)
	if resp := roundTrip(t, c, br, get); resp.Close {
		t.Fatal("Connection: close before the drain")
	}
	cs.drain()
	resp := roundTrip(t, c, br, get)
	if resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("during the drain: status %d, close %v; want 200 with Connection: close", resp.StatusCode, resp.Close)
	}
	expectFIN(t, br)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cs.wait(ctx); err != nil {
		t.Fatalf("connections left after the drain: %d: %v", cs.count(), err)
	}
}

// An idle connection is closed once idle for idleFor, not at once.
func TestDrainClosesIdleConnectionAfterIdleFor(t *testing.T) {
	cs := newConns(5 * time.Second)
	cs.idleFor = 300 * time.Millisecond
	addr := serve(t, cs, http.HandlerFunc(ok))
	c, br := dial(t, addr)
	roundTrip(t, c, br, get)
	idle := time.Now()
	cs.drain()
	expectFIN(t, br)
	if waited := time.Since(idle); waited < cs.idleFor {
		t.Errorf("idle connection closed after %v, before idleFor %v", waited, cs.idleFor)
	}
	if n := cs.idleClosed.Load(); n != 1 {
		t.Errorf("idle closes counted: %d, want 1", n)
	}
}

// A POST whose handler never reads its body, answered with Connection: close:
// the answer arrives whole, and the close is no reset (the body the client
// still sends is read and dropped).
func TestCloseWithUnreadBodyIsNoReset(t *testing.T) {
	cs := newConns(5 * time.Second)
	addr := serve(t, cs, http.HandlerFunc(ok))
	cs.drain()
	c, br := dial(t, addr)
	body := strings.Repeat("x", 4<<20) // far past what net/http drains itself
	wrote := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n"+body)
		wrote <- err
	}()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "ok" || !resp.Close {
		t.Fatalf("answer: %q, %v, close %v", b, err, resp.Close)
	}
	if err := <-wrote; err != nil {
		t.Errorf("sending the body the server did not want: %v (a reset?)", err)
	}
	c.(*net.TCPConn).CloseWrite()
	expectFIN(t, br)
}

// A connection that has carried no request yet is not closed by the drain's
// idle rule: its client, silent for longer than idleFor after connecting
// (starved, say), still gets its answer, with Connection: close.
func TestDrainServesFreshConnectionSilentPastIdleFor(t *testing.T) {
	cs := newConns(5 * time.Second)
	cs.idleFor = 100 * time.Millisecond
	addr := serve(t, cs, http.HandlerFunc(ok))
	c, br := dial(t, addr)
	for deadline := time.Now().Add(5 * time.Second); cs.count() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // accepted and tracked, so that the drain sees it
			t.Fatal("connection never tracked")
		}
	}
	cs.drain()
	time.Sleep(3 * cs.idleFor) // the scenario: the client says nothing for 3 idle periods
	resp := roundTrip(t, c, br, get)
	if !resp.Close {
		t.Errorf("answer during a drain without Connection: close")
	}
	if n := cs.idleClosed.Load(); n != 0 {
		t.Errorf("idle closes counted: %d, want 0", n)
	}
}
