package metrics

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Aggregator sums workers' snapshots into totals that survive the workers.
// Observe and Retire are meant for the master's goroutine, Report for any;
// a mutex makes the mix safe (it is never taken on a request path).
type Aggregator struct {
	mu      sync.Mutex
	now     func() time.Time
	live    map[int]*workerState
	retired Snapshot // counts of every worker gone
	reasons map[string]uint64
}

type workerState struct {
	pid, generation int
	started, last   time.Time
	snap            Snapshot
}

// Retire reasons.
const (
	reasonExit    = "exit"
	reasonRecycle = "recycle"
	reasonTimeout = "timeout"
	reasonReload  = "reload"
	reasonStop    = "stop"
)

// NewAggregator returns an Aggregator with no workers and zero totals.
func NewAggregator() *Aggregator {
	return &Aggregator{
		now:     time.Now,
		live:    map[int]*workerState{},
		retired: emptySnapshot(),
		reasons: map[string]uint64{},
	}
}

func emptySnapshot() Snapshot {
	return Snapshot{Codes: map[int]uint64{}, Buckets: make([]uint64, numBuckets)}
}

// Observe records a heartbeat's snapshot. A pid seen before with another start
// time or generation is a new process that reused the pid: the old one's counts
// are kept as if it had been retired (without counting a reason).
func (a *Aggregator) Observe(pid, generation int, started time.Time, snap Snapshot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w := a.live[pid]
	if w != nil && (!w.started.Equal(started) || w.generation != generation || snap.Requests < w.snap.Requests) {
		addInto(&a.retired, w.snap)
		w = nil
	}
	if w == nil {
		w = &workerState{pid: pid, generation: generation, started: started}
		a.live[pid] = w
	}
	w.snap = snap
	w.last = a.now()
}

// Retire folds pid's last counts into the totals and counts the reason: exit
// (it died on its own, or never booted), recycle (max requests or max RSS),
// timeout (killed for RESYNC_TIMEOUT), reload (replaced by a newer
// generation) or stop (scaled down or shut down). An unknown reason is an
// error, but the counts are folded all the same: nothing is lost.
func (a *Aggregator) Retire(pid int, reason string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w := a.live[pid]; w != nil {
		addInto(&a.retired, w.snap)
		delete(a.live, pid)
	}
	switch reason {
	case reasonExit, reasonRecycle, reasonTimeout, reasonReload, reasonStop:
		a.reasons[reason]++
		return nil
	}
	return fmt.Errorf("retire worker %d: unknown reason %q (want exit, recycle, timeout, reload or stop)", pid, reason)
}

// addInto adds the monotonic counts of s to acc; in-flight is a gauge and is not.
func addInto(acc *Snapshot, s Snapshot) {
	acc.Requests += s.Requests
	acc.LatencyNanos += s.LatencyNanos
	for i, n := range s.Buckets {
		if i < len(acc.Buckets) {
			acc.Buckets[i] += n
		}
	}
	for c, n := range s.Codes {
		acc.Codes[c] += n
	}
}

// Report builds the /api/v1/metrics document from the counters and this
// tick's samples.
func (a *Aggregator) Report(st Stats) Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	sum := emptySnapshot()
	addInto(&sum, a.retired)
	r := Report{
		GeneratedAt: a.now(),
		Master:      processReport(st.Master),
		Host:        hostReport(st.Host),
		Workers:     make([]WorkerReport, 0, len(a.live)),
		Health:      st.Health,
		Errors:      st.Errors,
	}
	for _, w := range a.live {
		addInto(&sum, w.snap)
		sum.InFlight += w.snap.InFlight
		p := st.Workers[w.pid]
		r.Workers = append(r.Workers, WorkerReport{
			PID: w.pid, Generation: w.generation, StartedAt: w.started,
			Requests: w.snap.Requests, InFlight: w.snap.InFlight,
			MemoryMB: mb(p.RSSBytes), MemoryPercent: p.MemoryPercent, CPUPercent: p.CPUPercent,
			Threads: p.Threads, FDs: p.FDs, LastHeartbeat: w.last,
		})
	}
	slices.SortFunc(r.Workers, func(x, y WorkerReport) int {
		return cmp.Or(cmp.Compare(x.Generation, y.Generation), cmp.Compare(x.PID, y.PID))
	})
	r.Totals = Totals{
		Requests: sum.Requests,
		InFlight: sum.InFlight,
		Codes:    make(map[string]uint64, len(sum.Codes)),
		Latency: Histogram{
			BoundsSeconds: slices.Clone(bucketBounds),
			Counts:        sum.Buckets,
			SumSeconds:    float64(sum.LatencyNanos) / 1e9,
		},
		Workers:  len(a.live),
		Restarts: a.reasons[reasonExit],
		Recycles: a.reasons[reasonRecycle],
		Timeouts: a.reasons[reasonTimeout],
		Reloads:  a.reasons[reasonReload],
		Stops:    a.reasons[reasonStop],
	}
	for c, n := range sum.Codes {
		r.Totals.Codes[codeLabel(c)] += n
	}
	return r
}
