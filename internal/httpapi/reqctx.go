package httpapi

import (
	"context"
	"sync"
	"sync/atomic"
)

// reqCtx is a request's context: its parent's (net/http's, cancelled when the
// client goes), plus the correlation id and the cancellation at the
// deadline. It is one allocation where context.WithValue and
// context.WithCancel made three objects and a child entry in the parent, per
// request.
//
// The cancellable part is made the first time someone asks for Done (or at
// the deadline): most requests — health probes, cached answers — never ask,
// and so never pay for it.
type reqCtx struct {
	context.Context // the parent
	id              string

	mu      sync.Mutex // guards making inner
	inner   atomic.Pointer[cancelled]
	expired bool
}

type cancelled struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newReqCtx(parent context.Context, id string) *reqCtx {
	return &reqCtx{Context: parent, id: id}
}

// cancellable returns the cancellable part, making it if need be.
func (c *reqCtx) cancellable() *cancelled {
	if in := c.inner.Load(); in != nil {
		return in
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if in := c.inner.Load(); in != nil {
		return in
	}
	ctx, cancel := context.WithCancel(c.Context)
	in := &cancelled{ctx, cancel}
	if c.expired {
		cancel()
	}
	c.inner.Store(in)
	return in
}

func (c *reqCtx) Done() <-chan struct{} { return c.cancellable().ctx.Done() }

func (c *reqCtx) Err() error {
	if in := c.inner.Load(); in != nil {
		return in.ctx.Err()
	}
	return c.Context.Err() // not expired: expire makes inner first
}

// Value answers the correlation id itself; everything else — the
// cancellable part's own key, which context.Cause and WithCancel look up,
// included — comes from the cancellable part once it exists.
func (c *reqCtx) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return c.id
	}
	if in := c.inner.Load(); in != nil {
		return in.ctx.Value(key)
	}
	return c.Context.Value(key)
}

// expire cancels the context: the deadline passed.
func (c *reqCtx) expire() {
	c.mu.Lock()
	c.expired = true
	c.mu.Unlock()
	c.cancellable().cancel()
}

// release frees the cancellable part's entry in its parent once the request
// is over.
func (c *reqCtx) release() {
	if in := c.inner.Load(); in != nil {
		in.cancel()
	}
}
