package master

import (
	"encoding/json"
	"fmt"
	"syscall"
	"time"

	"github.com/resync/resync/internal/control"
)

// gcRun is a POST /api/v1/metrics/gc in progress: SIGUSR2 went to every
// serving worker, and each answers X_RESYNC_GC= with its RSS before and after.
type gcRun struct {
	reply    chan control.Response
	waiting  map[int]bool
	results  []json.RawMessage
	deadline time.Time
}

func (m *Master) startGC(now time.Time, reply chan control.Response) {
	if m.gc != nil {
		reply <- control.Response{Error: "a collection is already running"}
		return
	}
	m.gc = &gcRun{reply: reply, waiting: map[int]bool{}, results: []json.RawMessage{}, deadline: now.Add(gcTimeout)}
	for _, w := range m.workers {
		if w.ready() && !w.stopping() && w.proc.Signal(syscall.SIGUSR2) == nil {
			m.gc.waiting[w.pid] = true
		}
	}
	m.log.Info("forced garbage collection", "workers", len(m.gc.waiting))
	m.gcDone()
}

func (m *Master) gcAnswer(pid int, raw string) {
	if m.gc == nil || !m.gc.waiting[pid] {
		return
	}
	delete(m.gc.waiting, pid)
	if !json.Valid([]byte(raw)) {
		raw = gcError(pid, "unreadable answer")
	}
	m.gc.results = append(m.gc.results, json.RawMessage(raw))
	m.gcDone()
}

func (m *Master) gcTimeout(now time.Time) {
	if m.gc == nil || now.Before(m.gc.deadline) {
		return
	}
	for pid := range m.gc.waiting {
		m.gcAnswer(pid, gcError(pid, fmt.Sprintf("no answer within %s", gcTimeout)))
	}
}

func (m *Master) gcDone() {
	if len(m.gc.waiting) > 0 {
		return
	}
	data, _ := json.Marshal(m.gc.results)
	m.gc.reply <- control.Response{OK: true, Data: data}
	m.gc = nil
}

func gcError(pid int, msg string) string {
	b, _ := json.Marshal(map[string]any{"pid": pid, "error": msg})
	return string(b)
}
