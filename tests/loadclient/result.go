package loadclient

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Failure is one request that did not get its answer.
type Failure struct {
	Client Client
	// Kind: refused, reset, eof (closed before any answer byte), short (closed
	// or reset in the middle of the answer), timeout, status, or other.
	Kind string
	// Reused: the connection had already carried an answer, so the server
	// closed or reset a keep-alive connection under this request.
	Reused bool
	Status int // the status got, for Kind "status"
	At     time.Time
	Err    string
}

func (f Failure) String() string {
	reused := ""
	if f.Reused {
		reused = " (reused connection)"
	}
	return fmt.Sprintf("%s %s %s%s: %s", f.At.Format("15:04:05.000000"), f.Client, f.Kind, reused, f.Err)
}

// Result is what a load saw.
type Result struct {
	OK int64
	// Closes counts answers on keep-alive clients that said Connection: close.
	Closes   int64
	Failures []Failure
	// ByKind counts failures by "client kind", e.g. "keep-alive GET eof".
	ByKind map[string]int64
}

// Failed counts the failures for which keep returns true (all when nil).
func (r Result) Failed(keep func(Failure) bool) int {
	n := 0
	for _, f := range r.Failures {
		if keep == nil || keep(f) {
			n++
		}
	}
	return n
}

// String is a one-line summary: answers, failures by kind, a few examples.
func (r Result) String() string {
	s := fmt.Sprintf("%d ok, %d failed", r.OK, len(r.Failures))
	if r.Closes > 0 {
		s += fmt.Sprintf(", %d Connection: close on keep-alive", r.Closes)
	}
	if len(r.ByKind) == 0 {
		return s
	}
	kinds := make([]string, 0, len(r.ByKind))
	for k, n := range r.ByKind {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(kinds)
	s += " (" + strings.Join(kinds, ", ") + ")"
	for i, f := range r.Failures {
		if i == 5 {
			s += "; …"
			break
		}
		s += "; " + f.String()
	}
	return s
}

type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

type statusError struct {
	method, path string
	got, want    int
}

func (e *statusError) Error() string {
	if e.want == 0 {
		return fmt.Sprintf("%s %s: status %d, want < 500", e.method, e.path, e.got)
	}
	return fmt.Sprintf("%s %s: status %d, want %d", e.method, e.path, e.got, e.want)
}

func kindOf(err error) string {
	var se *statusError
	var ne net.Error
	var oe *opError
	errors.As(err, &oe)
	switch {
	case errors.As(err, &se):
		return "status"
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT) && oe != nil && oe.op == "dial":
		return "refused"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case oe != nil && oe.op == "read body":
		return "short"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	}
	return "other"
}
