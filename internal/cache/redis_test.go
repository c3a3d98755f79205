package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func TestRedisTier(t *testing.T) {
	mr := miniredis.RunT(t)
	rc := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rc.Close() })
	shared := NewRedis(rc, "resync:cache:")
	ctx := context.Background()
	e := &Entry{Value: []byte(`"data":1`), FetchedAt: time.Now().Truncate(time.Millisecond), TTL: time.Minute}
	if err := shared.Set(ctx, "k", e, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, ok, err := shared.Get(ctx, "k")
	if err != nil || !ok || string(got.Value) != `"data":1` || !got.FetchedAt.Equal(e.FetchedAt) || got.TTL != time.Minute {
		t.Fatalf("get %+v %v %v", got, ok, err)
	}
	unlock, ok, err := shared.TryLock(ctx, "k", time.Minute)
	if err != nil || !ok {
		t.Fatal("first lock", err)
	}
	if _, ok, _ := shared.TryLock(ctx, "k", time.Minute); ok {
		t.Fatal("second holder got the lock")
	}
	unlock()
	if _, ok, _ := shared.TryLock(ctx, "k", time.Minute); !ok {
		t.Fatal("lock not released")
	}

	// Three "workers" (caches) over one Redis: one fill.
	var calls atomic.Int32
	var wg sync.WaitGroup
	for range 3 {
		c := New(Options{Shared: shared})
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := c.Get(ctx, "shared-key", time.Minute, func(context.Context) ([]byte, error) {
					calls.Add(1)
					time.Sleep(50 * time.Millisecond) // a slow engine, so that the others find the lock taken
					return []byte("v"), nil
				})
				if err != nil || string(r.Value) != "v" {
					t.Errorf("get %v %q", err, r.Value)
				}
			}()
		}
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("fills %d, want 1", calls.Load())
	}
}

// lateHolder is tier 2 where the previous holder of a key's lock stores its
// fresh entry and unlocks just before we take the lock.
type lateHolder struct{ *Redis }

func (l lateHolder) TryLock(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	_ = l.Set(ctx, key, &Entry{Value: []byte("theirs"), FetchedAt: time.Now(), TTL: time.Minute}, time.Hour)
	return l.Redis.TryLock(ctx, key, ttl)
}

func TestLockTakenAfterAnotherFillDoesNotFillAgain(t *testing.T) {
	mr := miniredis.RunT(t)
	rc := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rc.Close() })
	c := New(Options{Shared: lateHolder{NewRedis(rc, "resync:cache:")}})
	r, err := c.Get(context.Background(), "k", time.Minute, func(context.Context) ([]byte, error) {
		t.Error("filled although the fresh entry was there once the lock was ours")
		return []byte("ours"), nil
	})
	if err != nil || string(r.Value) != "theirs" || r.Source != FromShared {
		t.Fatalf("got %q from %s, %v", r.Value, r.Source, err)
	}
}
