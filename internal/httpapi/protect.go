package httpapi

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// MaxBody is the largest request body any route accepts: resync's bodies
// are small JSON documents (a login), so anything near this is an abuse.
const MaxBody = 64 << 10

// Shared header values, assigned directly: Header.Set would canonicalise
// the key and allocate a slice on every request.
var (
	nosniff = []string{"nosniff"}
	// apiCSP is the policy of every answer that does not set its own: a JSON
	// document loads nothing and may not be framed. Pages (the dashboards)
	// replace it with one that admits exactly their embedded assets.
	apiCSP = []string{"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"}
)

// protect sets the security headers of every answer and bounds the request
// body: beyond MaxBody it is 413 (at once when Content-Length says so, else
// when the handler reads past it), and reading it must finish within
// bodyTimeout, so a client cannot hold a worker by trickling a body. It
// reports whether the request goes on.
func protect(w http.ResponseWriter, r *http.Request, bodyTimeout time.Duration) bool {
	h := w.Header()
	h["X-Content-Type-Options"] = nosniff
	h["Content-Security-Policy"] = apiCSP
	if r.ContentLength == 0 { // GET, HEAD: no body to bound
		return true
	}
	if r.ContentLength > MaxBody {
		h.Set("Connection", "close") // do not read a body this size to reuse the connection
		writeError(w, http.StatusRequestEntityTooLarge, "Request body larger than "+strconv.Itoa(MaxBody)+" bytes")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if bodyTimeout > 0 {
		// Not every writer reaches a connection (httptest's does not).
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	}
	return true
}

// ReadJSON decodes the request body into v, for handlers mounted through
// Options.Routes that read one. On failure it has answered — 413 past
// MaxBody, 408 past the body deadline, 400 for anything else, never echoing
// the body (it may hold a password) — and returns false.
func ReadJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(r.Body).Decode(v)
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooBig):
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestEntityTooLarge, "Request body larger than "+strconv.Itoa(MaxBody)+" bytes")
	case errors.As(err, &netErr) && netErr.Timeout():
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestTimeout, "Request body not received in time")
	default:
		writeError(w, http.StatusBadRequest, "Request body is not the JSON document expected")
	}
	return false
}
