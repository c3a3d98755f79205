package metrics

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/procstat"
	"github.com/resync/resync/internal/protocol"
)

// snap makes a snapshot of n requests: n-errs 200s and errs 500s, all in the
// 5 ms bucket.
func snap(n, errs uint64, inFlight int64) protocol.Counters {
	s := protocol.NewCounters()
	s.Requests, s.InFlight, s.LatencyNanos = n, inFlight, n*4e6
	s.Buckets[3] = n
	if n > errs {
		s.Codes[200] = n - errs
	}
	if errs > 0 {
		s.Codes[500] = errs
	}
	return s
}

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// table is a master's table: two live workers (one not yet beaten) and the
// counts of those gone.
func table() control.Snapshot {
	retired := snap(40, 2, 5) // a retired worker's in-flight gauge must not leak
	return control.Snapshot{
		Workers: []control.Worker{
			{PID: 4343, Generation: 2, State: "ready", Started: t0, LastHeartbeat: t0, Counters: snap(10, 1, 2)},
			{PID: 4242, Generation: 1, State: "ready", Started: t0, LastHeartbeat: t0, Counters: snap(5, 0, 0)},
			{PID: 4444, Generation: 2, State: "booting", Started: t0}, // no heartbeat yet
		},
		Retired:    retired,
		Departures: map[string]uint64{"recycle": 1, "reload": 2, "timeout": 1, "exit": 1, "stop": 1},
	}
}

// Every worker of the table is listed, beaten or not; totals add the live
// workers to the retired counts.
func TestBuildTotals(t *testing.T) {
	r := Build(table(), Stats{}, t0)
	tot := r.Totals
	if tot.Requests != 55 || tot.Workers != 3 || len(r.Workers) != 3 {
		t.Fatalf("totals = %+v, %d workers listed; want 55 requests, 3 workers", tot, len(r.Workers))
	}
	var sum uint64
	for _, n := range tot.Latency.Counts {
		sum += n
	}
	if sum != 55 {
		t.Errorf("histogram holds %d requests, want 55", sum)
	}
	if tot.Recycles != 1 || tot.Reloads != 2 || tot.Timeouts != 1 || tot.Restarts != 1 || tot.Stops != 1 {
		t.Errorf("departures = %+v, want 1 recycle, 2 reloads, 1 timeout, 1 restart, 1 stop", tot)
	}
	if tot.Codes["500"] != 3 || tot.Codes["200"] != 52 {
		t.Errorf("codes = %v, want 200:52 500:3", tot.Codes)
	}
	if tot.InFlight != 2 {
		t.Errorf("in flight = %d, want 2: only live workers' gauges count", tot.InFlight)
	}
	if w := r.Workers[2]; w.PID != 4444 || w.State != "booting" || w.Requests != 0 || !w.LastHeartbeat.IsZero() {
		t.Errorf("the worker yet to beat = %+v", w)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestReportJSONShape pins the /api/v1/metrics field names the dashboard and
// users read.
func TestReportJSONShape(t *testing.T) {
	st := Stats{
		Master: procstat.ProcSample{PID: 1, RSSBytes: 30 << 20, Threads: 6, FDs: 12, StartedAt: t0},
		Host:   procstat.HostSample{CPUs: 2, Load1: 0.5, MemTotalBytes: 8 << 30, MemAvailableBytes: 6 << 30, MemLimitBytes: 2 << 30},
		Workers: map[int]procstat.ProcSample{
			4343: {PID: 4343, RSSBytes: 12 << 20, MemoryPercent: 0.6, CPUPercent: 35, Threads: 8, FDs: 9},
		},
		Health: map[string]Health{"redis": {Status: "ok", LatencyMS: 0.4}},
	}
	tb := table()
	tb.Workers = tb.Workers[:2]
	r := Build(tb, st, t0)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	must(t, json.Unmarshal(b, &doc))
	keys := func(v any) []string { return slices.Sorted(maps.Keys(v.(map[string]any))) }
	wantKeys := func(what string, v any, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := keys(v); !reflect.DeepEqual(got, want) {
			t.Errorf("%s keys = %v, want %v", what, got, want)
		}
	}
	wantKeys("top", doc, "generated_at", "master", "host", "totals", "workers", "health")
	workers := doc["workers"].([]any)
	if len(workers) != 2 {
		t.Fatalf("workers = %v, want 2", workers)
	}
	wantKeys("worker", workers[0], "pid", "generation", "state", "started_at", "requests", "in_flight",
		"memory_mb", "memory_percent", "cpu_percent", "threads", "fds", "last_heartbeat")
	wantKeys("master", doc["master"], "pid", "started_at", "uptime_seconds", "memory_mb",
		"memory_percent", "cpu_percent", "threads", "fds")
	wantKeys("host", doc["host"], "cpus", "load1", "load5", "load15", "memory_total_mb",
		"memory_available_mb", "memory_limit_mb", "memory_percent")
	wantKeys("totals", doc["totals"], "requests", "in_flight", "codes", "latency", "workers",
		"restarts", "recycles", "timeouts", "reloads", "stops")
	wantKeys("latency", doc["totals"].(map[string]any)["latency"], "bounds_seconds", "counts", "sum_seconds")

	w0, w1 := r.Workers[0], r.Workers[1]
	if w0.PID != 4242 || w1.PID != 4343 {
		t.Errorf("workers ordered %d, %d; want by generation: 4242, 4343", w0.PID, w1.PID)
	}
	if w1.MemoryMB != 12 || w1.CPUPercent != 35 || w1.Requests != 10 || w1.InFlight != 2 || !w1.LastHeartbeat.Equal(t0) {
		t.Errorf("worker 4343 = %+v", w1)
	}
	if r.Host.MemoryLimitMB != 2048 || r.Host.MemoryPercent != 25 || r.Master.MemoryMB != 30 {
		t.Errorf("host %+v / master %+v", r.Host, r.Master)
	}

	var back Report
	must(t, json.Unmarshal(b, &back))
	if !reflect.DeepEqual(back, r) {
		t.Errorf("Report does not survive JSON (a worker serves what the master built):\n got %+v\nwant %+v", back, r)
	}
}
