package master

import (
	"fmt"
	"os"
	"time"

	"github.com/resync/resync/internal/control"
)

// handleCall answers a control-socket call: `resync reload`, `resync status`,
// and the questions workers ask for /api/v1/metrics and its GC.
func (m *Master) handleCall(c control.Call, now time.Time) {
	switch c.Cmd {
	case "reload":
		m.startReload(now, c.Reply)
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
		m.startGC(now, c.Reply)
	default:
		c.Reply <- control.Response{Error: fmt.Sprintf("unknown command %q", c.Cmd)}
	}
}

func (m *Master) snapshot() control.Snapshot {
	s := control.Snapshot{PID: os.Getpid(), Started: m.started, Generation: m.gen, Target: m.target,
		Requests: m.requests(), LastReload: m.lastReload, Retired: m.retired, Departures: m.departures}
	for _, w := range m.sorted() {
		row := control.Worker{PID: w.pid, Generation: w.gen, State: w.state(), Started: w.started,
			Requests: w.counters.Requests, LastHeartbeat: w.lastBeat, Counters: w.counters}
		row.RSSBytes = m.rssOf(w.pid)
		s.Workers = append(s.Workers, row)
	}
	return s
}
