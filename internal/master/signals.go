package master

import (
	"os"
	"syscall"
	"time"
)

// handleSignal: one case per signal, as in gunicorn's arbiter.
func (m *Master) handleSignal(sig os.Signal, now time.Time) {
	switch sig {
	case syscall.SIGHUP:
		m.startReload(now, nil)
	case syscall.SIGTERM:
		// A second TERM while draining means "now".
		m.stop(now, !m.stopping)
	case syscall.SIGINT, syscall.SIGQUIT:
		m.stop(now, false)
	case syscall.SIGTTIN:
		m.target++
		m.log.Info("one worker more", "target_workers", m.target)
	case syscall.SIGTTOU:
		if m.target > 1 {
			m.target--
		}
		m.log.Info("one worker fewer", "target_workers", m.target)
	case syscall.SIGUSR1:
		if m.opt.ReopenLogs != nil {
			m.opt.ReopenLogs()
		}
		m.log.Info("log files reopened")
	case syscall.SIGUSR2:
		m.logWorkers(now)
	}
}

// stop begins shutdown: graceful drains in-flight requests for up to
// RESYNC_GRACEFUL_TIMEOUT, fast gives workers killGrace.
func (m *Master) stop(now time.Time, graceful bool) {
	if !m.stopping {
		m.notify("STOPPING=1\nSTATUS=stopping\n")
		m.log.Info("shutting down", "graceful", graceful, "graceful_timeout", m.cfg.GracefulTimeout, "workers", len(m.workers))
		m.failReload("shutting down")
	}
	m.stopping = true
	for _, w := range m.workers {
		switch {
		case graceful && w.termAt.IsZero() && !w.aborted:
			m.terminate(w, now)
		case !graceful && !w.killed:
			_ = w.proc.Signal(syscall.SIGINT)
			if w.killAt.IsZero() || w.killAt.After(now.Add(killGrace)) {
				w.killAt = now.Add(killGrace)
			}
		}
	}
}

// logWorkers is the guide's "check worker status": one line per worker.
func (m *Master) logWorkers(now time.Time) {
	for _, w := range m.sorted() {
		attrs := []any{"worker_pid", w.pid, "generation", w.gen, "state", w.state(),
			"age", now.Sub(w.started).Round(time.Second), "requests", w.counters.Requests}
		if !w.lastBeat.IsZero() {
			attrs = append(attrs, "last_heartbeat", now.Sub(w.lastBeat).Round(time.Millisecond).String()+" ago")
		}
		attrs = append(attrs, "rss_mb", float64(m.rssOf(w.pid))/(1<<20))
		m.log.Info("worker status", attrs...)
	}
}
