package master

import (
	"context"
	"log/slog"
	"sort"
	"syscall"
	"time"
)

// levelCritical is logging.LevelCritical (journald PRIORITY=2); the master
// logs through slog alone and does not import the sinks.
const levelCritical = slog.LevelError + 4

// worker is the master's record of one worker process.
type worker struct {
	proc     Proc
	pid      int
	gen      int
	started  time.Time
	readyAt  time.Time // zero until READY=1
	lastBeat time.Time
	requests uint64
	recycle  string    // why it is to be replaced; "" while wanted
	termAt   time.Time // SIGTERM sent: draining
	aborted  bool      // timed out: SIGABRT sent
	killAt   time.Time // SIGKILL due
	killed   bool
}

func (w *worker) ready() bool    { return !w.readyAt.IsZero() }
func (w *worker) stopping() bool { return !w.termAt.IsZero() || w.aborted }

func (w *worker) state() string {
	switch {
	case w.aborted || w.killed:
		return "killing"
	case !w.termAt.IsZero():
		return "retiring"
	case w.recycle != "":
		return "recycling"
	case w.ready():
		return "ready"
	}
	return "booting"
}

// active workers make up the current generation's capacity.
func (m *Master) active(w *worker) bool {
	return w.gen == m.gen && w.recycle == "" && !w.stopping()
}

// sorted returns the workers oldest first, so every choice is deterministic.
func (m *Master) sorted() []*worker {
	ws := make([]*worker, 0, len(m.workers))
	for _, w := range m.workers {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool {
		if !ws[i].started.Equal(ws[j].started) {
			return ws[i].started.Before(ws[j].started)
		}
		return ws[i].pid < ws[j].pid
	})
	return ws
}

func (m *Master) counts() (active, readyActive int) {
	for _, w := range m.workers {
		if m.active(w) {
			active++
			if w.ready() {
				readyActive++
			}
		}
	}
	return
}

// manage starts workers until the current generation is at its target, and
// marks the oldest surplus ones (after TTOU) for retirement.
func (m *Master) manage(now time.Time) {
	active, _ := m.counts()
	for _, w := range m.sorted() {
		if active <= m.target {
			break
		}
		if m.active(w) {
			w.recycle = "scale-down"
			active--
		}
	}
	for ; active < m.target && !now.Before(m.nextSpawn); active++ {
		if !m.spawn(now) {
			return
		}
	}
}

func (m *Master) spawn(now time.Time) bool {
	p, err := m.opt.Spawner.Spawn(m.gen, m.cfg)
	if err != nil {
		m.log.Error("cannot start worker", "generation", m.gen, "err", err)
		m.bootFailed(now, err.Error(), false)
		return false
	}
	w := &worker{proc: p, pid: p.PID(), gen: m.gen, started: now}
	m.workers[w.pid] = w
	m.log.Debug("worker started", "worker_pid", w.pid, "generation", w.gen)
	go func() {
		code, how := p.Wait()
		m.exits <- exit{pid: w.pid, code: code, how: how}
	}()
	return true
}

// retire sends SIGTERM to replaced workers, oldest first, as long as the ready
// workers left still reach the target. Replaced workers that never became
// ready carry no load and go at once.
func (m *Master) retire(now time.Time) {
	_, readyActive := m.counts()
	var serving []*worker
	for _, w := range m.sorted() {
		if w.stopping() || m.active(w) {
			continue
		}
		if !w.ready() {
			m.terminate(w, now)
			continue
		}
		serving = append(serving, w)
	}
	for i, w := range serving {
		if readyActive+len(serving)-i-1 < m.target {
			return
		}
		if w.recycle != "" {
			m.log.Info("recycling worker", "worker_pid", w.pid, "generation", w.gen, "reason", w.recycle, "requests", w.requests)
		}
		m.terminate(w, now)
	}
}

// terminate asks a worker to drain.
func (m *Master) terminate(w *worker, now time.Time) {
	w.termAt = now
	w.killAt = now.Add(m.cfg.GracefulTimeout + killGrace)
	_ = w.proc.Signal(syscall.SIGTERM)
}

// murder deals with workers that stopped beating, never booted, or outstayed
// their drain.
func (m *Master) murder(now time.Time) {
	for _, w := range m.sorted() {
		if !w.killAt.IsZero() && !w.killed && now.After(w.killAt) {
			m.log.Warn("killing worker", "worker_pid", w.pid, "generation", w.gen, "state", w.state())
			w.killed = true
			_ = w.proc.Signal(syscall.SIGKILL)
			continue
		}
		if w.stopping() {
			continue
		}
		switch {
		case !w.ready() && now.Sub(w.started) > m.cfg.Timeout:
			m.log.Error("worker did not become ready in time; killing it",
				"worker_pid", w.pid, "generation", w.gen, "timeout", m.cfg.Timeout)
			m.abort(w, now)
		case w.ready() && now.Sub(w.lastBeat) > m.cfg.Timeout:
			// The exact words of gunicorn, which operators' alerts already match.
			m.log.Log(context.Background(), levelCritical, "[CRITICAL] WORKER TIMEOUT (pid:"+itoa(w.pid)+")",
				"worker_pid", w.pid, "generation", w.gen, "silent_for", now.Sub(w.lastBeat).Round(time.Millisecond))
			m.abort(w, now)
		}
	}
}

// abort makes the Go runtime of a worker print every goroutine (GOTRACEBACK=all
// is in its environment) and exit; SIGCONT first wakes a stopped process so it
// can. SIGKILL follows after a grace.
func (m *Master) abort(w *worker, now time.Time) {
	w.aborted = true
	w.killAt = now.Add(killGrace)
	_ = w.proc.Signal(syscall.SIGABRT)
	_ = w.proc.Signal(syscall.SIGCONT)
}

func (m *Master) handleNote(n noteLike, now time.Time) {
	w, ok := m.workers[n.PID]
	if !ok {
		return
	}
	msg := n.Message
	if msg["READY"] == "1" && !w.ready() {
		w.readyAt, w.lastBeat = now, now
		m.bootFailures, m.backoff = 0, 0
		m.log.Info("worker booted", "worker_pid", w.pid, "generation", w.gen, "boot_time", now.Sub(w.started).Round(time.Millisecond))
	}
	if msg["WATCHDOG"] == "1" {
		w.lastBeat = now
	}
	if v, ok := msg["X_RESYNC_REQUESTS"]; ok {
		if n, err := parseUint(v); err == nil && n >= w.requests {
			w.requests = n
		}
	}
	if reason := msg["X_RESYNC_RECYCLE"]; reason != "" && w.recycle == "" && !w.stopping() {
		w.recycle = reason
	}
	if v, ok := msg["X_RESYNC_METRICS"]; ok && m.opt.Monitor != nil {
		if err := m.opt.Monitor.Observe(w.pid, w.gen, w.started, v); err != nil {
			m.log.Warn("bad metrics from worker", "worker_pid", w.pid, "error", err)
		}
	}
	if v, ok := msg["X_RESYNC_GC"]; ok {
		m.gcAnswer(w.pid, v)
	}
}

func (m *Master) drainNotes(now time.Time) {
	for {
		select {
		case n := <-m.opt.Notes:
			m.handleNote(n, now)
		default:
			return
		}
	}
}

// retireReason says why a worker went, in the monitor's words.
func (m *Master) retireReason(w *worker) string {
	switch {
	case w.aborted:
		return "timeout"
	case w.termAt.IsZero() && !m.stopping:
		return "exit"
	case w.gen != m.gen:
		return "reload"
	case w.recycle == "max-requests" || w.recycle == "max-rss":
		return "recycle"
	}
	return "stop"
}

func (m *Master) handleExit(e exit, now time.Time) {
	w, ok := m.workers[e.pid]
	if !ok {
		return
	}
	// A worker's last message (its final counters) was sent before it exited;
	// take it before the worker is forgotten.
	m.drainNotes(now)
	delete(m.workers, e.pid)
	m.retiredRequests += w.requests
	if m.opt.Monitor != nil {
		m.opt.Monitor.Retire(w.pid, m.retireReason(w))
	}
	if m.gc != nil && m.gc.waiting[w.pid] {
		m.gcAnswer(w.pid, gcError(w.pid, "exited before answering"))
	}
	attrs := []any{"worker_pid", w.pid, "generation", w.gen, "exit", e.how, "requests", w.requests}
	switch {
	case !w.termAt.IsZero() || m.stopping && e.code == 0:
		m.log.Info("worker exited", attrs...)
	case w.aborted:
		m.log.Warn("worker exited after timeout", attrs...)
	case !w.ready():
		m.log.Error("worker failed to boot", attrs...)
		m.bootFailed(now, e.how, e.code == ExitBoot)
	default:
		m.log.Error("worker died", attrs...)
	}
}

// bootFailed backs off respawning, and gives up when nothing serves.
func (m *Master) bootFailed(now time.Time, why string, hopeless bool) {
	if m.stopping {
		return
	}
	m.bootFailures++
	m.backoff = min(max(2*m.backoff, 100*time.Millisecond), maxBackoff)
	m.nextSpawn = now.Add(m.backoff)
	if !hopeless && m.bootFailures < maxBootFailures {
		return
	}
	if m.reload != nil && m.serving(m.reload.prevGen) {
		m.abandonReload(now, "new workers failed to boot: "+why)
		return
	}
	if !m.serving(-1) {
		m.fatal = wrapBoot(m.bootFailures, why)
		m.log.Error("no worker could boot; shutting down", "attempts", m.bootFailures, "last", why)
		m.stop(now, false)
	}
}

// serving reports whether a ready worker of gen (any gen when -1) is serving.
func (m *Master) serving(gen int) bool {
	for _, w := range m.workers {
		if w.ready() && !w.stopping() && (gen < 0 || w.gen == gen) {
			return true
		}
	}
	return false
}
