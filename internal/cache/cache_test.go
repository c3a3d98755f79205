package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryAccountsBytesAndEvicts(t *testing.T) {
	m := newMemory(100, 10_000)
	v := &Entry{Value: []byte(strings.Repeat("x", 1000))}
	for i := range 5 {
		m.add(fmt.Sprint("k", i), v)
	}
	want := 5 * size("k0", v)
	if got := m.bytes.Load(); got != want {
		t.Fatalf("bytes %d, want %d", got, want)
	}
	// Replacing a key must not count it twice.
	m.add("k0", &Entry{Value: []byte("y")})
	want = 4*size("k0", v) + size("k0", &Entry{Value: []byte("y")})
	if got := m.bytes.Load(); got != want {
		t.Fatalf("after replace: bytes %d, want %d", got, want)
	}
	// Past the byte budget the oldest go.
	for i := 5; i < 20; i++ {
		m.add(fmt.Sprint("k", i), v)
	}
	if b := m.bytes.Load(); b > 10_000 {
		t.Fatalf("bytes %d over the budget", b)
	}
	if _, ok := m.get("k1"); ok {
		t.Fatal("the oldest entry survived the byte limit")
	}
	if _, ok := m.get("k19"); !ok {
		t.Fatal("the newest entry was evicted")
	}
	if m.evictions.Load() == 0 {
		t.Fatal("no eviction counted")
	}
	// Bytes always equal the sum over what is held.
	var sum int64
	for _, k := range m.lru.Keys() {
		e, _ := m.lru.Peek(k)
		sum += size(k, e)
	}
	if sum != m.bytes.Load() {
		t.Fatalf("bytes %d, held %d", m.bytes.Load(), sum)
	}
	// Too big for the budget: not kept at all.
	m.add("huge", &Entry{Value: make([]byte, 20_000)})
	if _, ok := m.get("huge"); ok {
		t.Fatal("an entry over the whole budget was kept")
	}
}

func TestMemoryItemBound(t *testing.T) {
	m := newMemory(3, 1<<20)
	for i := range 10 {
		m.add(fmt.Sprint(i), &Entry{Value: []byte("v")})
	}
	if m.len() != 3 || m.evictions.Load() != 7 || m.bytes.Load() != 3*size("0", &Entry{Value: []byte("v")}) {
		t.Fatalf("len %d evictions %d bytes %d", m.len(), m.evictions.Load(), m.bytes.Load())
	}
}

func TestConcurrentMissesFillOnce(t *testing.T) {
	c := New(Options{})
	var calls atomic.Int32
	release := make(chan struct{})
	fill := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-release
		return []byte("v"), nil
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := c.Get(context.Background(), "k", time.Minute, fill); err != nil || string(r.Value) != "v" {
				t.Errorf("get: %v %q", err, r.Value)
			}
		}()
	}
	for c.Stats().Misses == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("fills: %d, want 1", calls.Load())
	}
	r, _ := c.Get(context.Background(), "k", time.Minute, fill)
	if r.Source != FromMemory || calls.Load() != 1 {
		t.Fatalf("second get from %s", r.Source)
	}
}

func TestStaleIfError(t *testing.T) {
	c := New(Options{StaleMax: time.Hour})
	ok := func(context.Context) ([]byte, error) { return []byte("old"), nil }
	boom := errors.New("engine down")
	bad := func(context.Context) ([]byte, error) { return nil, boom }
	if _, err := c.Get(context.Background(), "k", time.Nanosecond, ok); err != nil {
		t.Fatal(err)
	}
	r, err := c.Get(context.Background(), "k", time.Nanosecond, bad)
	if err != nil || r.Source != FromStale || string(r.Value) != "old" || !errors.Is(r.Err, boom) {
		t.Fatalf("stale: %+v %v", r, err)
	}
	if _, err := c.Get(context.Background(), "k", time.Nanosecond, func(context.Context) ([]byte, error) {
		return nil, fmt.Errorf("gone: %w", ErrNoStale)
	}); err == nil {
		t.Fatal("ErrNoStale served stale")
	}
	c2 := New(Options{StaleMax: time.Nanosecond})
	_, _ = c2.Get(context.Background(), "k", time.Nanosecond, ok)
	time.Sleep(time.Millisecond)
	if _, err := c2.Get(context.Background(), "k", time.Nanosecond, bad); !errors.Is(err, boom) {
		t.Fatalf("past the stale window: %v", err)
	}
}

// mapShared is a Shared in memory, standing for Redis between "workers"
// (Caches) of one test.
type mapShared struct {
	mu    sync.Mutex
	m     map[string]*Entry
	locks map[string]bool
}

func newMapShared() *mapShared { return &mapShared{m: map[string]*Entry{}, locks: map[string]bool{}} }

func (s *mapShared) Get(_ context.Context, k string) (*Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[k]
	return e, ok, nil
}

func (s *mapShared) Set(_ context.Context, k string, e *Entry, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = e
	return nil
}

func (s *mapShared) TryLock(_ context.Context, k string, _ time.Duration) (func(), bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locks[k] {
		return nil, false, nil
	}
	s.locks[k] = true
	return func() { s.mu.Lock(); delete(s.locks, k); s.mu.Unlock() }, true, nil
}

func TestWorkersShareOneFill(t *testing.T) {
	shared := newMapShared()
	var calls atomic.Int32
	release := make(chan struct{})
	fill := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-release
		return []byte("v"), nil
	}
	workers := []*Cache{New(Options{Shared: shared}), New(Options{Shared: shared}), New(Options{Shared: shared})}
	var wg sync.WaitGroup
	for _, w := range workers {
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r, err := w.Get(context.Background(), "k", time.Minute, fill); err != nil || string(r.Value) != "v" {
					t.Errorf("get: %v %q", err, r.Value)
				}
			}()
		}
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("fills across workers: %d, want 1", calls.Load())
	}
}

// While one caller refreshes an expired key, the others get the old entry at
// once instead of waiting for the refresh.
func TestExpiredKeyServesOldWhileOneRefreshes(t *testing.T) {
	c := New(Options{StaleMax: time.Hour})
	ctx := context.Background()
	// A TTL of 1 ns: expired by the next Get.
	if _, err := c.Get(ctx, "k", time.Nanosecond, func(context.Context) ([]byte, error) { return []byte("old"), nil }); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan Result)
	go func() {
		r, _ := c.Get(ctx, "k", time.Hour, func(context.Context) ([]byte, error) {
			close(entered)
			<-release
			return []byte("new"), nil
		})
		done <- r
	}()
	<-entered
	r, err := c.Get(ctx, "k", time.Hour, func(context.Context) ([]byte, error) {
		t.Error("a second fill while one is under way")
		return nil, nil
	})
	if err != nil || string(r.Value) != "old" || r.Source != FromStale {
		t.Fatalf("during the refresh: %q %s %v", r.Value, r.Source, err)
	}
	close(release)
	if r := <-done; string(r.Value) != "new" || r.Source != FromUpstream {
		t.Fatalf("the refresh: %q %s", r.Value, r.Source)
	}
	if r, _ := c.Get(ctx, "k", time.Hour, nil); string(r.Value) != "new" || r.Source != FromMemory {
		t.Fatalf("after: %q %s", r.Value, r.Source)
	}
}
