package metrics

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/protocol"
)

// Build makes the /api/v1/metrics document from the master's worker table
// (the only list of workers: a worker is listed from the moment it is
// started, whether or not it has beaten yet) and this tick's samples.
// Totals are the retired workers' counts plus the live ones', so they never
// go back across recycling and reloads.
func Build(table control.Snapshot, st Stats, now time.Time) Report {
	sum := protocol.NewCounters()
	sum.Add(table.Retired)
	r := Report{
		GeneratedAt: now,
		Master:      processReport(st.Master),
		Host:        hostReport(st.Host),
		Workers:     make([]WorkerReport, 0, len(table.Workers)),
		Health:      st.Health,
		Errors:      st.Errors,
	}
	for _, w := range table.Workers {
		sum.Add(w.Counters)
		sum.InFlight += w.Counters.InFlight
		for name, n := range w.Counters.Extra {
			if !protocol.IsCounter(name) { // gauges: live workers only
				sum.AddExtra(name, n)
			}
		}
		p := st.Workers[w.PID]
		r.Workers = append(r.Workers, WorkerReport{
			PID: w.PID, Generation: w.Generation, State: w.State, StartedAt: w.Started,
			Requests: w.Counters.Requests, InFlight: w.Counters.InFlight,
			MemoryMB: mb(p.RSSBytes), MemoryPercent: p.MemoryPercent, CPUPercent: p.CPUPercent,
			Threads: p.Threads, FDs: p.FDs, LastHeartbeat: w.LastHeartbeat,
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
			BoundsSeconds: slices.Clone(protocol.LatencyBounds),
			Counts:        sum.Buckets,
			SumSeconds:    float64(sum.LatencyNanos) / 1e9,
		},
		Workers:  len(table.Workers),
		Restarts: table.Departures[control.DepartExit],
		Recycles: table.Departures[control.DepartRecycle],
		Timeouts: table.Departures[control.DepartTimeout],
		Reloads:  table.Departures[control.DepartReload],
		Stops:    table.Departures[control.DepartStop],
		Extra:    sum.Extra,
	}
	for c, n := range sum.Codes {
		r.Totals.Codes[codeLabel(c)] += n
	}
	return r
}

// codeLabel names a Codes key: "404", or "4xx" for a folded class, "other" for 0.
func codeLabel(c int) string {
	switch {
	case c == 0:
		return "other"
	case c < 10:
		return strconv.Itoa(c) + "xx"
	default:
		return strconv.Itoa(c)
	}
}
