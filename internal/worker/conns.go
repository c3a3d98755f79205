package worker

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// How a drain ends keep-alive connections (the rule is in doc.go).
const (
	// drainIdle: a connection idle this long while draining is closed; one
	// in use gets Connection: close on its next answer instead.
	drainIdle = time.Second
	// lingerFor bounds how long a closing connection waits for the peer's
	// FIN while discarding what it still sends.
	lingerFor = 2 * time.Second
)

// conns is every connection the server holds, wrapped so that a drain
// decides when each one closes, and so that each closes without a reset.
type conns struct {
	draining atomic.Bool
	idleFor  time.Duration // drainIdle, or the keep-alive timeout when shorter

	mu   sync.Mutex
	all  map[*conn]struct{}
	zero chan struct{} // closed while all is empty

	lingering sync.WaitGroup // closes still waiting for the peer's FIN

	// Measured during a drain, for its log line.
	answeredClose atomic.Int64 // answers sent with Connection: close
	idleClosed    atomic.Int64 // idle connections closed after idleFor
	maxGap        atomic.Int64 // longest idle gap (ns) before a request that still came
}

func newConns(keepalive time.Duration) *conns {
	c := &conns{idleFor: drainIdle, all: map[*conn]struct{}{}, zero: make(chan struct{})}
	close(c.zero)
	if keepalive > 0 && keepalive < c.idleFor {
		c.idleFor = keepalive
	}
	return c
}

// listener wraps accepted connections.
type listener struct {
	net.Listener
	cs *conns
}

func (l listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: nc, cs: l.cs, idle: true, idleSince: time.Now()}, nil
}

// track is the server's ConnState hook.
func (cs *conns) track(nc net.Conn, st http.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	switch st {
	case http.StateNew:
		cs.mu.Lock()
		if len(cs.all) == 0 {
			cs.zero = make(chan struct{})
		}
		cs.all[c] = struct{}{}
		cs.mu.Unlock()
	case http.StateActive:
		c.busy()
	case http.StateIdle:
		c.markIdle()
	case http.StateClosed, http.StateHijacked:
		cs.mu.Lock()
		if _, ok := cs.all[c]; ok {
			delete(cs.all, c)
			if len(cs.all) == 0 {
				close(cs.zero)
			}
		}
		cs.mu.Unlock()
	}
}

// drain starts the drain: from now on answers carry Connection: close (see
// beforeHeader) and idle connections close once idle for idleFor.
func (cs *conns) drain() {
	cs.draining.Store(true)
	cs.mu.Lock()
	list := make([]*conn, 0, len(cs.all))
	for c := range cs.all {
		list = append(list, c)
	}
	cs.mu.Unlock()
	for _, c := range list {
		c.clamp()
	}
}

// beforeHeader makes every answer whose header goes out while draining say
// Connection: close, so net/http closes that connection after it — the
// client, told so, sends nothing more on it. The check is at the header
// (httpstatus.Writer.BeforeHeader), not at the request's start, so a request
// already in flight when the drain begins is answered with it too.
func (cs *conns) beforeHeader(h http.Header) {
	if cs.draining.Load() {
		h.Set("Connection", "close")
		cs.answeredClose.Add(1)
	}
}

func (cs *conns) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.all)
}

// wait returns when every connection is closed and its linger is over, or
// with ctx's error.
func (cs *conns) wait(ctx context.Context) error {
	cs.mu.Lock()
	zero := cs.zero
	cs.mu.Unlock()
	select {
	case <-zero:
	case <-ctx.Done():
		return ctx.Err()
	}
	done := make(chan struct{})
	go func() { cs.lingering.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// conn is one accepted connection. While it is idle between an answer and
// the first byte of the next request, a drain caps its read deadline at
// idleSince+idleFor, so net/http's own idle wait ends there and net/http
// closes it. A connection that has carried no request yet is not capped: its
// client has had no answer, so no reason to expect a close, and net/http's
// header timeout bounds it. Once a byte arrives the cap is
// lifted and the request is served (with Connection: close).
type conn struct {
	net.Conn
	cs *conns

	mu        sync.Mutex
	idle      bool
	used      bool // has carried a request: only then does the drain's idle cap apply
	idleSince time.Time
	asked     time.Time // the read deadline net/http last set
	capped    bool      // the deadline in force is the drain's cap, not asked
	closed    bool
}

func (c *conn) markIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle, c.idleSince = true, time.Now()
	c.applyLocked(false)
}

// busy: a request is arriving; give it net/http's own deadline back.
func (c *conn) busy() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.idle {
		return
	}
	c.idle, c.used = false, true
	if c.cs.draining.Load() {
		gap := int64(time.Since(c.idleSince))
		for old := c.cs.maxGap.Load(); gap > old && !c.cs.maxGap.CompareAndSwap(old, gap); old = c.cs.maxGap.Load() {
		}
	}
	c.applyLocked(false)
}

// clamp applies the drain's cap to a connection that is idle now.
func (c *conn) clamp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applyLocked(false)
}

// applyLocked puts in force the deadline net/http asked for, or the drain's
// cap on it. Outside a drain it touches the socket only when forced (a
// deadline net/http sets), so a request costs no extra timer update.
func (c *conn) applyLocked(force bool) {
	if c.closed {
		return
	}
	d, capped := c.asked, false
	if c.idle && c.used && c.cs.draining.Load() {
		if limit := c.idleSince.Add(c.cs.idleFor); d.IsZero() || limit.Before(d) {
			d, capped = limit, true
		}
	}
	if force || capped || c.capped {
		c.Conn.SetReadDeadline(d)
	}
	c.capped = capped
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = t
	c.applyLocked(true)
	return nil
}

func (c *conn) SetDeadline(t time.Time) error {
	c.Conn.SetWriteDeadline(t)
	return c.SetReadDeadline(t)
}

func (c *conn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if n > 0 {
			c.busy()
			return n, err
		}
		// The drain's cap fired. If a request's bytes came in just as it
		// did, serve them rather than close under them.
		if ne, ok := err.(net.Error); ok && ne.Timeout() && c.wasCapped() && c.pending() {
			c.busy()
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() && c.wasCapped() {
			c.cs.idleClosed.Add(1)
		}
		return n, err
	}
}

func (c *conn) wasCapped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.capped && c.idle
}

// pending reports whether the peer has sent bytes not read yet. It peeks
// through Control, which works past an expired deadline.
func (c *conn) pending() bool {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var n int
	raw.Control(func(fd uintptr) {
		var b [1]byte
		n, _, _ = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	})
	return n > 0
}

// CloseWrite lets net/http half-close as it does for unread request bodies.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close half-closes: the answer already written goes out followed by our FIN,
// then whatever the peer still sends is read and discarded until its own FIN
// (or lingerFor), and only then is the socket closed. Closing at once with
// unread bytes in the receive queue — a request body the handler did not
// read, or a request that crossed our FIN — would send a reset, and a reset
// can destroy the answer before the client has read it. The wait happens off
// net/http's goroutine; the drain waits for it before the worker exits.
func (c *conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.cs.lingering.Add(1)
	go func() {
		defer c.cs.lingering.Done()
		c.CloseWrite()
		c.Conn.SetReadDeadline(time.Now().Add(lingerFor))
		io.Copy(io.Discard, c.Conn)
		c.Conn.Close()
	}()
	return nil
}
