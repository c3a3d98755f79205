package redisclient

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Report is what one PING found.
type Report struct {
	Latency time.Duration
	Err     error
}

// Ping sends one PING, bounded by probeTimeout, and times it.
func Ping(ctx context.Context, c redis.UniversalClient) Report {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	start := time.Now()
	err := c.Ping(ctx).Err()
	if err != nil {
		err = Describe(err)
	}
	return Report{Latency: time.Since(start), Err: err}
}

// ErrUnavailable wraps every Redis failure Describe explains.
var ErrUnavailable = errors.New("redis unavailable")

// Describe names a failure the way an operator searches for it: a refused
// connection says ConnectionRefusedError (the guide's troubleshooting line).
func Describe(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return &describedError{err: err}
}

type describedError struct{ err error }

func (e *describedError) Error() string {
	msg := e.err.Error()
	switch {
	case isRefused(e.err):
		return "redis unavailable: ConnectionRefusedError: " + msg
	case errors.Is(e.err, context.DeadlineExceeded) || isTimeout(e.err):
		return "redis unavailable: timeout: " + msg
	}
	return "redis unavailable: " + msg
}

func (e *describedError) Unwrap() []error { return []error{ErrUnavailable, e.err} }
