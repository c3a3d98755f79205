package metrics

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resync/resync/internal/procstat"
)

// snap makes a snapshot of n requests: n-errs 200s and errs 500s, all in the
// 5 ms bucket.
func snap(n, errs uint64, inFlight int64) Snapshot {
	s := emptySnapshot()
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

// TestTotalsMonotonic walks workers through recycling, a reload, a timeout, a
// crash and a pid reuse: the totals never go down and end exact.
func TestTotalsMonotonic(t *testing.T) {
	a := NewAggregator()
	a.now = func() time.Time { return t0 }
	var last uint64
	check := func(step string, want uint64) {
		t.Helper()
		r := a.Report(Stats{})
		if r.Totals.Requests < last {
			t.Fatalf("%s: total requests went down %d -> %d", step, last, r.Totals.Requests)
		}
		if r.Totals.Requests != want {
			t.Fatalf("%s: total requests %d, want %d", step, r.Totals.Requests, want)
		}
		var sum uint64
		for _, n := range r.Totals.Latency.Counts {
			sum += n
		}
		if sum != want {
			t.Fatalf("%s: histogram holds %d requests, want %d", step, sum, want)
		}
		last = r.Totals.Requests
	}
	a.Observe(101, 1, t0, snap(10, 0, 1))
	a.Observe(102, 1, t0, snap(5, 1, 0))
	check("two workers", 15)
	a.Observe(101, 1, t0, snap(30, 2, 0))
	check("heartbeat", 35)
	must(t, a.Retire(101, "recycle"))
	check("after recycle", 35)
	a.Observe(103, 1, t0.Add(time.Second), snap(4, 0, 0))
	check("replacement", 39)
	must(t, a.Retire(102, "reload"))
	must(t, a.Retire(103, "reload"))
	a.Observe(201, 2, t0.Add(2*time.Second), snap(1, 0, 0))
	check("after reload", 40)
	must(t, a.Retire(201, "timeout"))
	must(t, a.Retire(999, "exit")) // died before its first heartbeat
	a.Observe(201, 2, t0.Add(3*time.Second), snap(2, 0, 0))
	a.Observe(201, 2, t0.Add(4*time.Second), snap(1, 0, 0)) // pid reused without a Retire
	check("pid reuse", 43)
	a.Observe(202, 2, t0, snap(7, 0, 0))
	must(t, a.Retire(202, "stop")) // scaled down
	check("after TTOU", 50)

	r := a.Report(Stats{})
	tot := r.Totals
	if tot.Recycles != 1 || tot.Reloads != 2 || tot.Timeouts != 1 || tot.Restarts != 1 || tot.Stops != 1 || tot.Workers != 1 {
		t.Errorf("retirements = %+v, want 1 recycle, 2 reloads, 1 timeout, 1 restart, 1 stop, 1 live worker", tot)
	}
	if tot.Codes["500"] != 3 || tot.Codes["200"] != 47 {
		t.Errorf("codes = %v, want 200:47 500:3", tot.Codes)
	}
	if tot.InFlight != 0 {
		t.Errorf("in flight = %d: a retired worker's gauge leaked into the total", tot.InFlight)
	}
	if err := a.Retire(201, "bored"); err == nil || !strings.Contains(err.Error(), "bored") {
		t.Errorf("unknown reason: err = %v, want one naming it", err)
	}
	if got := a.Report(Stats{}).Totals.Requests; got != 50 {
		t.Errorf("after a bad-reason Retire total = %d, want 50: counts must still fold", got)
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
	a := NewAggregator()
	a.now = func() time.Time { return t0 }
	a.Observe(4343, 2, t0, snap(10, 1, 2))
	a.Observe(4242, 1, t0, snap(5, 0, 0))
	st := Stats{
		Master: procstat.ProcSample{PID: 1, RSSBytes: 30 << 20, Threads: 6, FDs: 12, StartedAt: t0},
		Host:   procstat.HostSample{CPUs: 2, Load1: 0.5, MemTotalBytes: 8 << 30, MemAvailableBytes: 6 << 30, MemLimitBytes: 2 << 30},
		Workers: map[int]procstat.ProcSample{
			4343: {PID: 4343, RSSBytes: 12 << 20, MemoryPercent: 0.6, CPUPercent: 35, Threads: 8, FDs: 9},
		},
		Health: map[string]Health{"redis": {Status: "ok", LatencyMS: 0.4}},
	}
	r := a.Report(st)
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
	wantKeys("worker", workers[0], "pid", "generation", "started_at", "requests", "in_flight",
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

// TestReportConcurrent: Report from another goroutine while the master
// observes and retires; -race checks it.
func TestReportConcurrent(t *testing.T) {
	a := NewAggregator()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		var last uint64
		for {
			select {
			case <-stop:
				return
			default:
			}
			if got := a.Report(Stats{}).Totals.Requests; got < last {
				t.Errorf("total went down: %d -> %d", last, got)
				return
			} else {
				last = got
			}
		}
	})
	for i := range 2000 {
		pid := 100 + i%10
		a.Observe(pid, 1, t0, snap(uint64(i/10+1), 0, 0))
		if i%97 == 0 {
			must(t, a.Retire(pid, "recycle"))
		}
	}
	close(stop)
	wg.Wait()
}
