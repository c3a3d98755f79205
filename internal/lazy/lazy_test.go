package lazy

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNotBuiltUntilFirstGetThenOnce(t *testing.T) {
	var n atomic.Int32
	v := New("test_once", func() (int, error) { n.Add(1); return 7, nil })
	if v.Loaded() || n.Load() != 0 {
		t.Fatal("built before first use")
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if x, err := v.Get(); x != 7 || err != nil {
				t.Errorf("Get = %d, %v", x, err)
			}
		}()
	}
	wg.Wait()
	if n.Load() != 1 || !v.Loaded() {
		t.Fatalf("builds = %d, loaded %v; want 1, true", n.Load(), v.Loaded())
	}
}

func TestFailedBuildIsNotRemembered(t *testing.T) {
	fail := true
	v := New("test_retry", func() (string, error) {
		if fail {
			return "", errors.New("no CA file")
		}
		return "ok", nil
	})
	if _, err := v.Get(); err == nil || v.Loaded() {
		t.Fatalf("first Get: %v, loaded %v", err, v.Loaded())
	}
	fail = false
	if x, err := v.Get(); x != "ok" || err != nil {
		t.Fatalf("second Get = %q, %v", x, err)
	}
}

func TestExpiringRebuildsAndServesOldMeanwhile(t *testing.T) {
	var gen atomic.Int32
	release := make(chan struct{})
	expired := time.Now().Add(-time.Second)
	v := NewExpiring("test_expiring", func() (int32, time.Time, error) {
		g := gen.Add(1)
		if g == 2 {
			<-release // the rebuild is slow
		}
		return g, expired, nil // always already expired: every Get wants a rebuild
	})
	if x, _ := v.Get(); x != 1 {
		t.Fatalf("first build = %d", x)
	}
	rebuilt := make(chan int32)
	go func() { x, _ := v.Get(); rebuilt <- x }()
	// While that caller rebuilds, others get the old value, at once.
	for gen.Load() < 2 {
		time.Sleep(time.Millisecond) // waiting for the goroutine to enter the build
	}
	if x, err := v.Get(); x != 1 || err != nil {
		t.Fatalf("during the rebuild Get = %d, %v; want the old 1", x, err)
	}
	close(release)
	if x := <-rebuilt; x != 2 {
		t.Fatalf("rebuild = %d", x)
	}
	for _, s := range Stats() {
		if s.Name == "test_expiring" && (s.Builds != 2 || !s.Loaded) {
			t.Fatalf("stat %+v", s)
		}
	}
}

func TestExpiringKeepsOldValueWhenRebuildFails(t *testing.T) {
	var calls atomic.Int32
	v := NewExpiring("test_expiring_fail", func() (string, time.Time, error) {
		if calls.Add(1) > 1 {
			return "", time.Time{}, errors.New("engine down")
		}
		return "old", time.Now().Add(-time.Second), nil
	})
	v.Get()
	if x, err := v.Get(); x != "old" || err != nil {
		t.Fatalf("failed rebuild: Get = %q, %v; want the old value", x, err)
	}
}
