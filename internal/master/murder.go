package master

import (
	"context"
	"strconv"
	"syscall"
	"time"
)

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
			m.log.Log(context.Background(), levelCritical, "[CRITICAL] WORKER TIMEOUT (pid:"+strconv.Itoa(w.pid)+")",
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
