// Package monitor owns the master's view of what its workers use: once a
// second it samples /proc for the master and each worker of the master's
// table (never on a request's path), and builds the /api/v1/metrics document
// from that table and those samples, ready for whichever worker is asked.
//
// It keeps no list of workers of its own: the master hands it its table on
// every sample, so /api/v1/metrics and `resync status` list the same workers.
package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/metrics"
	"github.com/resync/resync/internal/procstat"
)

// Monitor is used from the master's loop only.
type Monitor struct {
	sampler *procstat.Sampler
	sampled map[int]bool // pids sampled last time, to forget the ones gone
	report  []byte
	now     func() time.Time

	// Health, when set, reports the dependencies the master itself knows
	// of (the embedded Redis store), called on every sample from the loop.
	Health func() map[string]metrics.Health
}

// New samples the /proc tree at procRoot ("/proc" outside tests).
func New(procRoot string) *Monitor {
	m := &Monitor{sampler: procstat.New(procRoot), now: time.Now}
	m.Sample(control.Snapshot{})
	return m
}

// Sample reads /proc for the master and the table's workers, rebuilds the
// report and returns each worker's resident memory in bytes.
func (m *Monitor) Sample(table control.Snapshot) map[int]uint64 {
	st := metrics.Stats{Workers: make(map[int]procstat.ProcSample, len(table.Workers))}
	if m.Health != nil {
		st.Health = m.Health()
	}
	var err error
	if st.Master, err = m.sampler.Sample(os.Getpid()); err != nil {
		st.Errors = append(st.Errors, "master: "+err.Error())
	}
	if st.Host, err = m.sampler.Host(); err != nil {
		st.Errors = append(st.Errors, "host: "+err.Error())
	}
	rss := make(map[int]uint64, len(table.Workers))
	sampled := make(map[int]bool, len(table.Workers))
	for _, w := range table.Workers {
		s, err := m.sampler.Sample(w.PID)
		if err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("worker %d: %v", w.PID, err))
		}
		st.Workers[w.PID] = s
		rss[w.PID] = s.RSSBytes
		sampled[w.PID] = true
	}
	for pid := range m.sampled {
		if !sampled[pid] {
			m.sampler.Forget(pid)
		}
	}
	m.sampled = sampled
	if b, err := json.Marshal(metrics.Build(table, st, m.now())); err == nil {
		m.report = b
	}
	return rss
}

// Report is the latest /api/v1/metrics document.
func (m *Monitor) Report() []byte { return m.report }
