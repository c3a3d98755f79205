package monitoring

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/events"
	"github.com/resync/resync/internal/poller"
)

// state reads what the poller stored. The snapshot (hundreds of kB for a
// big plan) is fetched again only when the meta hash says its seq changed.
type state struct {
	rdb  redis.UniversalClient
	keys poller.Keys

	mu      sync.Mutex
	seq     string
	snap    *events.Snapshot
	summary events.Summary
}

// meta is the poller's meta hash.
type meta struct {
	Holder         string
	Token          int64
	Seq            string
	Polls, Errors  int64
	Events         int64
	LastPoll       time.Time // the last committed snapshot's time
	LastDurationMS int64
	LastError      string
	IntervalS      int64
	// The poller's fenced writes, by the fence's verdict (poller.MetaFenced*).
	FencedAccepted, FencedRefused int64
}

func (s *state) meta(ctx context.Context) (meta, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys.Meta).Result()
	if err != nil {
		return meta{}, fmt.Errorf("read poller meta: %w", err)
	}
	n := func(k string) int64 { v, _ := strconv.ParseInt(h[k], 10, 64); return v }
	m := meta{Holder: h["holder"], Token: n("token"), Seq: h["seq"], Polls: n("polls"), Errors: n("errors"),
		Events: n("events"), LastDurationMS: n("last_duration_ms"), LastError: h["last_error"], IntervalS: n("interval_s"),
		FencedAccepted: n(poller.MetaFencedAccepted), FencedRefused: n(poller.MetaFencedRefused)}
	if ms := n("last_poll_at"); ms > 0 {
		m.LastPoll = time.UnixMilli(ms).UTC()
	}
	return m, nil
}

// snapshot returns the current snapshot and its summary (nil before the
// first poll), and the meta read on the way.
func (s *state) snapshot(ctx context.Context) (*events.Snapshot, events.Summary, meta, error) {
	m, err := s.meta(ctx)
	if err != nil {
		return nil, events.Summary{}, m, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.Seq == "" || m.Seq == s.seq {
		return s.snap, s.summary, m, nil
	}
	raw, err := s.rdb.Get(ctx, s.keys.Current).Bytes()
	if err == redis.Nil {
		return nil, events.Summary{}, m, nil
	}
	if err != nil {
		return nil, events.Summary{}, m, fmt.Errorf("read snapshot: %w", err)
	}
	var snap events.Snapshot
	if err := json.Unmarshal(raw, &snap); err != nil {
		return nil, events.Summary{}, m, fmt.Errorf("decode snapshot: %w", err)
	}
	// Read after the meta: a commit in between gives a newer snapshot
	// under the older seq, fetched once more next time. Never an older one.
	s.seq, s.snap, s.summary = strconv.FormatUint(snap.Seq, 10), &snap, events.Summarize(&snap)
	return s.snap, s.summary, m, nil
}
