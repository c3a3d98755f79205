// Package monitor owns the master's view of what its workers do and use: it
// feeds the request counters that arrive in heartbeats to a
// metrics.Aggregator, samples /proc for the master and each worker once a
// second (never on a request's path), and keeps the latest /api/v1/metrics
// document ready for whichever worker is asked for it.
package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/resync/resync/internal/metrics"
	"github.com/resync/resync/internal/procstat"
)

// Monitor is called from the master's loop; Report may be called from anywhere.
type Monitor struct {
	agg     *metrics.Aggregator
	sampler *procstat.Sampler

	mu     sync.Mutex
	report []byte
}

// New samples the /proc tree at procRoot ("/proc" outside tests).
func New(procRoot string) *Monitor {
	m := &Monitor{agg: metrics.NewAggregator(), sampler: procstat.New(procRoot)}
	m.Sample(nil)
	return m
}

// Observe takes one heartbeat's encoded counters.
func (m *Monitor) Observe(pid, generation int, started time.Time, encoded string) error {
	snap, err := metrics.DecodeSnapshot(encoded)
	if err != nil {
		return fmt.Errorf("worker %d metrics: %w", pid, err)
	}
	m.agg.Observe(pid, generation, started, snap)
	return nil
}

// Retire folds a reaped worker's counters into the totals.
func (m *Monitor) Retire(pid int, reason string) {
	_ = m.agg.Retire(pid, reason) // an unknown reason still folds the counts
	m.sampler.Forget(pid)
}

// Sample reads /proc for the master and the given workers, rebuilds the
// report and returns each worker's resident memory in bytes.
func (m *Monitor) Sample(pids []int) map[int]uint64 {
	st := metrics.Stats{Workers: make(map[int]procstat.ProcSample, len(pids))}
	var err error
	if st.Master, err = m.sampler.Sample(os.Getpid()); err != nil {
		st.Errors = append(st.Errors, "master: "+err.Error())
	}
	if st.Host, err = m.sampler.Host(); err != nil {
		st.Errors = append(st.Errors, "host: "+err.Error())
	}
	rss := make(map[int]uint64, len(pids))
	for _, pid := range pids {
		s, err := m.sampler.Sample(pid)
		if err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("worker %d: %v", pid, err))
		}
		st.Workers[pid] = s
		rss[pid] = s.RSSBytes
	}
	b, err := json.Marshal(m.agg.Report(st))
	if err == nil {
		m.mu.Lock()
		m.report = b
		m.mu.Unlock()
	}
	return rss
}

// Report is the latest /api/v1/metrics document.
func (m *Monitor) Report() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.report
}
