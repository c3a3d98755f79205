package ratelimit

import (
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// A lease is a few tokens of one key that a worker has already counted in
// Redis (one AllowAtMost call) and hands to its next requests of that key
// without a round trip. It keeps the limit an upper bound: a token is used
// only after Redis counted it, so at every moment the requests admitted
// are at most the requests Redis counted, whatever the workers and hosts.
// What it can cost is under-admission: tokens a worker leased and did not
// use before leaseTTL are dropped, never returned.
//
// Both are bounded by leaseSize: 1% of the burst, at most leaseMax, and no
// lease at all below 2, so the defaults (100/1m, auth 5/1m) never lease and
// count every request in Redis. A lease is only asked for a key this worker
// saw at least that many times in the last leaseTTL (a hot key), so a
// client that keeps its pace uses what was leased for it, and one that
// stops loses at most leaseSize-1 tokens per worker.
const (
	// leaseTTL bounds how long a counted token may wait for its request
	// (from the start of the call that counted it), and so how far a lease
	// can shift an admission in time. Longer than the default read timeout
	// (200 ms), so that a lease Redis answered in time arrives alive.
	leaseTTL = 250 * time.Millisecond
	// leaseMax: 64 requests per round trip is already below 2% of its cost.
	leaseMax = 64
)

// leaseSize is the most tokens one call may lease under lim; below 2, none.
func leaseSize(lim redis_rate.Limit) int { return min(leaseMax, lim.Burst/100) }

// leases are one worker's leases and the demand that decides them, by key.
type leases struct {
	mu sync.Mutex
	m  map[string]*lease
	// expired counts dropped unused tokens: the under-admission, for /metrics.
	expired int64
}

// batch is tokens counted in Redis together, usable until expires.
type batch struct {
	tokens  int
	expires time.Time
}

// lease is a key's tokens in this worker: old is used before new. Two
// batches, so that a refill asked for before the tokens run out does not
// extend the life of the tokens still there; a third is merged into the
// older one with its earlier expiry, so no token outlives its own.
type lease struct {
	old, new  batch
	remaining int  // Redis's Remaining after it counted the newest batch
	refilling bool // one call of this worker is asking Redis for a lease
	// The key's requests in this worker, in the leaseTTL from since and in
	// the one before it.
	since      time.Time
	seen, prev int
}

func (l *lease) tokens() int { return l.old.tokens + l.new.tokens }

// drop drops the expired tokens and counts them.
func (ls *leases) drop(l *lease, now time.Time) {
	for _, b := range []*batch{&l.old, &l.new} {
		if b.tokens > 0 && !now.Before(b.expires) {
			ls.expired += int64(b.tokens)
			b.tokens = 0
		}
	}
	if l.old.tokens == 0 {
		l.old, l.new = l.new, batch{}
	}
}

// take answers a request of key at now. ok: it has a leased token, and
// remaining is the count to show; prefetch > 0 then asks the caller to
// lease that many more in the background, because fewer than half are
// left. Not ok: ask is how many tokens the request's own Redis call should
// ask for. When ask > 1 or prefetch > 0 the caller must call filled
// afterwards, whatever happened: this worker asks one lease per key at a time.
func (ls *leases) take(key string, now time.Time, size int) (ok bool, remaining, prefetch, ask int) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.m[key]
	if l == nil {
		if !ls.room(now) {
			return false, 0, 0, 1
		}
		l = &lease{since: now}
		ls.m[key] = l
	}
	if d := now.Sub(l.since); d >= leaseTTL {
		l.prev = 0
		if d < 2*leaseTTL {
			l.prev = l.seen
		}
		l.seen, l.since = 0, now
	}
	l.seen++
	ls.drop(l, now)
	n := min(size, max(l.prev, l.seen))
	if l.old.tokens > 0 {
		l.old.tokens--
		ls.drop(l, now) // moves new to old when old is used up
		left := l.tokens()
		if n > 1 && left <= n/2 && !l.refilling {
			l.refilling = true
			prefetch = n
		}
		return true, l.remaining + left, prefetch, 0
	}
	if n > 1 && !l.refilling {
		l.refilling = true
		return false, 0, 0, n
	}
	return false, 0, 0, 1
}

// filled ends a lease call of key begun at start: allowed tokens were
// counted, used of them by the caller's own request, and Redis had
// remaining left.
func (ls *leases) filled(key string, start time.Time, allowed, used, remaining int) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.m[key]
	if l == nil {
		return
	}
	l.refilling = false
	if allowed-used < 1 {
		return
	}
	ls.drop(l, time.Now())
	l.old.tokens += l.new.tokens // keeps old's earlier expiry
	// From the call's start: Redis counted them no earlier.
	l.new = batch{tokens: allowed - used, expires: start.Add(leaseTTL)}
	if l.old.tokens == 0 {
		l.old, l.new = l.new, batch{}
	}
	l.remaining = remaining
}

// room makes room for one more key: past maxRemembered it drops the keys
// idle for two leaseTTLs (their tokens, if any, dropped and counted); if none
// is, there is no room and the request asks Redis for itself.
func (ls *leases) room(now time.Time) bool {
	if len(ls.m) < maxRemembered {
		return true
	}
	for k, l := range ls.m {
		if !l.refilling && now.Sub(l.since) >= 2*leaseTTL {
			ls.expired += int64(l.tokens())
			delete(ls.m, k)
		}
	}
	return len(ls.m) < maxRemembered
}
