// Package httpstatus holds the one ResponseWriter wrapper of a worker's
// request path. The worker's handler chain (worker.chain) puts one Writer
// around every request; after the handler returns, the request metrics
// (package metrics) and the access log (package logging) read the same
// status and byte count from it, so the two can never disagree about a
// request.
package httpstatus

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// Writer records the status and body size, and calls BeforeHeader once,
// just before the header goes out. It passes Flush and Hijack through and
// unwraps for http.ResponseController (SetWriteDeadline, SetReadDeadline,
// EnableFullDuplex reach the connection's writer that way), so streams (SSE)
// and upgrades (WebSocket) work through it.
type Writer struct {
	http.ResponseWriter
	Status int   // 0 until a final (non-1xx) status or a body was written
	Bytes  int64 // body bytes written
	// BeforeHeader, if set, may still change the header (the drain adds
	// Connection: close). It runs at the first final status, 101, Write or
	// Flush, whichever comes first.
	BeforeHeader func(http.Header)
	headerOut    bool
}

var pool = sync.Pool{New: func() any { return new(Writer) }}

// Get returns a Writer around w from a pool; Put it back once the handler
// has returned and its status was read.
func Get(w http.ResponseWriter, beforeHeader func(http.Header)) *Writer {
	sw := pool.Get().(*Writer)
	*sw = Writer{ResponseWriter: w, BeforeHeader: beforeHeader}
	return sw
}

// Put returns sw to the pool.
func Put(sw *Writer) {
	*sw = Writer{}
	pool.Put(sw)
}

func (w *Writer) header() {
	if w.headerOut {
		return
	}
	w.headerOut = true
	if w.BeforeHeader != nil {
		w.BeforeHeader(w.ResponseWriter.Header())
	}
}

func (w *Writer) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.header()
	}
	if w.Status == 0 && code >= 200 { // 1xx are interim; the final code comes later
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *Writer) Write(b []byte) (int, error) {
	w.header()
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.Bytes += int64(n)
	return n, err
}

func (w *Writer) Flush() {
	w.header()
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
