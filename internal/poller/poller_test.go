package poller

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/events"
	"github.com/resync/resync/internal/lock"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// plan is a scripted source: each call returns the next snapshot.
type plan struct {
	mu    sync.Mutex
	snaps []*events.Snapshot
}

func (p *plan) source(context.Context) (*events.Snapshot, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.snaps) == 0 {
		return nil, fmt.Errorf("no more snapshots")
	}
	s := p.snaps[0]
	if len(p.snaps) > 1 {
		p.snaps = p.snaps[1:]
	}
	c := *s
	c.Jobs = append([]events.Job(nil), s.Jobs...)
	return &c, nil
}

func snapshot(at time.Time, status string, jobs int) *events.Snapshot {
	s := &events.Snapshot{Timestamp: at, Workstations: []events.Workstation{{Name: "WS1", Status: events.Online, AgentStatus: events.Linked}}}
	for i := range jobs {
		s.Jobs = append(s.Jobs, events.Job{ID: fmt.Sprintf("J%04d", i), Name: fmt.Sprintf("JOB%04d", i), Workstation: "WS1", Status: status})
	}
	return s
}

func newRedis(t *testing.T) redis.UniversalClient {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func newPoller(rdb redis.UniversalClient, src Source, holder string) *Poller {
	return New(rdb, src, Config{Interval: 50 * time.Millisecond, LockTTL: 600 * time.Millisecond, Holder: holder, Retention: 100000}, quiet)
}

// streamIDs returns the event ids in the stream, in order.
func streamEvents(t *testing.T, rdb redis.UniversalClient) []string {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), KeysFor("").Stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range msgs {
		var e events.Event
		if err := jsonUnmarshal(m.Values["event"].(string), &e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID+" "+e.Type)
	}
	return ids
}

// lead makes p the holder, as Run's election would, and returns its token
// and its lock (Release it to play the holder's lock expiring).
func lead(t *testing.T, p *Poller) (int64, *lock.Lock) {
	t.Helper()
	ctx := context.Background()
	lk, err := p.locker.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	t.Cleanup(func() { _ = lk.Release(ctx) })
	token := lk.Fence()
	if err := p.store.claim(ctx, token); err != nil {
		t.Fatal(err)
	}
	return token, lk
}

func TestPollStoresSnapshotAndEvents(t *testing.T) {
	rdb := newRedis(t)
	src := &plan{snaps: []*events.Snapshot{snapshot(t0, "EXEC", 3), snapshot(t0.Add(time.Minute), "ABEND", 3)}}
	p := newPoller(rdb, src.source, "a")
	ctx := context.Background()
	token, _ := lead(t, p)
	cur, err := p.recover(ctx, token)
	if err != nil || cur != nil {
		t.Fatalf("recover on empty redis: %v %v", cur, err)
	}
	if cur, err = p.poll(ctx, token, cur); err != nil {
		t.Fatal(err)
	}
	if cur, err = p.poll(ctx, token, cur); err != nil {
		t.Fatal(err)
	}
	got := streamEvents(t, rdb)
	want := []string{"evt_1796202000_0 system_healthy", "evt_1796202060_0 job_abend", "evt_1796202060_1 job_abend",
		"evt_1796202060_2 job_abend"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stream %v", got)
	}
	stored, _ := p.load(p.store.current(ctx))
	if stored.Seq != 2 || len(stored.Jobs) != 3 {
		t.Fatalf("stored snapshot seq %d jobs %d", stored.Seq, len(stored.Jobs))
	}
	meta := rdb.HGetAll(ctx, p.cfg.Keys.Meta).Val()
	if meta["polls"] != "2" || meta["events"] != "4" || meta["holder"] != "a" {
		t.Fatalf("meta %v", meta)
	}
}

func TestOlderTokenIsRefused(t *testing.T) {
	rdb := newRedis(t)
	ctx := context.Background()
	old := newPoller(rdb, (&plan{snaps: []*events.Snapshot{snapshot(t0, "EXEC", 1)}}).source, "old")
	oldToken, oldLock := lead(t, old)
	_ = oldLock.Release(ctx) // its lock expired while it was paused
	newer := newPoller(rdb, (&plan{snaps: []*events.Snapshot{snapshot(t0, "EXEC", 1)}}).source, "new")
	lead(t, newer)
	if _, err := old.poll(ctx, oldToken, nil); err != ErrFenced && !isFenced(err) {
		t.Fatalf("old holder's write: %v, want ErrFenced", err)
	}
	if n := len(streamEvents(t, rdb)); n != 0 {
		t.Fatalf("%d events written by the fenced holder", n)
	}
	// The fence counted both claims and the refusal (for /metrics).
	meta := rdb.HGetAll(ctx, old.cfg.Keys.Meta).Val()
	if meta[MetaFencedAccepted] != "2" || meta[MetaFencedRefused] != "1" {
		t.Fatalf("fence counts in meta: accepted %q refused %q, want 2 and 1", meta[MetaFencedAccepted], meta[MetaFencedRefused])
	}
}

// A holder dies after appending part of a poll's events: the next holder
// appends exactly the rest.
func TestHandOverMidPollNoLossNoDuplicate(t *testing.T) {
	rdb := newRedis(t)
	ctx := context.Background()
	a, b := snapshot(t0, "READY", 250), snapshot(t0.Add(time.Minute), "EXEC", 250)
	first := newPoller(rdb, (&plan{snaps: []*events.Snapshot{a}}).source, "first")
	token, firstLock := lead(t, first)
	cur, err := first.poll(ctx, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The next poll, cut short: begun, 100 of its 250 events appended.
	b.Seq = cur.Seq + 1
	evs := events.Diff(cur, b, 0)
	if len(evs) != 250 {
		t.Fatalf("%d events", len(evs))
	}
	if err := first.store.begin(ctx, token, mustJSON(b)); err != nil {
		t.Fatal(err)
	}
	var part [][]byte
	for _, e := range evs[:100] {
		part = append(part, e.Encode())
	}
	if err := first.store.append(ctx, token, part); err != nil {
		t.Fatal(err)
	}
	_ = firstLock.Release(ctx) // it died; its lock expired

	second := newPoller(rdb, (&plan{snaps: []*events.Snapshot{b}}).source, "second")
	token2, _ := lead(t, second)
	got, err := second.recover(ctx, token2)
	if err != nil || got.Seq != 2 {
		t.Fatalf("recover: %v %v", got, err)
	}
	ids := streamEvents(t, rdb)
	if len(ids) != 1+250 {
		t.Fatalf("%d events in the stream, want 251", len(ids))
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			t.Fatalf("duplicate %s", id)
		}
		seen[id] = true
		if i > 0 && id != evs[i-1].ID+" "+evs[i-1].Type {
			t.Fatalf("event %d is %s, want %s", i, id, evs[i-1].ID)
		}
	}
	// The dead holder wakes: its late writes are refused.
	if err := first.store.append(ctx, token, part); !isFenced(err) {
		t.Fatalf("late append: %v", err)
	}
}

// Two candidates: one leads at a time; when it stops, the other takes over.
func TestElectionAndTakeOver(t *testing.T) {
	rdb := newRedis(t)
	src := func(ctx context.Context) (*events.Snapshot, error) { return snapshot(time.Now().UTC(), "EXEC", 2), nil }
	pa, pb := newPoller(rdb, src, "a"), newPoller(rdb, src, "b")
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pa.Run(ctxA) }()
	go func() { defer wg.Done(); pb.Run(ctxB) }()
	defer func() { stopA(); stopB(); wg.Wait() }()

	deadline := time.Now().Add(5 * time.Second)
	for pa.Stats().Polls.Load()+pb.Stats().Polls.Load() < 3 {
		if pa.Stats().Leading.Load() && pb.Stats().Leading.Load() {
			t.Fatal("both lead")
		}
		if time.Now().After(deadline) {
			t.Fatal("no polls")
		}
		time.Sleep(5 * time.Millisecond)
	}
	leader, other, stop := pa, pb, stopA
	if pb.Stats().Leading.Load() {
		leader, other, stop = pb, pa, stopB
	}
	stop()
	for other.Stats().Polls.Load() == 0 {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatal("no take-over")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = leader
}
