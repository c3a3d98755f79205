package master

import (
	"fmt"
	"strconv"
	"time"

	"github.com/resync/resync/internal/sdnotify"
)

func (m *Master) handleNote(n sdnotify.Note, now time.Time) {
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
		if n, err := strconv.ParseUint(v, 10, 64); err == nil && n >= w.requests {
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
		m.fatal = fmt.Errorf("%w: %d attempts, last: %s", ErrBoot, m.bootFailures, why)
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
