package master

import (
	"fmt"
	"time"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/protocol"
	"github.com/resync/resync/internal/sdnotify"
)

func (m *Master) handleNote(n sdnotify.Note, now time.Time) {
	w, ok := m.workers[n.PID]
	if !ok {
		return
	}
	note, err := protocol.Read(n.Message)
	if err != nil {
		m.log.Warn("bad message from worker", "worker_pid", w.pid, "error", err)
	}
	if note.Ready && !w.ready() {
		w.readyAt, w.lastBeat = now, now
		m.bootFailures, m.backoff = 0, 0
		m.log.Info("worker booted", "worker_pid", w.pid, "generation", w.gen, "boot_time", now.Sub(w.started).Round(time.Millisecond))
	}
	if note.Beat {
		w.lastBeat = now
	}
	// Counts only grow: a recycle request sent from a request's goroutine
	// may arrive after a newer heartbeat.
	if c := note.Counters; c != nil && c.Requests >= w.counters.Requests {
		w.counters = *c
	}
	if note.Recycle != "" && w.recycle == "" && !w.stopping() {
		w.recycle = note.Recycle
	}
	if note.Stopping {
		w.closed = true
	}
	if note.GC != nil {
		m.gcAnswer(w.pid, *note.GC)
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

// departure says why a worker went, in /api/v1/metrics' words.
func (m *Master) departure(w *worker) string {
	switch {
	case w.aborted:
		return control.DepartTimeout
	case w.termAt.IsZero() && !m.stopping:
		return control.DepartExit
	case w.gen != m.gen:
		return control.DepartReload
	case w.recycle == protocol.RecycleMaxRequests || w.recycle == recycleMaxRSS:
		return control.DepartRecycle
	}
	return control.DepartStop
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
	m.retired.Add(w.counters)
	m.departures[m.departure(w)]++
	if m.gc != nil && m.gc.waiting[w.pid] {
		m.gcAnswer(w.pid, gcError(w.pid, "exited before answering"))
	}
	attrs := []any{"worker_pid", w.pid, "generation", w.gen, "exit", e.how, "requests", w.counters.Requests}
	switch {
	case !w.termAt.IsZero() || m.stopping && e.code == 0:
		m.log.Info("worker exited", attrs...)
	case w.aborted:
		m.log.Warn("worker exited after timeout", attrs...)
	case !w.ready():
		m.log.Error("worker failed to boot", attrs...)
		m.bootFailed(now, e.how, e.code == protocol.ExitBoot)
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
		m.fatal = fmt.Errorf("%w: %d attempts, last: %s", protocol.ErrBoot, m.bootFailures, why)
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
