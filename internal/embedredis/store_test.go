package embedredis

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/lock"
	"github.com/resync/resync/internal/ratelimit"
	"github.com/resync/resync/internal/redisclient"
	"github.com/resync/resync/internal/session"
)

// start serves a store and returns a client as a worker would make it.
func start(t *testing.T) (*Store, redis.UniversalClient) {
	t.Helper()
	s, err := Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	// Generous timeouts: these tests check what the store does, not how fast.
	// miniredis runs one script at a time (about 1 ms each, more under -race
	// on a busy host), so 60 at once queued past a 1 s read timeout in CI.
	c, err := redisclient.New(config.RedisConfig{URL: s.URL(), PoolMin: 1, PoolMax: 8,
		DialTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c
}

func TestSocketIsPrivate(t *testing.T) {
	s, c := start(t)
	if r := redisclient.Ping(context.Background(), c); r.Err != nil {
		t.Fatalf("ping: %v", r.Err)
	}
	for path, want := range map[string]os.FileMode{filepath.Dir(s.Path()): 0o700, s.Path(): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
}

// A socket left behind by a master that died does not stop the next one;
// Close removes its own.
func TestStaleSocketReplaced(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Dir(Path(dir)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Path(dir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(Path(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after Close: %v", err)
	}
}

// Keys expire with the clock the store drives (miniredis alone never would).
func TestKeysExpire(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Exists(ctx, "k").Result(); n != 1 {
		t.Fatal("key gone at once")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := c.Exists(ctx, "k").Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a key with a 300 ms TTL still exists after 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The fenced lock's scripts run: one holder at a time, fences increase, and
// a holder that stops renewing loses it to the next after the TTL.
func TestLock(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	a := lock.New(c, "poller", lock.Options{TTL: 500 * time.Millisecond, Holder: "a"})
	b := lock.New(c, "poller", lock.Options{TTL: 500 * time.Millisecond, Holder: "b"})
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.TryAcquire(ctx); !errors.Is(err, lock.ErrHeld) {
		t.Fatalf("second holder: %v, want ErrHeld", err)
	}
	if err := la.Release(ctx); err != nil {
		t.Fatal(err)
	}
	lb, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lb.Fence() <= la.Fence() {
		t.Errorf("fence %d after %d", lb.Fence(), la.Fence())
	}
	// A holder whose context ends stops renewing; the key then expires.
	gone, cancel := context.WithCancel(ctx)
	if err := lb.Release(ctx); err != nil {
		t.Fatal(err)
	}
	lc, err := a.TryAcquire(gone)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-lc.Lost()
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	ld, err := b.Acquire(wctx)
	if err != nil {
		t.Fatalf("lock not passed on: %v", err)
	}
	if ld.Fence() <= lc.Fence() {
		t.Errorf("fence %d after %d", ld.Fence(), lc.Fence())
	}
	ld.Release(ctx)
}

func TestSessions(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	st := session.NewStore(c, time.Hour)
	id, err := st.Create(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if u, ok, err := st.Read(ctx, id); err != nil || !ok || u != "admin" {
		t.Fatalf("read: %q %v %v", u, ok, err)
	}
	if err := st.DestroyAll(ctx, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.Read(ctx, id); ok {
		t.Error("session outlived DestroyAll")
	}
}

// GCRA in the store is exact under concurrency: of 60 requests at once
// against a limit of 20, exactly 20 pass.
func TestRateLimitExact(t *testing.T) {
	_, c := start(t)
	lim := ratelimit.New(c, ratelimit.Options{Default: config.Rate{N: 20, Per: time.Minute},
		Auth: config.Rate{N: 5, Per: time.Minute}, Clients: clientip.New(nil)})
	h := lim.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for range 60 {
		wg.Go(func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/workers", nil))
			switch w.Code {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusTooManyRequests:
				refused.Add(1)
			default:
				t.Errorf("status %d", w.Code)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 20 || refused.Load() != 40 {
		t.Errorf("%d allowed, %d refused; want 20 and 40", ok.Load(), refused.Load())
	}
}

// The store runs the lease script too (AllowAtMost, for limits with a
// burst of 200 and more): of 600 requests at once against 300/1h, at most
// 300 pass, and no more fail than one limiter can hold (1.5 leases of 3).
func TestRateLimitLeases(t *testing.T) {
	_, c := start(t)
	lim := ratelimit.New(c, ratelimit.Options{Default: config.Rate{N: 300, Per: time.Hour}, Clients: clientip.New(nil)})
	h := lim.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 30 {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/workers", nil))
				switch w.Code {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					refused.Add(1)
				default:
					t.Errorf("status %d", w.Code)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() > 301 || ok.Load() < 300-5 || ok.Load()+refused.Load() != 600 {
		t.Errorf("%d allowed, %d refused of 600; want at most 300 (and at least 295)", ok.Load(), refused.Load())
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(lim.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	leased := 0.0
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == "allowed_leased" {
					leased = m.GetCounter().GetValue()
				}
			}
		}
	}
	if leased == 0 {
		t.Error("no request was served from a lease: the test does not test leases")
	}
}
