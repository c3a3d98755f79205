package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrHeld is TryAcquire's answer when someone else holds the lock.
var ErrHeld = errors.New("lock held by another holder")

// Keys of lock name: the lock and its fence counter, one hash tag.
func keys(name string) []string {
	tag := "{lock:" + name + "}"
	return []string{tag, tag + ":fence"}
}

// FenceKey is the counter holding the newest fence handed out for name; a
// store that checks fences in a script of its own can compare against it.
func FenceKey(name string) string { return keys(name)[1] }

// The lock's value is "<fence> <token>"; the token is random and ends with
// the holder's identity (host:pid), which Holder reports.
var (
	acquireScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence .. ' ' .. ARGV[1], 'NX', 'PX', ARGV[2])
return fence`)
	extendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

// Options tune a Locker; zero values take the defaults.
type Options struct {
	TTL   time.Duration // how long the lock outlives a silent holder (default 15s)
	Retry time.Duration // Acquire's pause between attempts (default TTL/10, 50ms..1s)
	// Holder names this process in Holder's answer (default host:pid).
	Holder string
}

// Locker hands out one named lock.
type Locker struct {
	rdb  redis.UniversalClient
	name string
	keys []string
	o    Options
}

// New returns the Locker of the lock called name.
func New(rdb redis.UniversalClient, name string, o Options) *Locker {
	if o.TTL <= 0 {
		o.TTL = 15 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = min(max(o.TTL/10, 50*time.Millisecond), time.Second)
	}
	if o.Holder == "" {
		host, _ := os.Hostname()
		o.Holder = host + ":" + strconv.Itoa(os.Getpid())
	}
	return &Locker{rdb: rdb, name: name, keys: keys(name), o: o}
}

// Acquire waits until it holds the lock, or ctx ends. The lock is then held
// until Release, until ctx ends, or until it is lost.
func (l *Locker) Acquire(ctx context.Context) (*Lock, error) {
	for {
		lk, err := l.TryAcquire(ctx)
		if err == nil {
			return lk, nil
		}
		// A Redis error is waited out like a held lock: the caller wants the
		// lock, not the first failure.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("acquire lock %s: %w", l.name, ctx.Err())
		case <-time.After(l.o.Retry):
		}
	}
}

// TryAcquire makes one attempt: ErrHeld when another holds the lock.
func (l *Locker) TryAcquire(ctx context.Context) (*Lock, error) {
	token := randomToken() + "@" + l.o.Holder
	start := time.Now()
	fence, err := acquireScript.Run(ctx, l.rdb, l.keys, token, l.o.TTL.Milliseconds()).Int64()
	if err != nil {
		return nil, fmt.Errorf("acquire lock %s: %w", l.name, err)
	}
	if fence == 0 {
		return nil, ErrHeld
	}
	lk := &Lock{l: l, fence: fence, value: strconv.FormatInt(fence, 10) + " " + token,
		lost: make(chan struct{}), done: make(chan struct{})}
	lk.validUntil = start.Add(l.o.TTL)
	go lk.keep(ctx)
	return lk, nil
}

// Lock is one holding of the lock.
type Lock struct {
	l     *Locker
	fence int64
	value string

	mu         sync.Mutex
	validUntil time.Time // start of the last confirmed acquire/extend + TTL
	lostOnce   sync.Once
	lost       chan struct{}
	done       chan struct{} // closed by Release
	releaseOne sync.Once
}

// Fence is this holding's fencing token: greater than every earlier holding's.
func (lk *Lock) Fence() int64 { return lk.fence }

// Lost is closed when the lock is no longer held: lost, released, or the
// context given to Acquire ended.
func (lk *Lock) Lost() <-chan struct{} { return lk.lost }

// Held reports whether the lock is still certainly held: not lost, and
// within the TTL of the last confirmed renewal (by this process's clock).
func (lk *Lock) Held() bool {
	select {
	case <-lk.lost:
		return false
	default:
	}
	lk.mu.Lock()
	defer lk.mu.Unlock()
	return time.Now().Before(lk.validUntil)
}

func (lk *Lock) markLost() { lk.lostOnce.Do(func() { close(lk.lost) }) }

// keep renews the lock every TTL/3 until it is released or lost.
func (lk *Lock) keep(ctx context.Context) {
	ttl := lk.l.o.TTL
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	expiry := time.NewTimer(ttl)
	defer expiry.Stop()
	for {
		select {
		case <-lk.done:
			return
		case <-ctx.Done():
			lk.release(context.WithoutCancel(ctx))
			return
		case <-expiry.C:
			lk.markLost() // no renewal confirmed within a TTL
			return
		case <-tick.C:
			start := time.Now()
			rctx, cancel := context.WithTimeout(ctx, ttl/3)
			n, err := extendScript.Run(rctx, lk.l.rdb, lk.l.keys, lk.value, ttl.Milliseconds()).Int64()
			cancel()
			switch {
			case err != nil:
				// Unknown: keep trying until the expiry timer says otherwise.
			case n == 0:
				lk.markLost() // expired, or taken by another
				return
			default:
				// The pause test: a renewal answered after the TTL since the
				// last confirmed one cannot be trusted to have found our own
				// key: expiry fires first. Here we are within it.
				lk.mu.Lock()
				lk.validUntil = start.Add(ttl)
				lk.mu.Unlock()
				expiry.Reset(time.Until(start.Add(ttl)))
			}
		}
	}
}

// Release gives the lock up, if still held; Lost closes.
func (lk *Lock) Release(ctx context.Context) error {
	return lk.release(ctx)
}

func (lk *Lock) release(ctx context.Context) error {
	var err error
	lk.releaseOne.Do(func() {
		close(lk.done)
		defer lk.markLost()
		ctx, cancel := context.WithTimeout(ctx, lk.l.o.TTL/3)
		defer cancel()
		err = releaseScript.Run(ctx, lk.l.rdb, lk.l.keys, lk.value).Err()
		if err != nil {
			err = fmt.Errorf("release lock %s: %w", lk.l.name, err)
		}
	})
	return err
}

// Holding describes who holds a lock now.
type Holding struct {
	Holder string        // host:pid, or the Options.Holder given
	Fence  int64         //
	TTL    time.Duration // left before it expires unless renewed
}

// Holder reports the current holding of the lock; ok is false when free.
func (l *Locker) Holder(ctx context.Context) (h Holding, ok bool, err error) {
	pipe := l.rdb.Pipeline()
	get := pipe.Get(ctx, l.keys[0])
	ttl := pipe.PTTL(ctx, l.keys[0])
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return h, false, fmt.Errorf("read lock %s: %w", l.name, err)
	}
	v, err := get.Result()
	if errors.Is(err, redis.Nil) {
		return h, false, nil
	}
	fence, token, _ := strings.Cut(v, " ")
	h.Fence, _ = strconv.ParseInt(fence, 10, 64)
	_, h.Holder, _ = strings.Cut(token, "@")
	h.TTL = ttl.Val()
	return h, true, nil
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}
