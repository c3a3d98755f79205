// Package executor bounds CPU-heavy work in a worker (the guide's
// run_in_executor): at most N pieces run at once, and one more is refused at
// once (ErrBusy, which the API answers 503 with Retry-After) rather than
// queued: a queue without bound is how a slow moment becomes an outage.
//
// The work runs on the caller's goroutine while it holds a slot: in Go the
// pool's job is to bound concurrency, not to own threads.
package executor

import (
	"errors"
	"sync/atomic"
)

// ErrBusy: every slot is taken.
var ErrBusy = errors.New("executor: every slot is busy")

// Pool is a bounded executor.
type Pool struct {
	slots              chan struct{}
	ran, refused, busy atomic.Uint64
}

// New returns a pool of n slots (at least 1).
func New(n int) *Pool { return &Pool{slots: make(chan struct{}, max(n, 1))} }

// Run runs fn in a slot, or returns ErrBusy without running it.
func (p *Pool) Run(fn func() error) error {
	select {
	case p.slots <- struct{}{}:
	default:
		p.refused.Add(1)
		return ErrBusy
	}
	p.busy.Add(1)
	defer func() { <-p.slots; p.busy.Add(^uint64(0)); p.ran.Add(1) }()
	return fn()
}

// Stats are the pool's counters.
type Stats struct {
	Size    int    `json:"size"`
	Busy    uint64 `json:"busy"`
	Ran     uint64 `json:"ran"`
	Refused uint64 `json:"refused"`
}

// Stats returns them.
func (p *Pool) Stats() Stats {
	return Stats{Size: cap(p.slots), Busy: p.busy.Load(), Ran: p.ran.Load(), Refused: p.refused.Load()}
}
