package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

const timeoutBody = `{"detail":"Request timed out"}` + "\n"

// serveWithin serves r with ctx; past d the client gets a 503 and ctx is
// cancelled, and the worker goes on serving the others.
//
// Not http.TimeoutHandler: it runs every request on a second goroutine and
// buffers the whole response, which cost a quarter of the throughput here.
// A timer instead answers 503 at the deadline — if the handler has not begun
// its response — and cancels the context; whatever the handler writes after
// that is dropped.
func serveWithin(ctx context.Context, d time.Duration, next http.Handler, w http.ResponseWriter, r *http.Request) {
	if d <= 0 {
		next.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tw := &timeoutWriter{w: w}
	tw.timer = time.AfterFunc(d, func() {
		if tw.expire() {
			cancel()
		}
	})
	defer tw.timer.Stop()
	next.ServeHTTP(tw, r.WithContext(ctx))
}

// timeoutWriter serialises the handler's writes with the timer's 503. The
// handler gets a header map of its own, copied over when it writes: otherwise
// its Header().Set could race the timer's.
type timeoutWriter struct {
	w       http.ResponseWriter
	timer   *time.Timer
	hdr     http.Header
	mu      sync.Mutex
	wrote   bool // the handler began its response: too late for a 503
	expired bool // the 503 went out: drop the handler's writes
	// unbounded: a stream lifted the deadline (Unbounded)
	unbounded bool
}

// expire answers 503 unless the handler began its response; it reports
// whether the request's context is to be cancelled (not for a stream).
func (tw *timeoutWriter) expire() bool {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.unbounded {
		return false
	}
	if tw.wrote {
		return true
	}
	tw.expired = true
	h := tw.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(timeoutBody)))
	h.Set("Connection", "close")
	tw.w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = tw.w.Write([]byte(timeoutBody))
	if f, ok := tw.w.(http.Flusher); ok {
		f.Flush() // the client has its answer now, whenever the handler returns
	}
	return true
}

func (tw *timeoutWriter) Header() http.Header {
	if tw.hdr == nil {
		tw.hdr = http.Header{}
	}
	return tw.hdr
}

// begin moves the handler's headers to the real response, once.
func (tw *timeoutWriter) begin() {
	if tw.wrote {
		return
	}
	tw.wrote = true
	dst := tw.w.Header()
	for k, v := range tw.hdr {
		dst[k] = v
	}
}

func (tw *timeoutWriter) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.expired {
		return
	}
	tw.begin()
	tw.w.WriteHeader(code)
}

func (tw *timeoutWriter) Write(b []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.expired {
		return 0, http.ErrHandlerTimeout
	}
	tw.begin()
	return tw.w.Write(b)
}

// Flush sends what the handler wrote so far.
func (tw *timeoutWriter) Flush() {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.expired {
		return
	}
	tw.begin()
	if f, ok := tw.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController (and WebSocket libraries) reach the
// connection's Hijack and deadlines.
func (tw *timeoutWriter) Unwrap() http.ResponseWriter { return tw.w }

// Unbounded lifts RESYNC_TIMEOUT from the request that w answers: for a stream
// (SSE, WebSocket) that lives as long as its client. It reports false when
// the deadline has already passed (the client got its 503).
func Unbounded(w http.ResponseWriter) bool {
	for {
		switch t := w.(type) {
		case *timeoutWriter:
			t.timer.Stop()
			t.mu.Lock()
			defer t.mu.Unlock()
			t.unbounded = !t.expired
			return t.unbounded
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return true
		}
	}
}
