package lock

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/redisclient"
	"github.com/resync/resync/internal/redistest"
)

func client(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	rdb, err := redisclient.New(config.RedisConfig{URL: url, PoolMin: 0, PoolMax: 20,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestMutualExclusion: many contenders, one holder at a time, and every
// acquisition's fence greater than the one before it.
func TestMutualExclusion(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var (
		mu      sync.Mutex
		holders int
		fences  []int64
		wg      sync.WaitGroup
	)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := New(rdb, "exclusive", Options{TTL: 2 * time.Second, Retry: 5 * time.Millisecond, Holder: "c" + strconv.Itoa(i)})
			for range 10 {
				lk, err := l.Acquire(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				holders++
				if holders != 1 {
					t.Errorf("%d holders at once", holders)
				}
				fences = append(fences, lk.Fence())
				mu.Unlock()
				time.Sleep(time.Millisecond) // hold it a moment, so that others contend
				mu.Lock()
				holders--
				mu.Unlock()
				if err := lk.Release(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if len(fences) != 80 {
		t.Fatalf("%d acquisitions, want 80", len(fences))
	}
	for i := 1; i < len(fences); i++ {
		if fences[i] <= fences[i-1] {
			t.Fatalf("fence %d after %d: not increasing (%v)", fences[i], fences[i-1], fences)
		}
	}
}

// TestLostWhenTaken: when the lock disappears (expired, flushed, taken over)
// the holder's next renewal closes Lost.
func TestLostWhenTaken(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.URL())
	ctx := context.Background()
	l := New(rdb, "taken", Options{TTL: 600 * time.Millisecond})
	lk, err := l.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryAcquire(ctx); err != ErrHeld {
		t.Fatalf("second TryAcquire: %v, want ErrHeld", err)
	}
	time.Sleep(time.Second) // renewals keep it past its TTL
	if !lk.Held() {
		t.Fatal("lock not held after renewals")
	}
	h, ok, err := l.Holder(ctx)
	if err != nil || !ok || h.Fence != lk.Fence() || !strings.Contains(h.Holder, ":") {
		t.Fatalf("Holder = %+v %v %v", h, ok, err)
	}
	rdb.Del(ctx, keys("taken")[0])
	other, err := New(rdb, "taken", Options{TTL: time.Minute}).TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release(ctx)
	select {
	case <-lk.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("the holder did not learn it lost the lock")
	}
	if other.Fence() <= lk.Fence() {
		t.Errorf("fences %d then %d", lk.Fence(), other.Fence())
	}
	// Its release must not free the new holder's lock.
	_ = lk.Release(ctx)
	if _, err := l.TryAcquire(ctx); err != ErrHeld {
		t.Errorf("after the old holder's release: %v, want ErrHeld", err)
	}
}

// TestContextEndsHolding: cancelling Acquire's context releases the lock.
func TestContextEndsHolding(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.URL())
	ctx, cancel := context.WithCancel(context.Background())
	l := New(rdb, "ctx", Options{TTL: time.Minute})
	lk, err := l.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-lk.Lost()
	waitFree(t, l)
	// And a waiting Acquire gives up when its context ends.
	held, _ := l.TryAcquire(context.Background())
	defer held.Release(context.Background())
	wctx, wcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer wcancel()
	if _, err := l.Acquire(wctx); err == nil {
		t.Fatal("Acquire of a held lock returned without its context ending")
	}
}

func waitFree(t *testing.T, l *Locker) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, held, err := l.Holder(context.Background())
		if err == nil && !held {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("lock still held")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHolderProcess is not a test: the fault tests run it as a separate
// process that holds a lock, so that they can SIGKILL or SIGSTOP it.
func TestHolderProcess(t *testing.T) {
	url := os.Getenv("LOCK_TEST_HOLDER_URL")
	if url == "" {
		t.Skip("run by the fault tests")
	}
	rdb := client(t, url)
	l := New(rdb, "fault", Options{TTL: time.Second})
	lk, err := l.Acquire(context.Background())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("held", lk.Fence())
	<-lk.Lost()
	fmt.Println("lost", lk.Held())
	os.Exit(0)
}

// holder starts TestHolderProcess and waits until it holds the lock.
func holder(t *testing.T, url string) (*exec.Cmd, *bufio.Scanner, int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHolderProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LOCK_TEST_HOLDER_URL="+url)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f, ok := strings.CutPrefix(sc.Text(), "held "); ok {
			n, _ := strconv.ParseInt(f, 10, 64)
			return cmd, sc, n
		}
	}
	t.Fatal("holder process did not take the lock")
	return nil, nil, 0
}

// TestKilledHolderPassesOn: a SIGKILLed holder's lock is free within its TTL.
func TestKilledHolderPassesOn(t *testing.T) {
	srv := redistest.Start(t)
	cmd, _, fence := holder(t, srv.URL())
	rdb := client(t, srv.URL())
	l := New(rdb, "fault", Options{TTL: time.Second, Retry: 20 * time.Millisecond})
	if _, err := l.TryAcquire(context.Background()); err != ErrHeld {
		t.Fatalf("while the holder lives: %v, want ErrHeld", err)
	}
	cmd.Process.Kill()
	killed := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lk, err := l.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release(ctx)
	if waited := time.Since(killed); waited > 1500*time.Millisecond {
		t.Errorf("took the lock %v after the kill; TTL 1s", waited)
	}
	if lk.Fence() <= fence {
		t.Errorf("fence %d after the dead holder's %d", lk.Fence(), fence)
	}
}

// TestPausedHolderLearnsItLost: a holder SIGSTOPped past its TTL, whose lock
// another took, knows it lost the lock as soon as it wakes.
func TestPausedHolderLearnsItLost(t *testing.T) {
	srv := redistest.Start(t)
	cmd, out, fence := holder(t, srv.URL())
	rdb := client(t, srv.URL())
	cmd.Process.Signal(syscall.SIGSTOP)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lk, err := New(rdb, "fault", Options{TTL: time.Minute, Retry: 20 * time.Millisecond}).Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release(ctx)
	if lk.Fence() <= fence {
		t.Errorf("fence %d after the paused holder's %d", lk.Fence(), fence)
	}
	cmd.Process.Signal(syscall.SIGCONT)
	woke := time.Now()
	line := make(chan string, 1)
	go func() {
		for out.Scan() {
			line <- out.Text()
		}
		close(line)
	}()
	select {
	case l := <-line:
		if l != "lost false" {
			t.Errorf("holder said %q, want \"lost false\"", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the woken holder did not learn it lost the lock")
	}
	t.Logf("the woken holder knew after %v", time.Since(woke))
}
