// Package batch owns the guide's BatchProcessor: items are gathered and
// handed to a flush function in groups, when a group reaches its size or when
// its oldest item has waited long enough, whichever comes first (the guide's
// batch_size=100, max_wait_ms=500).
//
// Hand-written: the standard library has no such piece and the libraries that
// do (e.g. for Kafka producers) bring far more than these sixty lines.
package batch

import (
	"sync"
	"time"
)

// The guide's figures.
const (
	DefaultSize    = 100
	DefaultMaxWait = 500 * time.Millisecond
)

// Processor gathers items of type T and flushes them in order, from one
// goroutine, so flush never runs concurrently with itself.
type Processor[T any] struct {
	size    int
	maxWait time.Duration
	flush   func([]T)
	after   func(time.Duration) <-chan time.Time
	in      chan T
	sync    chan chan struct{}
	done    chan struct{}
	close   sync.Once
}

// Option changes a Processor at construction.
type Option func(*options)

type options struct {
	after func(time.Duration) <-chan time.Time
}

// WithClock replaces time.After: tests drive the max-wait timer through it.
func WithClock(after func(time.Duration) <-chan time.Time) Option {
	return func(o *options) { o.after = after }
}

// New starts a Processor. size < 1 means DefaultSize; maxWait <= 0 means
// DefaultMaxWait.
func New[T any](size int, maxWait time.Duration, flush func([]T), opts ...Option) *Processor[T] {
	o := options{after: time.After}
	for _, f := range opts {
		f(&o)
	}
	if size < 1 {
		size = DefaultSize
	}
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	p := &Processor[T]{size: size, maxWait: maxWait, flush: flush, after: o.after,
		in: make(chan T, size), sync: make(chan chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// Add queues one item. It blocks only while a flush of a full group is
// under way and the queue is full: back-pressure, never loss.
func (p *Processor[T]) Add(item T) { p.in <- item }

// Flush hands over what is gathered now and returns once flush has run.
func (p *Processor[T]) Flush() {
	ack := make(chan struct{})
	p.sync <- ack
	<-ack
}

// Close flushes what is left and stops. Add must not be called after Close.
func (p *Processor[T]) Close() {
	p.close.Do(func() { close(p.in) })
	<-p.done
}

func (p *Processor[T]) run() {
	defer close(p.done)
	var (
		group []T
		timer <-chan time.Time // nil while the group is empty: a nil channel never fires
	)
	emit := func() {
		if len(group) > 0 {
			p.flush(group)
			group = nil
		}
		timer = nil
	}
	for {
		select {
		case item, ok := <-p.in:
			if !ok {
				emit()
				return
			}
			group = append(group, item)
			if len(group) == 1 {
				timer = p.after(p.maxWait)
			}
			if len(group) >= p.size {
				emit()
			}
		case <-timer:
			emit()
		case ack := <-p.sync:
			// Take what is already queued, so Flush covers every Add that returned before it.
			for len(p.in) > 0 && len(group) < p.size {
				group = append(group, <-p.in)
			}
			emit()
			close(ack)
		}
	}
}
