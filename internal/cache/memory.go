package cache

import (
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Entry is one cached answer.
type Entry struct {
	Value     []byte
	FetchedAt time.Time
	TTL       time.Duration
}

// entryOverhead is what an entry costs besides its key and value bytes: the
// Entry, the LRU's list element and map slot. Measured roughly, on purpose
// generous; it keeps a flood of tiny entries from passing for free.
const entryOverhead = 160

func size(key string, e *Entry) int64 { return int64(len(key) + len(e.Value) + entryOverhead) }

// memory is tier 1: an LRU bounded by items and bytes.
type memory struct {
	mu       sync.Mutex // serialises writes, so the byte count and the LRU agree
	lru      *lru.Cache[string, *Entry]
	maxBytes int64

	bytes     atomic.Int64
	evictions atomic.Uint64
}

func newMemory(maxItems int, maxBytes int64) *memory {
	m := &memory{maxBytes: maxBytes}
	// The callback runs for evictions and for Remove alike; both free bytes.
	l, err := lru.NewWithEvict(max(maxItems, 1), func(k string, e *Entry) {
		m.bytes.Add(-size(k, e))
	})
	if err != nil {
		panic(err) // only for a size <= 0, excluded above
	}
	m.lru = l
	return m
}

func (m *memory) get(key string) (*Entry, bool) { return m.lru.Get(key) }

// add stores e under key; an entry larger than the whole budget is not kept.
func (m *memory) add(key string, e *Entry) {
	n := size(key, e)
	if n > m.maxBytes {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// Add on an existing key replaces it without calling the eviction
	// callback, so its bytes would never be freed: remove it first.
	m.lru.Remove(key)
	if m.lru.Add(key, e) {
		m.evictions.Add(1) // the item bound pushed one out
	}
	m.bytes.Add(n)
	for m.bytes.Load() > m.maxBytes {
		if _, _, ok := m.lru.RemoveOldest(); !ok {
			break
		}
		m.evictions.Add(1)
	}
}

func (m *memory) len() int { return m.lru.Len() }
