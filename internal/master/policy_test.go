package master

import (
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/protocol"
	"github.com/resync/resync/internal/sdnotify"
)

// The policies, one event at a time: no Run goroutine, no real sleeps. The
// test owns the clock and calls the handlers the loop would call, then pass,
// as the loop does after every event.

type harness struct {
	t       *testing.T
	m       *Master
	sp      *fakeSpawner
	now     time.Time
	systemd []string
	rss     map[int]uint64 // what the fake monitor samples
}

var tStart = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, cfg config.Config) *harness {
	h := &harness{t: t, sp: &fakeSpawner{procs: map[int]*fakeProc{}}, now: tStart, rss: map[int]uint64{}}
	h.m = New(Options{
		Config: cfg, Spawner: h.sp, Now: func() time.Time { return h.now },
		Load:    func() (config.Config, error) { return cfg, nil },
		Systemd: func(s string) { h.systemd = append(h.systemd, s) },
		Monitor: fakeMonitor{h},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	h.pass()
	return h
}

type fakeMonitor struct{ h *harness }

func (f fakeMonitor) Sample(control.Snapshot) map[int]uint64 { return f.h.rss }
func (f fakeMonitor) Report() []byte                         { return []byte("{}") }

func (h *harness) pass()                     { h.m.pass(h.now) }
func (h *harness) advance(d time.Duration)   { h.now = h.now.Add(d); h.pass() }
func (h *harness) signal(sig syscall.Signal) { h.m.handleSignal(sig, h.now); h.pass() }
func (h *harness) send(pid int, msg string)  { h.note(pid, msg); h.pass() }
func (h *harness) exit(pid, code int) {
	h.m.handleExit(exit{pid: pid, code: code, how: "test"}, h.now)
	h.pass()
}
func (h *harness) call(cmd string) chan control.Response {
	reply := make(chan control.Response, 1)
	h.m.handleCall(control.Call{Request: control.Request{Cmd: cmd}, Reply: reply}, h.now)
	h.pass()
	return reply
}

func (h *harness) note(pid int, msg string) {
	h.t.Helper()
	parsed, err := sdnotify.Parse([]byte(msg))
	if err != nil {
		h.t.Fatal(err)
	}
	h.m.handleNote(sdnotify.Note{PID: pid, Message: parsed}, h.now)
}

// pids of gen in the table (any gen when -1), oldest first.
func (h *harness) pids(gen int) []int {
	var out []int
	for _, w := range h.m.sorted() {
		if gen < 0 || w.gen == gen {
			out = append(out, w.pid)
		}
	}
	return out
}

func (h *harness) readyAll(gen int) {
	for _, pid := range h.pids(gen) {
		if !h.m.workers[pid].ready() {
			h.send(pid, protocol.Ready())
		}
	}
}

func (h *harness) got(pid int) []syscall.Signal {
	p := h.sp.procs[pid]
	var out []syscall.Signal
	for i := len(p.sigs); i > 0; i-- {
		s := <-p.sigs
		out = append(out, s)
		p.sigs <- s
	}
	return out
}

// serving counts ready workers not told to stop: the capacity.
func (h *harness) serving() int {
	n := 0
	for _, w := range h.m.workers {
		if w.ready() && !w.stopping() {
			n++
		}
	}
	return n
}

func (h *harness) state(pid int) string { return h.m.workers[pid].state() }

func TestMurderSilentWorker(t *testing.T) {
	cfg := testConfig(1)
	cfg.Timeout = 10 * time.Second
	h := newHarness(t, cfg)
	pid := h.pids(1)[0]
	h.send(pid, protocol.Ready())
	h.advance(9 * time.Second)
	h.send(pid, protocol.Heartbeat(protocol.NewCounters()))
	h.advance(9 * time.Second) // 9 s after its beat: alive
	if s := h.got(pid); len(s) != 0 {
		t.Fatalf("signals before the timeout: %v", s)
	}
	h.advance(2 * time.Second) // 11 s of silence
	if s := h.got(pid); !slices.Equal(s, []syscall.Signal{syscall.SIGABRT, syscall.SIGCONT}) || h.state(pid) != "killing" {
		t.Fatalf("after the timeout: signals %v, state %s; want SIGABRT, SIGCONT and killing", s, h.state(pid))
	}
	if n := len(h.pids(1)); n != 2 {
		t.Errorf("%d workers after the abort, want the silent one and its replacement", n)
	}
	h.advance(killGrace - 100*time.Millisecond)
	if slices.Contains(h.got(pid), syscall.SIGKILL) {
		t.Fatal("SIGKILL before the grace")
	}
	h.advance(200 * time.Millisecond)
	if !slices.Contains(h.got(pid), syscall.SIGKILL) {
		t.Fatal("no SIGKILL after the grace")
	}
	h.exit(pid, -1)
	h.m.handleExit(exit{}, h.now) // an unknown pid is ignored
	if h.m.departures[control.DepartTimeout] != 1 {
		t.Errorf("departures %v, want one timeout", h.m.departures)
	}
}

func TestMurderWorkerThatNeverBoots(t *testing.T) {
	cfg := testConfig(1)
	cfg.Timeout = 5 * time.Second
	h := newHarness(t, cfg)
	pid := h.pids(1)[0]
	h.advance(6 * time.Second)
	if !slices.Contains(h.got(pid), syscall.SIGABRT) {
		t.Fatalf("a worker never ready got %v, want SIGABRT", h.got(pid))
	}
}

// A reload retires the old generation oldest first, one per new worker
// ready: capacity never dips below the target.
func TestReloadRetiresInOrderAndCapacityNeverDips(t *testing.T) {
	h := newHarness(t, testConfig(3))
	h.readyAll(1)
	old := h.pids(1)
	h.signal(syscall.SIGHUP)
	fresh := h.pids(2)
	if len(fresh) != 3 {
		t.Fatalf("%d workers of generation 2 started, want 3", len(fresh))
	}
	for i, pid := range fresh {
		h.send(pid, protocol.Ready())
		if c := h.serving(); c < 3 {
			t.Fatalf("capacity %d after %d new workers ready, want at least 3", c, i+1)
		}
		for j, o := range old {
			termed := slices.Contains(h.got(o), syscall.SIGTERM)
			if termed != (j <= i) {
				t.Fatalf("after %d new ready: old worker %d (age rank %d) SIGTERM=%v", i+1, o, j, termed)
			}
		}
	}
	// Not done while an old worker may still accept a connection.
	if h.m.reload == nil {
		t.Fatal("reload done before the old workers said their listeners are closed")
	}
	for _, o := range old {
		h.send(o, protocol.Stopping())
	}
	if h.m.reload != nil || !slices.Contains(h.systemd, "READY=1\n") {
		t.Errorf("reload not finished: %v", h.systemd)
	}
	for _, o := range old {
		h.exit(o, 0)
	}
	if h.m.departures[control.DepartReload] != 3 {
		t.Errorf("departures %v, want 3 reloads", h.m.departures)
	}
}

// A HUP during a reload starts a newer generation; the unfinished one, never
// ready, goes at once; the oldest serves until the newest is ready.
func TestReloadDuringReload(t *testing.T) {
	h := newHarness(t, testConfig(2))
	h.readyAll(1)
	h.signal(syscall.SIGHUP)
	second := h.pids(2)
	h.signal(syscall.SIGHUP)
	for _, pid := range second {
		if !slices.Contains(h.got(pid), syscall.SIGTERM) {
			t.Errorf("generation 2 worker %d, never ready, not retired by the second HUP", pid)
		}
	}
	if len(h.pids(3)) != 2 || h.m.reload == nil || h.m.reload.prevGen != 1 {
		t.Fatalf("after the second HUP: gen 3 %v, reload %+v", h.pids(3), h.m.reload)
	}
	if h.serving() != 2 {
		t.Fatalf("capacity %d during the reloads, want 2", h.serving())
	}
	h.readyAll(3)
	for _, pid := range h.pids(1) {
		if !slices.Contains(h.got(pid), syscall.SIGTERM) {
			t.Errorf("generation 1 worker %d kept after generation 3 is ready", pid)
		}
	}
	for _, pid := range append(h.pids(1), second...) {
		h.send(pid, protocol.Stopping())
	}
	if h.m.reload != nil || h.m.gen != 3 {
		t.Errorf("reload %+v, gen %d; want done at generation 3", h.m.reload, h.m.gen)
	}
}

func TestTTINAndTTOU(t *testing.T) {
	h := newHarness(t, testConfig(2))
	h.readyAll(1)
	h.signal(syscall.SIGTTIN)
	if n := len(h.pids(1)); n != 3 || h.m.target != 3 {
		t.Fatalf("after TTIN: %d workers, target %d; want 3", n, h.m.target)
	}
	h.readyAll(1)
	oldest := h.pids(1)[0]
	h.signal(syscall.SIGTTOU)
	if !slices.Contains(h.got(oldest), syscall.SIGTERM) || h.serving() != 2 {
		t.Fatalf("after TTOU: oldest got %v, capacity %d; want it retired and 2 serving", h.got(oldest), h.serving())
	}
	h.exit(oldest, 0)
	h.signal(syscall.SIGTTOU)
	h.signal(syscall.SIGTTOU)
	h.signal(syscall.SIGTTOU)
	if h.m.target != 1 {
		t.Errorf("target %d after many TTOU, want never below 1", h.m.target)
	}
}

// Over RESYNC_WORKER_MAX_RSS_MB a worker is replaced as after its request
// budget: it serves until the replacement is ready.
func TestMaxRSSRecycles(t *testing.T) {
	cfg := testConfig(1)
	cfg.Metrics.WorkerMaxRSSMB = 100
	h := newHarness(t, cfg)
	pid := h.pids(1)[0]
	h.send(pid, protocol.Ready())
	h.rss[pid] = 150 << 20
	h.advance(sampleEvery)
	if h.state(pid) != "recycling" {
		t.Fatalf("over the limit: state %s, want recycling", h.state(pid))
	}
	if slices.Contains(h.got(pid), syscall.SIGTERM) {
		t.Fatal("retired before its replacement is ready")
	}
	next := h.pids(1)[1]
	h.send(next, protocol.Ready())
	if !slices.Contains(h.got(pid), syscall.SIGTERM) {
		t.Fatal("not retired once its replacement is ready")
	}
	h.exit(pid, 0)
	if h.m.departures[control.DepartRecycle] != 1 {
		t.Errorf("departures %v, want one recycle", h.m.departures)
	}
}

// A worker asking to be recycled, its counts in the table, and the counts
// folded into the totals when it goes: they never go back.
func TestCountsFoldIntoTotals(t *testing.T) {
	h := newHarness(t, testConfig(1))
	pid := h.pids(1)[0]
	h.send(pid, protocol.Ready())
	c := protocol.NewCounters()
	c.Requests, c.Buckets[0] = 7, 7
	h.send(pid, protocol.Recycle(protocol.RecycleMaxRequests, c))
	older := protocol.NewCounters()
	older.Requests, older.Buckets[0] = 5, 5
	h.send(pid, protocol.Heartbeat(older)) // late: must not take counts back
	if got := h.m.snapshot(); got.Requests != 7 || got.Workers[0].Requests != 7 || h.state(pid) != "recycling" {
		t.Fatalf("table %+v, state %s", got, h.state(pid))
	}
	h.readyAll(1)
	h.exit(pid, 0)
	if s := h.m.snapshot(); s.Requests != 7 || s.Retired.Requests != 7 || s.Departures[control.DepartRecycle] != 1 {
		t.Errorf("after exit: requests %d, retired %d, departures %v", s.Requests, s.Retired.Requests, s.Departures)
	}
}

// The forced GC answers with every worker, a silent one as an error after
// gcTimeout.
func TestGCTimeout(t *testing.T) {
	h := newHarness(t, testConfig(2))
	h.readyAll(1)
	pids := h.pids(1)
	reply := h.call("gc")
	h.send(pids[0], protocol.GCAnswer(`{"pid":1,"freed_mb":3}`))
	select {
	case r := <-reply:
		t.Fatalf("answered before the second worker: %+v", r)
	default:
	}
	if r := <-h.call("gc"); r.OK || !strings.Contains(r.Error, "already running") {
		t.Errorf("a second gc during the first: %+v", r)
	}
	h.advance(gcTimeout + time.Millisecond)
	var r control.Response
	select {
	case r = <-reply:
	default:
		t.Fatal("no answer after the timeout")
	}
	var each []map[string]any
	if err := json.Unmarshal(r.Data, &each); err != nil || len(each) != 2 {
		t.Fatalf("answer %s: %v", r.Data, err)
	}
	if !strings.Contains(string(r.Data), "no answer within") {
		t.Errorf("the silent worker is not reported: %s", r.Data)
	}
}

// Workers that fail to boot are respawned after 0.1, 0.2, 0.4, 0.8 s; the
// fifth failure with nobody serving stops the master with ErrBoot.
func TestBootBackoff(t *testing.T) {
	h := newHarness(t, testConfig(1))
	wait := 100 * time.Millisecond
	for attempt := 1; attempt <= maxBootFailures; attempt++ {
		pids := h.pids(1)
		if len(pids) != 1 {
			t.Fatalf("attempt %d: %d workers, want 1", attempt, len(pids))
		}
		h.exit(pids[0], 1)
		if attempt == maxBootFailures {
			break
		}
		h.advance(wait - time.Millisecond)
		if n := len(h.pids(1)); n != 0 {
			t.Fatalf("attempt %d: respawned before the %s back-off", attempt, wait)
		}
		h.advance(time.Millisecond)
		wait *= 2
	}
	if !h.m.stopping || h.m.fatal == nil || !strings.Contains(h.m.fatal.Error(), protocol.ErrBoot.Error()) {
		t.Fatalf("after %d failures: stopping %v, fatal %v", maxBootFailures, h.m.stopping, h.m.fatal)
	}
}

// ExitBoot is hopeless at once: no five attempts.
func TestExitBootStopsAtOnce(t *testing.T) {
	h := newHarness(t, testConfig(2))
	h.exit(h.pids(1)[0], protocol.ExitBoot)
	if !h.m.stopping {
		t.Fatal("ExitBoot with nobody serving did not stop the master")
	}
}
