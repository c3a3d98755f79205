package batch

import (
	"reflect"
	"testing"
	"time"
)

// recorder collects the groups flushed, and signals each one.
type recorder struct {
	groups chan []int
}

func newRecorder() *recorder { return &recorder{groups: make(chan []int, 16)} }

func (r *recorder) flush(g []int) { r.groups <- append([]int(nil), g...) }

func (r *recorder) next(t *testing.T) []int {
	t.Helper()
	select {
	case g := <-r.groups:
		return g
	case <-time.After(5 * time.Second):
		t.Fatal("no flush within 5 s")
		return nil
	}
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case g := <-r.groups:
		t.Fatalf("unexpected flush %v", g)
	default:
	}
}

// manualClock hands out timers the test fires by hand.
type manualClock struct{ timers chan chan time.Time }

func newManualClock() *manualClock { return &manualClock{timers: make(chan chan time.Time, 16)} }

func (c *manualClock) after(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.timers <- ch
	return ch
}

func (c *manualClock) armed(t *testing.T) chan time.Time {
	t.Helper()
	select {
	case ch := <-c.timers:
		return ch
	case <-time.After(5 * time.Second):
		t.Fatal("no timer armed within 5 s")
		return nil
	}
}

func TestFlushBySize(t *testing.T) {
	rec, clock := newRecorder(), newManualClock()
	p := New(3, time.Hour, rec.flush, WithClock(clock.after))
	defer p.Close()
	for i := 1; i <= 7; i++ {
		p.Add(i)
	}
	if g := rec.next(t); !reflect.DeepEqual(g, []int{1, 2, 3}) {
		t.Fatalf("first group %v", g)
	}
	if g := rec.next(t); !reflect.DeepEqual(g, []int{4, 5, 6}) {
		t.Fatalf("second group %v", g)
	}
	p.Flush() // 7 is waiting for its timer, which never fires here
	if g := rec.next(t); !reflect.DeepEqual(g, []int{7}) {
		t.Fatalf("rest %v", g)
	}
}

func TestFlushByTime(t *testing.T) {
	rec, clock := newRecorder(), newManualClock()
	p := New(100, 500*time.Millisecond, rec.flush, WithClock(clock.after))
	defer p.Close()
	p.Add(1)
	timer := clock.armed(t) // armed by the first item of a group
	p.Add(2)
	p.Flush()
	// Flush took them; the old timer firing now must not flush an empty group.
	if g := rec.next(t); !reflect.DeepEqual(g, []int{1, 2}) {
		t.Fatalf("flushed %v", g)
	}
	timer <- time.Now()
	p.Add(3)
	timer = clock.armed(t)
	rec.none(t)
	timer <- time.Now()
	if g := rec.next(t); !reflect.DeepEqual(g, []int{3}) {
		t.Fatalf("timer flushed %v", g)
	}
}

func TestTimerStartsWithGroup(t *testing.T) {
	rec, clock := newRecorder(), newManualClock()
	p := New(2, time.Second, rec.flush, WithClock(clock.after))
	defer p.Close()
	p.Add(1)
	first := clock.armed(t)
	p.Add(2) // full: flushed by size
	if g := rec.next(t); !reflect.DeepEqual(g, []int{1, 2}) {
		t.Fatalf("flushed %v", g)
	}
	first <- time.Now() // the stale timer of a flushed group
	p.Add(3)
	clock.armed(t) // a new group gets a timer of its own
	p.Flush()
	if g := rec.next(t); !reflect.DeepEqual(g, []int{3}) {
		t.Fatalf("flushed %v", g)
	}
	rec.none(t)
}

func TestCloseFlushesRest(t *testing.T) {
	rec := newRecorder()
	p := New(10, time.Hour, rec.flush)
	p.Add(1)
	p.Add(2)
	p.Close()
	if g := rec.next(t); !reflect.DeepEqual(g, []int{1, 2}) {
		t.Fatalf("flushed %v", g)
	}
}

func TestRealClock(t *testing.T) {
	rec := newRecorder()
	p := New(100, 10*time.Millisecond, rec.flush)
	defer p.Close()
	p.Add(1)
	if g := rec.next(t); !reflect.DeepEqual(g, []int{1}) {
		t.Fatalf("flushed %v", g)
	}
}

func TestDefaults(t *testing.T) {
	p := New[int](0, 0, func([]int) {})
	defer p.Close()
	if p.size != DefaultSize || p.maxWait != DefaultMaxWait {
		t.Fatalf("size %d wait %s", p.size, p.maxWait)
	}
}
