package metrics

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/procstat"
)

// nineWorkerReport is a high-load-profile master: 9 live workers, some retired.
func nineWorkerReport() Report {
	st := Stats{
		Master:  procstat.ProcSample{PID: 1000, RSSBytes: 20 << 20, Threads: 7, FDs: 15, CPUPercent: 1.5, StartedAt: t0},
		Host:    procstat.HostSample{CPUs: 4, Load1: 1.2, MemTotalBytes: 16 << 30, MemAvailableBytes: 9 << 30},
		Workers: map[int]procstat.ProcSample{},
		Health:  map[string]Health{"redis": {Status: "ok"}, "upstream": {Status: "down", Detail: "connection refused"}},
	}
	tb := control.Snapshot{Retired: snap(500, 0, 0), Departures: map[string]uint64{"recycle": 1, "timeout": 1}}
	for i := range 9 {
		pid := 2000 + i
		tb.Workers = append(tb.Workers, control.Worker{PID: pid, Generation: 1, State: "ready", Started: t0, LastHeartbeat: t0,
			Counters: snap(uint64(1000*(i+1)), uint64(i), int64(i%3))})
		st.Workers[pid] = procstat.ProcSample{PID: pid, RSSBytes: uint64(30+i) << 20, CPUPercent: float64(10 * i), Threads: 9, FDs: 11}
	}
	return Build(tb, st, t0)
}

func scrape(t *testing.T, r Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePrometheus(&buf, r); err != nil {
		t.Fatalf("WritePrometheus: %v", err)
	}
	return buf.Bytes()
}

func TestPrometheusParses(t *testing.T) {
	r := nineWorkerReport()
	out := scrape(t, r)
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, out)
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		mf := mfs[name]
		if mf == nil {
			t.Fatalf("no family %s", name)
		}
	next:
		for _, m := range mf.Metric {
			for _, lp := range m.Label {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				return m.Counter.GetValue()
			case dto.MetricType_GAUGE:
				return m.Gauge.GetValue()
			}
		}
		t.Fatalf("no %s%v", name, labels)
		return 0
	}
	var total uint64
	for _, n := range r.Totals.Codes {
		total += n
	}
	if got := value("resync_http_requests_total", map[string]string{"code": "200"}); got != float64(r.Totals.Codes["200"]) {
		t.Errorf("requests{code=200} = %v, want %d", got, r.Totals.Codes["200"])
	}
	h := mfs["resync_http_request_duration_seconds"].Metric[0].Histogram
	if h.GetSampleCount() != r.Totals.Requests || h.GetSampleCount() != total || h.GetSampleCount() != 45500 {
		t.Errorf("histogram count %d, totals %d, codes %d; want all 45500", h.GetSampleCount(), r.Totals.Requests, total)
	}
	if b := h.Bucket[3]; b.GetUpperBound() != 0.005 || b.GetCumulativeCount() != 45500 {
		t.Errorf("bucket le=%v holds %d, want le=0.005 holding 45500", b.GetUpperBound(), b.GetCumulativeCount())
	}
	if got := value("resync_worker_retirements_total", map[string]string{"reason": "timeout"}); got != 1 {
		t.Errorf("retirements{timeout} = %v, want 1", got)
	}
	if n := len(mfs["resync_worker_resident_memory_bytes"].Metric); n != 9 {
		t.Errorf("%d worker RSS series, want 9", n)
	}
	if got := value("resync_worker_resident_memory_bytes", map[string]string{"pid": "2003", "generation": "1"}); got != 33<<20 {
		t.Errorf("worker 2003 RSS = %v, want %d", got, 33<<20)
	}
	if got := value("resync_worker_cpu_usage_ratio", map[string]string{"pid": "2008"}); got != 0.8 {
		t.Errorf("worker 2008 CPU = %v cores, want 0.8", got)
	}
	if got := value("resync_dependency_up", map[string]string{"dependency": "upstream"}); got != 0 {
		t.Errorf("upstream up = %v, want 0", got)
	}
	if got := value("resync_workers", nil); got != 9 {
		t.Errorf("workers = %v, want 9", got)
	}

	problems, err := promlint.New(bytes.NewReader(out)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("promlint: %s: %s", pr.Metric, pr.Text)
	}
}

// TestPromtoolCheckMetrics runs Prometheus's own linter, the check the issue
// names. .ci/run installs it (Debian package "prometheus"); on a developer
// machine without it the test skips.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not installed; CI must install Debian package prometheus")
		}
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	for name, r := range map[string]Report{"nine workers": nineWorkerReport(), "empty": Build(control.Snapshot{}, Stats{}, t0)} {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(scrape(t, r))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: promtool check metrics: %v\n%s", name, err, out)
		}
	}
}

// TestPrometheusBadHistogram: a hand-edited Report with too few counts still
// scrapes instead of panicking in a worker.
func TestPrometheusBadHistogram(t *testing.T) {
	r := nineWorkerReport()
	r.Totals.Latency.Counts = r.Totals.Latency.Counts[:2]
	if out := scrape(t, r); !strings.Contains(string(out), "resync_http_request_duration_seconds_count") {
		t.Errorf("no histogram in\n%s", out)
	}
}

// BenchmarkScrape9WorkersFromJSON is what a worker does per /metrics request
// once it has the master's document: decode the JSON, then render it.
func BenchmarkScrape9WorkersFromJSON(b *testing.B) {
	doc, err := json.Marshal(nineWorkerReport())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var r Report
		if err := json.Unmarshal(doc, &r); err != nil {
			b.Fatal(err)
		}
		if err := WritePrometheus(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScrape9Workers is the cost of one /metrics answer given the
// master's Report for 9 workers (the JSON fetch from the master is extra).
func BenchmarkScrape9Workers(b *testing.B) {
	r := nineWorkerReport()
	r.GeneratedAt = time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if err := WritePrometheus(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
