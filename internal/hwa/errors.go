package hwa

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an upstream failure by how resync's API answers it.
type Kind int

const (
	// KindUpstream is any other upstream failure (an unexpected status).
	KindUpstream Kind = iota
	// KindAuth: the engine refused resync's credentials (401/403) → 502.
	KindAuth
	// KindNotFound: the engine knows no such id (404) → 404.
	KindNotFound
	// KindBadRequest: the engine rejected a filter or parameter (400) → 400.
	KindBadRequest
	// KindTimeout: no answer within the request timeout → 504.
	KindTimeout
	// KindUnavailable: the breaker is open, the engine is down, overloaded
	// (429/5xx) or unreachable → 503 with Retry-After.
	KindUnavailable
	// KindMalformed: the answer could not be decoded → 502 (logged with the path).
	KindMalformed
)

var kindNames = [...]string{"upstream", "auth", "not_found", "bad_request", "timeout", "unavailable", "malformed"}

func (k Kind) String() string { return kindNames[k] }

// Error is every error the client returns. Its message names the path and
// status, never the credentials or the URL's user info.
type Error struct {
	Kind   Kind
	Path   string // the API path asked, e.g. plan/job/J1
	Status int    // upstream HTTP status, 0 when there was no answer
	// RetryAfter is how long to wait before asking again (KindUnavailable).
	RetryAfter time.Duration
	Detail     string // a short reason, safe to show
	Err        error  // the cause, if any
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("hwa %s: %s", e.Path, e.Detail)
	if e.Status != 0 {
		msg = fmt.Sprintf("hwa %s: status %d: %s", e.Path, e.Status, e.Detail)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind returns the Kind of err if it is (or wraps) an *Error, else KindUpstream.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUpstream
}

// IsKind reports whether err is an *Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
