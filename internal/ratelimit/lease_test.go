package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/redisclient"
	"github.com/resync/resync/internal/redistest"
)

// TestLeaseSize: the defaults (100/1m, auth 5/1m) and every limit below a
// burst of 200 never lease; above, 1% of the burst up to leaseMax.
func TestLeaseSize(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{5, 0}, {100, 1}, {199, 1}, {200, 2}, {3000, 30}, {1_000_000, leaseMax}} {
		if got := leaseSize(limit(config.Rate{N: tc.n, Per: time.Minute})); got != tc.want {
			t.Errorf("leaseSize(%d/1m) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

// slowClient is newClient with 10 s timeouts.
func slowClient(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	rdb, err := redisclient.New(config.RedisConfig{URL: url, PoolMax: 20,
		DialTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// counted is how many tokens Redis has counted of key under lim (a cost
// of 0 reads the state and changes nothing).
func counted(t *testing.T, l *Limiter, key string, lim redis_rate.Limit) int {
	t.Helper()
	res, err := l.gcra.AllowN(context.Background(), key, lim, 0)
	if err != nil {
		t.Fatal(err)
	}
	return lim.Burst - res.Remaining
}

// TestLeaseNeverOverLimit: three workers' limiters on one redis-server, a
// limit that leases (3000/1h: up to 30 tokens a call), 6000 concurrent
// requests of one client. Never more admitted than Redis counted, nor than
// the limit (plus what an hour's rate refills while the test runs); the
// under-admission exactly the tokens the limiters still hold (each at most
// one and a half leases) or dropped; X-RateLimit-Remaining within the limit.
func TestLeaseNeverOverLimit(t *testing.T) {
	srv := redistest.Start(t)
	rate := config.Rate{N: 3000, Per: time.Hour}
	var limiters []*Limiter
	for range 3 {
		// Fail closed, and timeouts no loaded host reaches: an answer
		// served open would be admitted uncounted.
		limiters = append(limiters, New(slowClient(t, srv.URL()), Options{Default: rate}))
	}
	start := time.Now()
	var ok, refused, badRemaining atomic.Int64
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := handler(limiters[i%3])
			for range 200 {
				w := do(h, "/api/v1/things/x", "198.51.100.7:1")
				switch w.Code {
				case 200:
					ok.Add(1)
					if r, err := strconv.Atoi(w.Header().Get("X-RateLimit-Remaining")); err != nil || r < 0 || r >= rate.N {
						badRemaining.Add(1)
					}
				case 429:
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	refill := int(time.Since(start)*time.Duration(rate.N)/rate.Per) + 1
	key, lim := Key("198.51.100.7", "/api/v1/things/{id}"), limit(rate)
	held := 0
	for _, l := range limiters {
		l.leases.mu.Lock()
		if le := l.leases.m[key]; le != nil {
			held += le.tokens()
		}
		l.leases.mu.Unlock()
	}
	c := counted(t, limiters[0], key, lim)
	var leased, expired int64
	for _, l := range limiters {
		leased += l.stats.leased.Load()
		l.leases.mu.Lock()
		expired += l.leases.expired
		l.leases.mu.Unlock()
	}
	t.Logf("admitted %d (%d from leases), refused %d; Redis counted %d; held unused %d, expired %d; refill allowance %d",
		ok.Load(), leased, refused.Load(), c, held, expired, refill)
	if ok.Load()+refused.Load() != 6000 {
		t.Fatalf("%d answers neither 200 nor 429", 6000-ok.Load()-refused.Load())
	}
	// c is the burst less what Redis has left: what it handed out, less
	// what its rate refilled meanwhile.
	used := int(ok.Load()) + held + int(expired)
	if int(ok.Load()) > rate.N+refill || used > c+refill {
		t.Errorf("over the limit: admitted %d, limit %d (+%d refill), Redis counted %d, held %d, expired %d",
			ok.Load(), rate.N, refill, c, held, expired)
	}
	// Redis's count is what was admitted, held and dropped: no token is
	// lost unaccounted (but for fractions at the limit's edge, below 1 a call).
	if used < c-3 {
		t.Errorf("Redis counted %d, admitted %d + held %d + expired %d", c, ok.Load(), held, expired)
	}
	// What each limiter holds at once is bounded (at most one and a half
	// leases); what expired depends on how late the answers came (a lease
	// lives leaseTTL from its call's start), so it is only accounted for.
	if size := leaseSize(lim); held > 3*(size+size/2) {
		t.Errorf("the limiters hold %d tokens, bound %d", held, 3*(size+size/2))
	}
	if leased == 0 {
		t.Error("no request was served from a lease: the test does not test leases")
	}
	if badRemaining.Load() > 0 {
		t.Errorf("%d admitted answers with X-RateLimit-Remaining outside [0, %d)", badRemaining.Load(), rate.N)
	}
}

// TestLeaseExpires: a hot key's unused tokens are dropped leaseTTL after
// they were counted, and counted as expired; the next request asks Redis.
// What the client lost is exactly what Redis counted and nobody used.
func TestLeaseExpires(t *testing.T) {
	srv := redistest.Start(t)
	rate := config.Rate{N: 1000, Per: time.Hour} // up to 10 tokens a call
	l := New(slowClient(t, srv.URL()), Options{Default: rate})
	h := handler(l)
	last := rate.N
	for i := range 20 {
		w := do(h, "/api/v1/things/1", "192.0.2.1:5000")
		r, _ := strconv.Atoi(w.Header().Get("X-RateLimit-Remaining"))
		if w.Code != 200 || r < 0 || r > last+leaseSize(limit(rate)) {
			t.Fatalf("request %d: %d, remaining %d after %d", i, w.Code, r, last)
		}
		last = r
	}
	if l.stats.leased.Load() == 0 {
		t.Fatal("20 quick requests of one key did not lease")
	}
	key, lim := Key("192.0.2.1", "/api/v1/things/{id}"), limit(rate)
	// A lease asked for in the background may still be on its way.
	var held int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		l.leases.mu.Lock()
		le := l.leases.m[key]
		refilling := le.refilling
		held = le.tokens()
		l.leases.mu.Unlock()
		if !refilling {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background lease call did not end")
		}
	}
	if c := counted(t, l, key, lim); c != 20+held || held > leaseSize(lim)+leaseSize(lim)/2 {
		t.Fatalf("Redis counted %d for 20 requests and %d tokens held", c, held)
	}
	// The expiry is the behaviour under test, not a synchronisation.
	time.Sleep(leaseTTL + 20*time.Millisecond)
	viaRedis := l.stats.allowed.Load()
	if w := do(h, "/api/v1/things/1", "192.0.2.1:5000"); w.Code != 200 {
		t.Fatalf("after the lease: %d", w.Code)
	}
	if l.stats.allowed.Load() != viaRedis+1 {
		t.Error("a request after leaseTTL used an expired token")
	}
	l.leases.mu.Lock()
	expired := l.leases.expired
	l.leases.mu.Unlock()
	if expired != int64(held) {
		t.Errorf("expired %d tokens, want the %d held", expired, held)
	}
}
