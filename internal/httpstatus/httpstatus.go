// Package httpstatus holds the one ResponseWriter wrapper that records what a
// handler answered — the final status code and the body bytes — for the two
// readers of it: the request metrics (package metrics) and the access log
// (package logging). The outer of the two wraps; the inner finds the same
// Writer (Wrap), so a request is wrapped once and both read one record.
package httpstatus

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// Writer records the status and body size. It passes Flush and Hijack
// through and unwraps for http.ResponseController, so streaming and upgrades
// work through it.
type Writer struct {
	http.ResponseWriter
	Status int   // 0 until a final (non-1xx) status or a body was written
	Bytes  int64 // body bytes written
}

var pool = sync.Pool{New: func() any { return new(Writer) }}

// Wrap returns w as a *Writer: w itself when it already is one (an outer
// middleware wrapped it), else a new one from a pool, which release returns;
// release is a no-op for a Writer the caller did not create. Call release
// once the handler has returned and the status was read.
func Wrap(w http.ResponseWriter) (sw *Writer, release func()) {
	if sw, ok := w.(*Writer); ok {
		return sw, func() {}
	}
	sw = pool.Get().(*Writer)
	sw.ResponseWriter, sw.Status, sw.Bytes = w, 0, 0
	return sw, sw.release
}

func (w *Writer) release() {
	w.ResponseWriter = nil
	pool.Put(w)
}

func (w *Writer) WriteHeader(code int) {
	if w.Status == 0 && code >= 200 { // 1xx are interim; the final code comes later
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *Writer) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.Bytes += int64(n)
	return n, err
}

func (w *Writer) Flush() {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
