package master

import (
	"log/slog"
	"sort"
	"time"

	"github.com/resync/resync/internal/protocol"
)

// levelCritical is logging.LevelCritical (journald PRIORITY=2); the master
// logs through slog alone and does not import the sinks.
const levelCritical = slog.LevelError + 4

// Why the master replaces a worker of its own accord; a worker asks with
// protocol.RecycleMaxRequests.
const (
	recycleMaxRSS    = "max-rss"
	recycleScaleDown = "scale-down"
)

// worker is the master's record of one worker process.
type worker struct {
	proc     Proc
	pid      int
	gen      int
	started  time.Time
	readyAt  time.Time // zero until READY=1
	lastBeat time.Time
	counters protocol.Counters // from its last message that carried them
	recycle  string            // why it is to be replaced; "" while wanted
	termAt   time.Time         // SIGTERM sent: draining
	closed   bool              // STOPPING=1 received: accepts no connection
	aborted  bool              // timed out: SIGABRT sent
	killAt   time.Time         // SIGKILL due
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
