package httpapi

import (
	"sync"
	"time"
)

// deadlines is the one clock of a handler's request deadlines (RESYNC_TIMEOUT).
// Every request has the same timeout, so requests in the order they began
// are also in the order they expire: a list in start order, with the oldest
// first, is all the bookkeeping needed. A request joins its tail and leaves
// from wherever it is (both O(1), no allocation, no timer); a sweep every
// tick expires requests from the head until it meets one still in time.
//
// The sweep runs on a goroutine of its own that exists only while requests
// are in flight: it stops at a tick that finds the list empty, and the next
// request starts it again — at most one goroutine start per tick.
//
// A request is answered 503 between its deadline and one tick later; the
// tick is a tenth of the timeout, at most a second and at least a
// millisecond.
type deadlines struct {
	timeout time.Duration
	tick    time.Duration

	mu         sync.Mutex
	head, tail *timeoutWriter
	sweeping   bool
}

func newDeadlines(timeout time.Duration) *deadlines {
	if timeout <= 0 {
		return nil
	}
	return &deadlines{timeout: timeout, tick: min(max(timeout/10, time.Millisecond), time.Second)}
}

// epoch makes deadlines plain integers on the monotonic clock.
var epoch = time.Now()

func monotonic() int64 { return int64(time.Since(epoch)) }

// add puts tw at the tail, due one timeout from now.
func (dl *deadlines) add(tw *timeoutWriter) {
	tw.due = monotonic() + int64(dl.timeout)
	dl.mu.Lock()
	tw.prev, tw.next, tw.listed = dl.tail, nil, true
	if dl.tail != nil {
		dl.tail.next = tw
	} else {
		dl.head = tw
	}
	dl.tail = tw
	if !dl.sweeping {
		dl.sweeping = true
		go dl.sweep()
	}
	dl.mu.Unlock()
}

// remove takes tw off the list, if it is still on it.
func (dl *deadlines) remove(tw *timeoutWriter) {
	dl.mu.Lock()
	dl.unlinkLocked(tw)
	dl.mu.Unlock()
}

func (dl *deadlines) unlinkLocked(tw *timeoutWriter) {
	if !tw.listed {
		return
	}
	if tw.prev != nil {
		tw.prev.next = tw.next
	} else {
		dl.head = tw.next
	}
	if tw.next != nil {
		tw.next.prev = tw.prev
	} else {
		dl.tail = tw.prev
	}
	tw.prev, tw.next, tw.listed = nil, nil, false
}

// sweep expires, every tick, the requests past their deadline; it returns
// at a tick with no request in flight.
func (dl *deadlines) sweep() {
	t := time.NewTicker(dl.tick)
	defer t.Stop()
	var due []*timeoutWriter
	for range t.C {
		now := monotonic()
		dl.mu.Lock()
		if dl.head == nil {
			dl.sweeping = false
			dl.mu.Unlock()
			return
		}
		for dl.head != nil && dl.head.due <= now {
			tw := dl.head
			dl.unlinkLocked(tw)
			due = append(due, tw)
		}
		dl.mu.Unlock()
		// Outside the list's lock: expire writes to the client.
		for i, tw := range due {
			tw.expire()
			due[i] = nil
		}
		due = due[:0]
	}
}
