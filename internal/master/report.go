package master

import (
	"fmt"
	"os"
	"time"

	"github.com/resync/resync/internal/control"
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
	n := m.retiredRequests
	for _, w := range m.workers {
		n += w.requests
	}
	return n
}

func (m *Master) handleCall(c control.Call) {
	switch c.Cmd {
	case "reload":
		m.startReload(time.Now(), c.Reply)
	case "status":
		s := m.snapshot()
		c.Reply <- control.Response{OK: true, Status: &s}
	case "metrics":
		if m.opt.Monitor == nil {
			c.Reply <- control.Response{Error: "metrics are off (RESYNC_METRICS=off)"}
			return
		}
		c.Reply <- control.Response{OK: true, Data: m.opt.Monitor.Report()}
	case "gc":
		m.startGC(time.Now(), c.Reply)
	default:
		c.Reply <- control.Response{Error: fmt.Sprintf("unknown command %q", c.Cmd)}
	}
}

func (m *Master) snapshot() control.Snapshot {
	s := control.Snapshot{PID: os.Getpid(), Started: m.started, Generation: m.gen, Target: m.target,
		Requests: m.requests(), LastReload: m.lastReload}
	for _, w := range m.sorted() {
		row := control.Worker{PID: w.pid, Generation: w.gen, State: w.state(), Started: w.started,
			Requests: w.requests, LastHeartbeat: w.lastBeat}
		row.RSSBytes = m.rssOf(w.pid)
		s.Workers = append(s.Workers, row)
	}
	return s
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
