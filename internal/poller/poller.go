package poller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/batch"
	"github.com/resync/resync/internal/events"
	"github.com/resync/resync/internal/lock"
)

// Source snapshots the plan: one call per poll (see FromHWA).
type Source func(ctx context.Context) (*events.Snapshot, error)

// Config configures a poller.
type Config struct {
	Interval   time.Duration // RESYNC_TWS_POLL_INTERVAL (the settings clamp it, ClampInterval)
	StuckAfter time.Duration // RESYNC_TWS_STUCK_AFTER
	Retention  int64         // RESYNC_EVENTS_RETENTION: stream MAXLEN ~
	LockTTL    time.Duration // RESYNC_TWS_POLL_LOCK_TTL
	Keys       Keys
	Holder     string // who we are in the lock; host:pid when empty
	// Retry is how often a follower tries the lock; min(Interval, LockTTL/2) when 0.
	Retry time.Duration
}

// ClampInterval applies the original's bounds.
func ClampInterval(d time.Duration) time.Duration {
	return min(max(d, 5*time.Second), 300*time.Second)
}

// Poller is one process's candidate for the poller role.
type Poller struct {
	cfg    Config
	src    Source
	locker *lock.Locker
	store  *store
	log    *slog.Logger
	stats  Stats
}

// Stats are this process's own counts (Prometheus); the deployment's are
// in the meta hash (Status).
type Stats struct {
	Leading      atomic.Bool
	Polls        atomic.Uint64
	Errors       atomic.Uint64
	Fenced       atomic.Uint64 // writes refused: a newer holder took over
	LastDuration atomic.Int64  // ns
	LastGood     atomic.Int64  // unix ns of the last committed poll
	UpstreamCall atomic.Int64  // calls the last poll made (set by the source's caller)
	mu           sync.Mutex
	byType       map[string]uint64
}

// EventsByType returns how many events of each type this process appended.
func (s *Stats) EventsByType() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.byType)
}

func (s *Stats) count(evs []events.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byType == nil {
		s.byType = map[string]uint64{}
	}
	for _, e := range evs {
		s.byType[e.Type]++
	}
}

// New prepares a poller; Run starts it.
func New(rdb redis.UniversalClient, src Source, cfg Config, log *slog.Logger) *Poller {
	if cfg.Interval <= 0 {
		cfg.Interval = 30 * time.Second
	}
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = 15 * time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 10000
	}
	if cfg.Keys == (Keys{}) {
		cfg.Keys = KeysFor("")
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		cfg.Holder = host + ":" + strconv.Itoa(os.Getpid())
	}
	if cfg.Retry <= 0 {
		cfg.Retry = min(cfg.Interval, cfg.LockTTL/2)
	}
	// The election is internal/lock's fenced lock: its fence is the token
	// every write of this package carries (scripts.go checks it).
	return &Poller{cfg: cfg, src: src, log: log,
		locker: lock.New(rdb, cfg.Keys.Lock, lock.Options{TTL: cfg.LockTTL, Retry: cfg.Retry, Holder: cfg.Holder}),
		store:  &store{rdb: rdb, keys: cfg.Keys, retention: cfg.Retention}}
}

// Stats returns the poller's counters.
func (p *Poller) Stats() *Stats { return &p.stats }

// Run campaigns for the lock and polls while holding it, until ctx ends;
// then it releases the lock so that another takes over at once.
func (p *Poller) Run(ctx context.Context) {
	for ctx.Err() == nil {
		lk, err := p.locker.TryAcquire(ctx)
		switch {
		case err == nil:
			token := lk.Fence()
			p.log.Info("poller: elected", "holder", p.cfg.Holder, "token", token)
			err := p.lead(ctx, lk)
			p.log.Info("poller: stepped down", "token", token, "reason", err)
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = lk.Release(rctx)
			cancel()
			continue
		case !errors.Is(err, lock.ErrHeld) && ctx.Err() == nil:
			p.log.Warn("poller: lock", "error", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(p.cfg.Retry):
		}
	}
}

var errLockLost = errors.New("lock lost")

// lead polls while the lock is ours; it returns why it stopped.
func (p *Poller) lead(ctx context.Context, lk *lock.Lock) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p.stats.Leading.Store(true)
	defer p.stats.Leading.Store(false)
	token := lk.Fence()
	// The lock renews itself; losing it (another holder, or no renewal
	// confirmed within the TTL) stops the lead. A write already under way
	// is refused by the fence if a newer holder wrote first.
	go func() {
		select {
		case <-lk.Lost():
			cancel(errLockLost)
		case <-ctx.Done():
		}
	}()

	if err := p.store.claim(ctx, token); err != nil {
		return p.fail(err)
	}
	cur, err := p.recover(ctx, token)
	if err != nil {
		return p.fail(err)
	}
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	for {
		next, err := p.poll(ctx, token, cur)
		switch {
		case errors.Is(err, ErrFenced), ctx.Err() != nil:
			if c := context.Cause(ctx); c != nil {
				return c
			}
			return p.fail(err)
		case err != nil:
			p.stats.Errors.Add(1)
			p.log.Warn("poller: poll failed", "error", err)
			_ = p.store.note(ctx, token, map[string]any{"last_error": err.Error(), "last_error_at": time.Now().UnixMilli()},
				map[string]int64{"errors": 1})
		default:
			cur = next
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick.C:
		}
	}
}

func (p *Poller) fail(err error) error {
	if errors.Is(err, ErrFenced) {
		p.stats.Fenced.Add(1)
	}
	return err
}

// recover finishes a poll a previous holder left half written, and returns
// the current snapshot.
func (p *Poller) recover(ctx context.Context, token int64) (*events.Snapshot, error) {
	cur, err := p.load(p.store.current(ctx))
	if err != nil {
		return nil, err
	}
	raw, written, err := p.store.pending(ctx)
	if err != nil || raw == nil {
		return cur, err
	}
	next, err := p.load(raw, nil)
	if err != nil {
		return nil, err
	}
	evs := events.Diff(cur, next, p.cfg.StuckAfter)
	p.log.Info("poller: finishing the previous holder's poll", "seq", next.Seq, "events", len(evs), "appended", written)
	if written < len(evs) {
		if err := p.appendAll(ctx, token, evs[written:]); err != nil {
			return nil, err
		}
	}
	if err := p.store.commit(ctx, token, p.meta(token, next, 0), counts(evs[min(written, len(evs)):], 0)); err != nil {
		return nil, err
	}
	return next, nil
}

func (p *Poller) load(raw []byte, err error) (*events.Snapshot, error) {
	if err != nil || raw == nil {
		return nil, err
	}
	var s events.Snapshot
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decode stored snapshot: %w", err)
	}
	return &s, nil
}

// poll runs one interval's work and returns the new current snapshot.
func (p *Poller) poll(ctx context.Context, token int64, cur *events.Snapshot) (*events.Snapshot, error) {
	start := time.Now()
	next, err := p.src(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot the plan: %w", err)
	}
	next.Normalize()
	next.Seq = 1
	if cur != nil {
		next.Seq = cur.Seq + 1
	}
	raw, err := json.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	if err := p.store.begin(ctx, token, raw); err != nil {
		return nil, err
	}
	evs := events.Diff(cur, next, p.cfg.StuckAfter)
	if err := p.appendAll(ctx, token, evs); err != nil {
		return nil, err
	}
	d := time.Since(start)
	if err := p.store.commit(ctx, token, p.meta(token, next, d), counts(evs, 1)); err != nil {
		return nil, err
	}
	p.stats.Polls.Add(1)
	p.stats.LastDuration.Store(int64(d))
	p.stats.LastGood.Store(time.Now().UnixNano())
	return next, nil
}

// appendAll appends evs through the BatchProcessor: groups of 100 in one
// fenced script each.
func (p *Poller) appendAll(ctx context.Context, token int64, evs []events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	var first error
	b := batch.New(batch.DefaultSize, batch.DefaultMaxWait, func(group [][]byte) {
		if first == nil {
			first = p.store.append(ctx, token, group)
		}
	})
	for i := range evs {
		b.Add(evs[i].Encode())
	}
	b.Close() // flushes the rest; flush ran on b's goroutine, Close orders it before us
	if first != nil {
		return first
	}
	p.stats.count(evs)
	return nil
}

func (p *Poller) meta(token int64, s *events.Snapshot, d time.Duration) map[string]any {
	m := map[string]any{"holder": p.cfg.Holder, "token": token, "seq": s.Seq,
		"last_poll_at": s.Timestamp.UnixMilli(), "interval_s": int64(p.cfg.Interval / time.Second)}
	if d > 0 {
		m["last_duration_ms"] = d.Milliseconds()
	}
	return m
}

// counts are the meta hash increments of a commit: polls, events, and
// events:<type> per type.
func counts(evs []events.Event, polls int64) map[string]int64 {
	m := map[string]int64{"polls": polls, "events": int64(len(evs))}
	for _, e := range evs {
		m["events:"+e.Type]++
	}
	return m
}
