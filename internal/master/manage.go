package master

import (
	"syscall"
	"time"
)

// manage starts workers until the current generation is at its target, and
// marks the oldest surplus ones (after TTOU) for retirement.
func (m *Master) manage(now time.Time) {
	active, _ := m.counts()
	for _, w := range m.sorted() {
		if active <= m.target {
			break
		}
		if m.active(w) {
			w.recycle = recycleScaleDown
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
			m.log.Info("recycling worker", "worker_pid", w.pid, "generation", w.gen, "reason", w.recycle, "requests", w.counters.Requests)
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
