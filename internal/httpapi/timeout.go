package httpapi

import (
	"net/http"
	"strconv"
	"sync"
)

const timeoutBody = `{"detail":"Request timed out"}` + "\n"

// serveWithin serves r with ctx; past the deadline the client gets a 503 and
// ctx is cancelled, and the worker goes on serving the others.
//
// Not http.TimeoutHandler: it runs every request on a second goroutine and
// buffers the whole response, which cost a quarter of the throughput here.
// Not a timer per request either (about 6 % of a worker's CPU with a
// context.WithCancel): the request joins the deadlines list, whose one sweep
// answers 503 at the deadline — if the handler has not begun its response —
// and cancels the context; whatever the handler writes after that is dropped.
func serveWithin(ctx *reqCtx, dl *deadlines, next http.Handler, w http.ResponseWriter, r *http.Request) {
	defer ctx.release()
	if dl == nil {
		next.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	tw := &timeoutWriter{w: w, ctx: ctx, dl: dl}
	dl.add(tw)
	defer tw.finish() // deferred: http.ErrAbortHandler passes through as a panic
	defer dl.remove(tw)
	next.ServeHTTP(tw, r.WithContext(ctx))
}

// timeoutWriter serialises the handler's writes with the sweep's 503. The
// handler gets a header map of its own, copied over when it writes: otherwise
// its Header().Set could race the sweep's.
type timeoutWriter struct {
	w   http.ResponseWriter
	ctx *reqCtx
	hdr http.Header

	// In the deadlines list, guarded by its mutex.
	dl         *deadlines
	due        int64 // the deadline, in monotonic nanoseconds (deadlines.now)
	prev, next *timeoutWriter
	listed     bool

	mu      sync.Mutex
	wrote   bool // the handler began its response: too late for a 503
	expired bool // the 503 went out: drop the handler's writes
	done    bool // the handler returned: the writer is no longer ours
	// unbounded: a stream lifted the deadline (Unbounded)
	unbounded bool
}

// expire answers 503 unless the handler began its response, and cancels the
// request's context (not for a stream, nor once the handler has returned).
func (tw *timeoutWriter) expire() {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.unbounded || tw.done {
		return
	}
	if !tw.wrote {
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
	}
	tw.ctx.expire()
}

// finish marks the handler returned: a sweep that took the request off the
// list just before must not write to a response net/http has finished.
func (tw *timeoutWriter) finish() {
	tw.mu.Lock()
	tw.done = true
	tw.mu.Unlock()
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
			t.dl.remove(t)
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
