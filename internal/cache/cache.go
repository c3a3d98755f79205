package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Source says where an answer came from.
type Source string

const (
	FromMemory   Source = "memory"   // this worker's tier 1
	FromShared   Source = "redis"    // tier 2
	FromUpstream Source = "upstream" // the engine, just now
	FromStale    Source = "stale"    // past its TTL: the engine failed, or another holder is refreshing it
)

// Shared is tier 2, shared by every worker and host.
type Shared interface {
	// Get returns the entry under key, if any.
	Get(ctx context.Context, key string) (*Entry, bool, error)
	// Set stores e under key, to be kept for keep (its TTL plus the stale window).
	Set(ctx context.Context, key string, e *Entry, keep time.Duration) error
	// TryLock takes key's fill lock for at most ttl; ok false means another
	// holder has it. unlock releases it only if it is still ours.
	TryLock(ctx context.Context, key string, ttl time.Duration) (unlock func(), ok bool, err error)
}

// Options configure a Cache.
type Options struct {
	MaxItems int
	MaxBytes int64
	StaleMax time.Duration // how long past its TTL an entry may be served when a fill fails
	Shared   Shared        // nil: tier 1 only
	// LockTTL bounds a fill lock (a holder that dies frees it after this);
	// Wait is how long a worker without the lock waits for the holder's
	// entry when it has nothing stale to serve, before filling itself.
	LockTTL time.Duration
	Wait    time.Duration
}

// Cache is the two tiers with coalescing. Safe for concurrent use.
type Cache struct {
	o   Options
	mem *memory
	sf  singleflight.Group
	// refreshing holds the keys whose flight is under way (see Get).
	refreshing sync.Map

	hits, sharedHits, misses, fills, fillErrors, stale atomic.Uint64
}

// New returns a cache; zero options take small defaults.
func New(o Options) *Cache {
	if o.MaxItems <= 0 {
		o.MaxItems = 1000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 100 << 20
	}
	if o.LockTTL <= 0 {
		o.LockTTL = 30 * time.Second
	}
	if o.Wait <= 0 {
		o.Wait = 5 * time.Second
	}
	return &Cache{o: o, mem: newMemory(o.MaxItems, o.MaxBytes)}
}

// Result is an answer and where it came from.
type Result struct {
	Value     []byte
	Source    Source
	FetchedAt time.Time
	// Err is the fill's error when a stale entry was served in its place.
	Err error
}

// Age is how old the answer is.
func (r Result) Age() time.Duration { return time.Since(r.FetchedAt) }

// Fill asks the engine for a key's value.
type Fill func(ctx context.Context) ([]byte, error)

func fresh(e *Entry, now time.Time) bool { return now.Sub(e.FetchedAt) < e.TTL }

func (c *Cache) usable(e *Entry, now time.Time) bool {
	return e != nil && now.Sub(e.FetchedAt) < e.TTL+c.o.StaleMax
}

// Get answers key from the tiers, or fills it (once, however many ask at
// the same time) and keeps the answer for ttl.
func (c *Cache) Get(ctx context.Context, key string, ttl time.Duration, fill Fill) (Result, error) {
	now := time.Now()
	e, ok := c.mem.get(key)
	if ok && fresh(e, now) {
		c.hits.Add(1)
		return Result{Value: e.Value, Source: FromMemory, FetchedAt: e.FetchedAt}, nil
	}
	// One caller refreshes an expired key; while it does, the others are
	// served the old entry rather than queued behind the refresh — a hot
	// key's expiry would otherwise stall every request for it at once.
	if ok && c.usable(e, now) {
		if _, busy := c.refreshing.Load(key); busy {
			c.stale.Add(1)
			return Result{Value: e.Value, Source: FromStale, FetchedAt: e.FetchedAt}, nil
		}
	}
	// The fill must not die with the first caller's request: the others
	// share it. It keeps the first caller's deadline through WithoutCancel
	// plus the lock's bound.
	v, err, _ := c.sf.Do(key, func() (any, error) {
		c.refreshing.Store(key, struct{}{})
		defer c.refreshing.Delete(key)
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.LockTTL)
		defer cancel()
		return c.miss(fctx, key, ttl, fill)
	})
	if err != nil {
		return Result{}, err
	}
	return v.(Result), nil
}

func (c *Cache) miss(ctx context.Context, key string, ttl time.Duration, fill Fill) (Result, error) {
	now := time.Now()
	stale, _ := c.mem.get(key)
	if stale != nil && fresh(stale, now) { // filled while we queued for the flight
		c.hits.Add(1)
		return Result{Value: stale.Value, Source: FromMemory, FetchedAt: stale.FetchedAt}, nil
	}
	c.misses.Add(1)
	if c.o.Shared == nil {
		return c.fill(ctx, key, ttl, fill, stale)
	}
	if e, ok, err := c.o.Shared.Get(ctx, key); err == nil && ok {
		if fresh(e, now) {
			c.sharedHits.Add(1)
			c.mem.add(key, e)
			return Result{Value: e.Value, Source: FromShared, FetchedAt: e.FetchedAt}, nil
		}
		if stale == nil || e.FetchedAt.After(stale.FetchedAt) {
			stale = e
		}
	}
	unlock, ok, err := c.o.Shared.TryLock(ctx, key, c.o.LockTTL)
	if err != nil || ok {
		// With the lock — or with tier 2 failing, when resync fills alone
		// rather than not at all — ask the engine.
		if ok {
			defer unlock()
			// The holder before us may have stored the fresh entry and
			// unlocked between our read of tier 2 and our lock: look again
			// rather than ask the engine a second time in the same TTL.
			if e, found, err := c.o.Shared.Get(ctx, key); err == nil && found && fresh(e, time.Now()) {
				c.sharedHits.Add(1)
				c.mem.add(key, e)
				return Result{Value: e.Value, Source: FromShared, FetchedAt: e.FetchedAt}, nil
			}
		}
		return c.fill(ctx, key, ttl, fill, stale)
	}
	// Another worker or host is filling: serve what we have, or wait for it.
	if c.usable(stale, now) {
		c.stale.Add(1)
		return Result{Value: stale.Value, Source: FromStale, FetchedAt: stale.FetchedAt}, nil
	}
	if r, ok := c.await(ctx, key); ok {
		return r, nil
	}
	return c.fill(ctx, key, ttl, fill, stale)
}

// await polls tier 2 for a fresh entry for up to Wait.
func (c *Cache) await(ctx context.Context, key string) (Result, bool) {
	deadline := time.Now().Add(c.o.Wait)
	for delay := 10 * time.Millisecond; time.Now().Before(deadline); delay = min(delay*2, 200*time.Millisecond) {
		select {
		case <-ctx.Done():
			return Result{}, false
		case <-time.After(delay):
		}
		if e, ok, err := c.o.Shared.Get(ctx, key); err == nil && ok && fresh(e, time.Now()) {
			c.sharedHits.Add(1)
			c.mem.add(key, e)
			return Result{Value: e.Value, Source: FromShared, FetchedAt: e.FetchedAt}, true
		}
	}
	return Result{}, false
}

func (c *Cache) fill(ctx context.Context, key string, ttl time.Duration, fill Fill, stale *Entry) (Result, error) {
	c.fills.Add(1)
	v, err := fill(ctx)
	if err != nil {
		c.fillErrors.Add(1)
		if c.usable(stale, time.Now()) && !errors.Is(err, ErrNoStale) {
			c.stale.Add(1)
			return Result{Value: stale.Value, Source: FromStale, FetchedAt: stale.FetchedAt, Err: err}, nil
		}
		return Result{}, err
	}
	e := c.put(ctx, key, v, ttl)
	return Result{Value: v, Source: FromUpstream, FetchedAt: e.FetchedAt}, nil
}

// Put stores value under key for ttl in both tiers, fresh or not what is
// there: a producer that read the engine anyway (the monitoring poller)
// refreshes the entries, so that readers keep hitting between its rounds.
func (c *Cache) Put(ctx context.Context, key string, value []byte, ttl time.Duration) {
	c.put(ctx, key, value, ttl)
}

func (c *Cache) put(ctx context.Context, key string, value []byte, ttl time.Duration) *Entry {
	e := &Entry{Value: value, FetchedAt: time.Now(), TTL: ttl}
	c.mem.add(key, e)
	if c.o.Shared != nil {
		_ = c.o.Shared.Set(ctx, key, e, ttl+c.o.StaleMax) // tier 2 failing only costs sharing
	}
	return e
}

// ErrNoStale, wrapped by a fill's error, says that no stale answer may stand
// in (the engine said the thing does not exist, say).
var ErrNoStale = errors.New("no stale answer for this error")

// Stats are the cache's counters since start.
type Stats struct {
	Hits       uint64 `json:"hits"`        // tier 1
	SharedHits uint64 `json:"shared_hits"` // tier 2
	Misses     uint64 `json:"misses"`      // not fresh in tier 1
	Fills      uint64 `json:"fills"`       // upstream calls
	FillErrors uint64 `json:"fill_errors"`
	Stale      uint64 `json:"stale"` // stale answers served
	Evictions  uint64 `json:"evictions"`
	Items      int    `json:"items"`
	Bytes      int64  `json:"bytes"`
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.hits.Load(), SharedHits: c.sharedHits.Load(), Misses: c.misses.Load(),
		Fills: c.fills.Load(), FillErrors: c.fillErrors.Load(), Stale: c.stale.Load(),
		Evictions: c.mem.evictions.Load(), Items: c.mem.len(), Bytes: c.mem.bytes.Load()}
}
