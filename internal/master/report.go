package master

import (
	"fmt"
	"time"
)

// report tells systemd what it should know: READY=1 once the first generation
// serves at full strength, STATUS= when it changes, WATCHDOG=1 while the loop
// runs and some worker is healthy.
func (m *Master) report(now time.Time) {
	_, readyActive := m.counts()
	if !m.readySent && !m.stopping && readyActive >= m.target {
		m.readySent = true
		m.notify("READY=1\n")
		m.log.Info("resync ready", "workers", readyActive, "generation", m.gen)
	}
	status := fmt.Sprintf("%d/%d workers ready (generation %d), %d requests served; last reload: %s",
		readyActive, m.target, m.gen, m.requests(), m.lastReload)
	if m.stopping {
		status = fmt.Sprintf("stopping: %d workers draining", len(m.workers))
	}
	if status != m.status {
		m.status = status
		m.notify("STATUS=" + status + "\n")
	}
	if m.opt.Watchdog > 0 && now.Sub(m.lastPing) >= m.opt.Watchdog/2 && m.healthy(now) {
		m.lastPing = now
		m.notify("WATCHDOG=1\n")
	}
}

// healthy: at least one worker serves and beats.
func (m *Master) healthy(now time.Time) bool {
	for _, w := range m.workers {
		if w.ready() && !w.stopping() && now.Sub(w.lastBeat) <= m.cfg.Timeout {
			return true
		}
	}
	return false
}

func (m *Master) requests() uint64 {
	n := m.retired.Requests
	for _, w := range m.workers {
		n += w.counters.Requests
	}
	return n
}

// rssOf is the last sampled RSS, or a fresh read when the monitor is off.
func (m *Master) rssOf(pid int) uint64 {
	if rss, ok := m.rss[pid]; ok {
		return rss
	}
	if m.opt.RSS != nil {
		return m.opt.RSS(pid)
	}
	return 0
}
