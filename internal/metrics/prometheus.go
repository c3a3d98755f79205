package metrics

import (
	"fmt"
	"io"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/resync/resync/internal/control"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("resync_"+name, help, labels, nil)
}

var (
	wl = []string{"pid", "generation"}

	descRequests   = desc("http_requests_total", "HTTP requests served by all workers, live and retired, by status code.", "code")
	descInFlight   = desc("http_requests_in_flight", "HTTP requests being served now.")
	descLatency    = desc("http_request_duration_seconds", "HTTP request latency over all workers, live and retired.")
	descWorkers    = desc("workers", "Live worker processes.")
	descRetired    = desc("worker_retirements_total", "Workers retired, by reason: exit (died on its own), recycle, timeout, reload, stop.", "reason")
	descWRequests  = desc("worker_requests_total", "HTTP requests served by one live worker.", wl...)
	descWInFlight  = desc("worker_requests_in_flight", "HTTP requests being served by one worker.", wl...)
	descWRSS       = desc("worker_resident_memory_bytes", "Resident memory of one worker.", wl...)
	descWCPU       = desc("worker_cpu_usage_ratio", "CPU used by one worker over the last sampling interval, in cores.", wl...)
	descWThreads   = desc("worker_threads", "OS threads of one worker.", wl...)
	descWFDs       = desc("worker_open_fds", "Open file descriptors of one worker.", wl...)
	descWStart     = desc("worker_start_time_seconds", "Start time of one worker, seconds since the epoch.", wl...)
	descWHeartbeat = desc("worker_last_heartbeat_timestamp_seconds", "When the master last heard from one worker, seconds since the epoch.", wl...)
	descMRSS       = desc("master_resident_memory_bytes", "Resident memory of the master.")
	descMCPU       = desc("master_cpu_usage_ratio", "CPU used by the master over the last sampling interval, in cores.")
	descMThreads   = desc("master_threads", "OS threads of the master.")
	descMFDs       = desc("master_open_fds", "Open file descriptors of the master.")
	descMStart     = desc("master_start_time_seconds", "Start time of the master, seconds since the epoch.")
	descLoad1      = desc("host_load1", "Host load average over 1 minute.")
	descLoad5      = desc("host_load5", "Host load average over 5 minutes.")
	descLoad15     = desc("host_load15", "Host load average over 15 minutes.")
	descMemTotal   = desc("host_memory_total_bytes", "Host memory (MemTotal).")
	descMemAvail   = desc("host_memory_available_bytes", "Host memory available (MemAvailable).")
	descMemLimit   = desc("cgroup_memory_limit_bytes", "Memory limit of resync's cgroup, 0 when none is set.")
	descUp         = desc("dependency_up", "Whether a dependency (redis, upstream) was healthy at the last check.", "dependency")

	allDescs = []*prometheus.Desc{descRequests, descInFlight, descLatency, descWorkers, descRetired,
		descWRequests, descWInFlight, descWRSS, descWCPU, descWThreads, descWFDs, descWStart, descWHeartbeat,
		descMRSS, descMCPU, descMThreads, descMFDs, descMStart,
		descLoad1, descLoad5, descLoad15, descMemTotal, descMemAvail, descMemLimit, descUp}
)

// reportCollector exposes one Report; a fresh one is registered per scrape so
// every scrape shows exactly the document /api/v1/metrics shows.
type reportCollector struct{ r *Report }

func (c reportCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
	for _, s := range registeredSeries() {
		ch <- s.desc()
	}
}

func (c reportCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.r
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	cnt := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	t := r.Totals
	for code, n := range t.Codes {
		cnt(descRequests, float64(n), code)
	}
	g(descInFlight, float64(t.InFlight))
	ch <- latencyHistogram(t.Latency)
	g(descWorkers, float64(t.Workers))
	cnt(descRetired, float64(t.Restarts), control.DepartExit)
	cnt(descRetired, float64(t.Recycles), control.DepartRecycle)
	cnt(descRetired, float64(t.Timeouts), control.DepartTimeout)
	cnt(descRetired, float64(t.Reloads), control.DepartReload)
	cnt(descRetired, float64(t.Stops), control.DepartStop)

	for _, w := range r.Workers {
		l := []string{strconv.Itoa(w.PID), strconv.Itoa(w.Generation)}
		cnt(descWRequests, float64(w.Requests), l...)
		g(descWInFlight, float64(w.InFlight), l...)
		g(descWRSS, w.MemoryMB*(1<<20), l...)
		g(descWCPU, w.CPUPercent/100, l...)
		g(descWThreads, float64(w.Threads), l...)
		if w.FDs >= 0 {
			g(descWFDs, float64(w.FDs), l...)
		}
		g(descWStart, unixSeconds(w.StartedAt), l...)
		g(descWHeartbeat, unixSeconds(w.LastHeartbeat), l...)
	}

	m := r.Master
	g(descMRSS, m.MemoryMB*(1<<20))
	g(descMCPU, m.CPUPercent/100)
	g(descMThreads, float64(m.Threads))
	if m.FDs >= 0 {
		g(descMFDs, float64(m.FDs))
	}
	g(descMStart, unixSeconds(m.StartedAt))

	h := r.Host
	g(descLoad1, h.Load1)
	g(descLoad5, h.Load5)
	g(descLoad15, h.Load15)
	g(descMemTotal, h.MemoryTotalMB*(1<<20))
	g(descMemAvail, h.MemoryAvailableMB*(1<<20))
	g(descMemLimit, h.MemoryLimitMB*(1<<20))
	for name, hs := range r.Health {
		up := 0.0
		if hs.Status == "ok" {
			up = 1
		}
		g(descUp, up, name)
	}
	c.collectSeries(ch)
}

// latencyHistogram turns per-bucket counts into Prometheus's cumulative form.
// A malformed histogram (counts not matching bounds) yields what it can.
func latencyHistogram(h Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.BoundsSeconds))
	var cum uint64
	for i, b := range h.BoundsSeconds {
		if i < len(h.Counts) {
			cum += h.Counts[i]
		}
		buckets[b] = cum
	}
	for i := len(h.BoundsSeconds); i < len(h.Counts); i++ {
		cum += h.Counts[i] // +Inf
	}
	return prometheus.MustNewConstHistogram(descLatency, cum, h.SumSeconds, buckets)
}

// WritePrometheus writes r in the Prometheus text exposition format (0.0.4),
// the body of GET /metrics, with the series of extra collectors after it
// (the TWS plan's, say).
func WritePrometheus(w io.Writer, r Report, extra ...prometheus.Collector) error {
	reg := prometheus.NewRegistry()
	for _, c := range append([]prometheus.Collector{reportCollector{&r}}, extra...) {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		return fmt.Errorf("gather metrics: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("write metrics: %w", err)
		}
	}
	return nil
}
