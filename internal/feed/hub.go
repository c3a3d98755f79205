package feed

import (
	"errors"
	"sync"
	"sync/atomic"
)

// RecentSize is how many entries the hub keeps for new WebSocket clients
// (the original sent the last 50 on connect).
const RecentSize = 50

// DefaultBuffer is a client's buffer in entries. A poll of a busy plan can
// emit a few hundred events at once; a client this far behind is too slow.
const DefaultBuffer = 1024

// Reasons a subscription ends.
const (
	ReasonOverflow = "overflow" // the client did not keep up
	ReasonDraining = "draining" // the worker is draining
	ReasonClosed   = "closed"   // the client left
)

// ErrDraining refuses subscriptions once the hub is closed.
var ErrDraining = errors.New("feed: worker draining")

// Hub fans entries out to this worker's subscribers. Publish never blocks:
// a subscriber whose buffer is full is dropped.
type Hub struct {
	mu        sync.Mutex
	subs      map[*Sub]struct{}
	recent    []Entry // the last RecentSize entries, oldest first
	closed    bool
	seeded    chan struct{} // closed by the first Seed
	overflows atomic.Uint64
	published atomic.Uint64
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*Sub]struct{}{}, seeded: make(chan struct{})} }

// Sub is one client's subscription. C carries pointers to entries that every
// subscriber shares and none may change: a buffer of Entry values would be
// 72 bytes a slot, 72 KiB for each idle client at DefaultBuffer.
type Sub struct {
	C      chan *Entry
	hub    *Hub
	done   chan struct{}
	once   sync.Once
	reason atomic.Value // string
}

// Done is closed when the subscription ends; Reason says why.
func (s *Sub) Done() <-chan struct{} { return s.done }

// Reason is why the subscription ended ("" while it lasts).
func (s *Sub) Reason() string {
	r, _ := s.reason.Load().(string)
	return r
}

// Close ends the subscription (the client left).
func (s *Sub) Close() {
	s.hub.mu.Lock()
	delete(s.hub.subs, s)
	s.hub.mu.Unlock()
	s.end(ReasonClosed)
}

func (s *Sub) end(reason string) {
	s.once.Do(func() {
		s.reason.Store(reason)
		close(s.done)
	})
}

// Subscribe adds a subscriber with a buffer of that many entries and returns
// it with the last n entries published before it — atomically, so that the
// two neither overlap nor leave a gap.
func (h *Hub) Subscribe(buffer, n int) (*Sub, []Entry, error) {
	if buffer < 1 {
		buffer = DefaultBuffer
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, ErrDraining
	}
	s := &Sub{C: make(chan *Entry, buffer), hub: h, done: make(chan struct{})}
	h.subs[s] = struct{}{}
	n = min(n, len(h.recent))
	return s, append([]Entry(nil), h.recent[len(h.recent)-n:]...), nil
}

// Seed sets the recent entries without sending them (a reader's start).
// The first Seed marks the point from which the reader publishes everything.
func (h *Hub) Seed(entries []Entry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remember(entries)
	select {
	case <-h.seeded:
	default:
		close(h.seeded)
	}
}

// Seeded is closed once the reader has read the stream's tail: from then on
// every new entry is published. A client that replays the stream before that
// could miss the entries between its replay and the reader's start, and a
// WebSocket client would get an empty recent list, so the handlers wait for it.
func (h *Hub) Seeded() <-chan struct{} { return h.seeded }

// Publish sends entries to every subscriber, dropping those that are full.
func (h *Hub) Publish(entries ...Entry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remember(entries)
	h.published.Add(uint64(len(entries)))
	shared := append([]Entry(nil), entries...) // the caller's slice stays its own
	for s := range h.subs {
		for i := range shared {
			select {
			case s.C <- &shared[i]:
				continue
			default:
			}
			delete(h.subs, s)
			h.overflows.Add(1)
			s.end(ReasonOverflow)
			break
		}
	}
}

func (h *Hub) remember(entries []Entry) {
	h.recent = append(h.recent, entries...)
	if over := len(h.recent) - RecentSize; over > 0 {
		h.recent = append(h.recent[:0:0], h.recent[over:]...)
	}
}

// LastID is the id of the newest entry seen, "" before any.
func (h *Hub) LastID() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.recent) == 0 {
		return ""
	}
	return h.recent[len(h.recent)-1].ID
}

// Close ends every subscription with ReasonDraining and refuses new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		s.end(ReasonDraining)
	}
}

// Stats is what the hub counts.
type Stats struct {
	Clients   int    `json:"clients"`
	Overflows uint64 `json:"overflows"` // clients dropped for not keeping up
	Published uint64 `json:"published"`
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	n := len(h.subs)
	h.mu.Unlock()
	return Stats{Clients: n, Overflows: h.overflows.Load(), Published: h.published.Load()}
}
