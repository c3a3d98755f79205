package metrics

import (
	"time"

	"github.com/resync/resync/internal/procstat"
)

// Report is the /api/v1/metrics document. It round-trips through JSON, so the
// master can build it and any worker can serve it (and WritePrometheus it).
type Report struct {
	GeneratedAt time.Time         `json:"generated_at"`
	Master      ProcessReport     `json:"master"`
	Host        HostReport        `json:"host"`
	Totals      Totals            `json:"totals"`
	Workers     []WorkerReport    `json:"workers"`
	Health      map[string]Health `json:"health,omitempty"` // "redis", "upstream" once those exist
	Errors      []string          `json:"errors,omitempty"` // sources that failed this tick
}

// ProcessReport is the master's own resource use.
type ProcessReport struct {
	PID           int       `json:"pid"`
	StartedAt     time.Time `json:"started_at"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	MemoryMB      float64   `json:"memory_mb"`
	MemoryPercent float64   `json:"memory_percent"`
	CPUPercent    float64   `json:"cpu_percent"`
	Threads       int       `json:"threads"`
	FDs           int       `json:"fds"`
}

// HostReport is the machine's state; MemoryLimitMB is the cgroup limit, 0 for none.
type HostReport struct {
	CPUs              int     `json:"cpus"`
	Load1             float64 `json:"load1"`
	Load5             float64 `json:"load5"`
	Load15            float64 `json:"load15"`
	MemoryTotalMB     float64 `json:"memory_total_mb"`
	MemoryAvailableMB float64 `json:"memory_available_mb"`
	MemoryLimitMB     float64 `json:"memory_limit_mb"`
	MemoryPercent     float64 `json:"memory_percent"` // in use, of the host
}

// Totals adds up live and retired workers; every counter in it is monotonic
// for the master's lifetime. Codes are keyed "200", "4xx" (folded), "other".
type Totals struct {
	Requests uint64            `json:"requests"`
	InFlight int64             `json:"in_flight"`
	Codes    map[string]uint64 `json:"codes"`
	Latency  Histogram         `json:"latency"`
	Workers  int               `json:"workers"`         // live now
	Restarts uint64            `json:"restarts"`        // workers that exited on their own
	Recycles uint64            `json:"recycles"`        // retired for max requests or max RSS
	Timeouts uint64            `json:"timeouts"`        // killed for exceeding RESYNC_TIMEOUT
	Reloads  uint64            `json:"reloads"`         // replaced by a reload
	Stops    uint64            `json:"stops"`           // scaled down (TTOU) or shut down
	Extra    map[string]int64  `json:"extra,omitempty"` // the workers' registered series (series.go)
}

// Histogram is a latency histogram: Counts[i] requests took at most
// BoundsSeconds[i] and more than the bound before; the last count is +Inf.
type Histogram struct {
	BoundsSeconds []float64 `json:"bounds_seconds"`
	Counts        []uint64  `json:"counts"`
	SumSeconds    float64   `json:"sum_seconds"`
}

// WorkerReport is one worker of the master's table: its counters (zero
// until its first heartbeat) and resource use (zero until its first sample).
type WorkerReport struct {
	PID           int       `json:"pid"`
	Generation    int       `json:"generation"`
	State         string    `json:"state"` // as `resync status` says: booting, ready, recycling, retiring, killing
	StartedAt     time.Time `json:"started_at"`
	Requests      uint64    `json:"requests"`
	InFlight      int64     `json:"in_flight"`
	MemoryMB      float64   `json:"memory_mb"`
	MemoryPercent float64   `json:"memory_percent"`
	CPUPercent    float64   `json:"cpu_percent"`
	Threads       int       `json:"threads"`
	FDs           int       `json:"fds"`
	LastHeartbeat time.Time `json:"last_heartbeat"`
}

// Health is one dependency's state: Status is "ok", "degraded" or "down".
type Health struct {
	Status    string  `json:"status"`
	Detail    string  `json:"detail,omitempty"`
	LatencyMS float64 `json:"latency_ms,omitempty"`
}

// Stats is what the master sampled this tick, for Report to combine with the
// counters. Workers is keyed by pid; a worker missing from it reports zeros.
type Stats struct {
	Master  procstat.ProcSample
	Host    procstat.HostSample
	Workers map[int]procstat.ProcSample
	Health  map[string]Health
	Errors  []string
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func processReport(p procstat.ProcSample) ProcessReport {
	return ProcessReport{
		PID: p.PID, StartedAt: p.StartedAt, UptimeSeconds: p.Uptime.Seconds(),
		MemoryMB: mb(p.RSSBytes), MemoryPercent: p.MemoryPercent, CPUPercent: p.CPUPercent,
		Threads: p.Threads, FDs: p.FDs,
	}
}

func hostReport(h procstat.HostSample) HostReport {
	r := HostReport{
		CPUs: h.CPUs, Load1: h.Load1, Load5: h.Load5, Load15: h.Load15,
		MemoryTotalMB: mb(h.MemTotalBytes), MemoryAvailableMB: mb(h.MemAvailableBytes),
		MemoryLimitMB: mb(h.MemLimitBytes),
	}
	if h.MemTotalBytes > 0 && h.MemAvailableBytes <= h.MemTotalBytes {
		r.MemoryPercent = 100 * float64(h.MemTotalBytes-h.MemAvailableBytes) / float64(h.MemTotalBytes)
	}
	return r
}

// unixSeconds is t as seconds since the epoch, 0 for the zero time.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
