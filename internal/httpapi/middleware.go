package httpapi

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"time"
)

// HeaderCorrelationID is read from the request or generated, and echoed.
const HeaderCorrelationID = "X-Correlation-ID"

// correlationKey is its canonical form, the key in an http.Header map:
// Header.Get and Set canonicalise a name on every call, and this one, not
// being among net/http's common headers, cost a new string each time.
var correlationKey = http.CanonicalHeaderKey(HeaderCorrelationID)

type ctxKey struct{}

// CorrelationID returns the request's correlation id.
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Begin sets up what every request carries: its correlation id, echoed on
// every answer, the security headers and body bounds (protect; bodyTimeout
// bounds reading a body, 0 = only d), and its deadline d, past which the
// client gets 503 (see serveWithin). One middleware, one r.WithContext: each
// copies the whole request.
func Begin(d, bodyTimeout time.Duration, next http.Handler) http.Handler {
	dl := newDeadlines(d)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if v := r.Header[correlationKey]; len(v) > 0 {
			id = v[0]
		}
		if id == "" || len(id) > 128 {
			id = newID()
		}
		w.Header()[correlationKey] = []string{id}
		if !protect(w, r, bodyTimeout) {
			return
		}
		serveWithin(newReqCtx(r.Context(), id), dl, next, w, r)
	})
}

// Request limits, gunicorn's defaults: its operators' proxies are tuned to them.
const (
	MaxRequestLine  = 4094
	MaxHeaderFields = 100
	MaxHeaderField  = 8190
	// MaxHeaderBytes lets every request our own checks would accept reach
	// them; beyond it net/http answers 431 itself.
	MaxHeaderBytes = MaxRequestLine + MaxHeaderFields*(MaxHeaderField+2)
)

// Limits answers 414 or 431 to a request beyond the limits above.
func Limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Method)+1+len(r.RequestURI)+1+len(r.Proto) > MaxRequestLine {
			writeError(w, http.StatusRequestURITooLong, "Request line too long")
			return
		}
		fields := 0
		for name, values := range r.Header {
			for _, v := range values {
				fields++
				if len(name)+2+len(v) > MaxHeaderField {
					writeError(w, http.StatusRequestHeaderFieldsTooLarge, "Header field too large: "+name)
					return
				}
			}
		}
		if fields > MaxHeaderFields {
			writeError(w, http.StatusRequestHeaderFieldsTooLarge, "Too many header fields")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// newID makes a correlation id: unique, not secret, so math/rand's per-thread
// ChaCha8 does (crypto/rand costs a getrandom syscall per request).
func newID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// Recover turns a handler panic into a 500 for that request alone, logged
// with its stack. http.ErrAbortHandler is net/http's own way to abort a
// response: let it through.
func Recover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Error("panic serving request", "method", r.Method, "path", r.URL.Path,
				"correlation_id", CorrelationID(r.Context()), "panic", v, "stack", string(debug.Stack()))
			writeError(w, http.StatusInternalServerError, "Internal Server Error")
		}()
		next.ServeHTTP(w, r)
	})
}
