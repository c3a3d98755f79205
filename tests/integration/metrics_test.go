package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type metricsDoc struct {
	Master  map[string]any   `json:"master"`
	Host    map[string]any   `json:"host"`
	Totals  map[string]any   `json:"totals"`
	Workers []map[string]any `json:"workers"`
}

func (m *master) metrics() metricsDoc {
	m.t.Helper()
	resp, body := get(m.t, m.url("/api/v1/metrics"))
	if resp.StatusCode != 200 {
		m.t.Fatalf("/api/v1/metrics: %d %s", resp.StatusCode, body)
	}
	var d metricsDoc
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		m.t.Fatalf("/api/v1/metrics: %v\n%s", err, body)
	}
	return d
}

func num(v any) float64 { f, _ := v.(float64); return f }

// Totals never go back, across recycling and reloads, whichever worker answers;
// the document has the guide's names.
func TestMetricsTotalsSurviveRecyclingAndReload(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_MAX_REQUESTS=500", "RESYNC_MAX_REQUESTS_JITTER=0"}})
	m.waitReady(false)
	l := startLoad(t, m.url("/api/v1/health/live"), 4)
	last := 0.0
	check := func() metricsDoc {
		d := m.metrics()
		got := num(d.Totals["requests"])
		if got < last {
			t.Fatalf("totals.requests went back from %v to %v", last, got)
		}
		last = got
		return d
	}
	waitUntil(t, 60*time.Second, "two recycles in the totals", func() bool { return num(check().Totals["recycles"]) >= 2 })
	m.signal(syscall.SIGHUP)
	waitUntil(t, 60*time.Second, "a reload in the totals", func() bool { return num(check().Totals["reloads"]) >= 1 })
	l.expectNoFailures(t)
	if last < 1000 {
		t.Errorf("totals.requests = %v after ≥ 2 recycles at 500 requests", last)
	}
	// The document is rebuilt once a second: right after the reload it may
	// still list the workers of the moment before.
	var d metricsDoc
	waitUntil(t, 10*time.Second, "a worker of generation 2 in /api/v1/metrics", func() bool {
		d = check()
		n := 0
		for _, w := range d.Workers {
			if num(w["generation"]) == 2 {
				n++
			}
		}
		return n > 0
	})
	for _, key := range []string{"pid", "generation", "started_at", "requests", "in_flight", "memory_mb",
		"memory_percent", "cpu_percent", "threads", "fds", "last_heartbeat"} {
		for _, w := range d.Workers {
			if _, ok := w[key]; !ok {
				t.Errorf("worker has no %q: %v", key, w)
			}
		}
	}
	for _, key := range []string{"memory_mb", "memory_percent", "cpu_percent", "threads"} {
		if _, ok := d.Master[key]; !ok {
			t.Errorf("master has no %q", key)
		}
	}
	if num(d.Master["memory_mb"]) <= 0 {
		t.Errorf("master memory_mb not sampled: %v", d.Master["memory_mb"])
	}
	// A worker that started since the last sample (once a second) shows 0
	// until the next one.
	waitUntil(t, 5*time.Second, "a sampled worker memory_mb", func() bool {
		for _, w := range m.metrics().Workers {
			if num(w["memory_mb"]) > 0 {
				return true
			}
		}
		return false
	})
}

// /metrics is valid Prometheus text, counts what was served, and passes
// promtool where it is installed (CI installs it).
func TestPrometheusEndpoint(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2"}})
	m.waitReady(false)
	for i := 0; i < 30; i++ {
		get(t, m.url("/api/v1/health/live"))
	}
	var body string
	waitUntil(t, 10*time.Second, "30 requests in /metrics", func() bool {
		var resp *http.Response
		resp, body = get(t, m.url("/metrics"))
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("/metrics does not parse: %v", err)
		}
		total := 0.0
		for name, f := range families {
			if strings.HasPrefix(name, "resync_http_requests") && f.GetType().String() == "COUNTER" {
				for _, s := range f.GetMetric() {
					total += s.GetCounter().GetValue()
				}
			}
		}
		return total >= 30
	})
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool missing in CI (Debian package prometheus)")
		}
		t.Skip("promtool not installed")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// /api/v1/metrics/gc, POST or GET (the guide's curl): admin only; every
// worker answers with its RSS.
func TestGCEndpoint(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=3", "RESYNC_ADMIN_TOKEN=s3cret"}})
	m.waitReady(false)
	m.waitWorkers(3, 10*time.Second)
	do := func(method, auth string) (*http.Response, string) {
		req, _ := http.NewRequest(method, m.url("/api/v1/metrics/gc"), nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp, b.String()
	}
	post := func(auth string) (*http.Response, string) { return do("POST", auth) }
	if resp, _ := post(""); resp.StatusCode != 401 {
		t.Errorf("no token: %d, want 401", resp.StatusCode)
	}
	if resp, _ := post("Bearer wrong"); resp.StatusCode != 401 {
		t.Errorf("wrong token: %d, want 401", resp.StatusCode)
	}
	resp, body := post("Bearer s3cret")
	if resp.StatusCode != 200 {
		t.Fatalf("right token: %d %s", resp.StatusCode, body)
	}
	var res struct {
		Workers []struct {
			PID         int     `json:"pid"`
			RSSBeforeMB float64 `json:"rss_before_mb"`
			RSSAfterMB  float64 `json:"rss_after_mb"`
			Error       string  `json:"error"`
		} `json:"workers"`
		TotalFreedMB *float64 `json:"total_freed_mb"`
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil || res.TotalFreedMB == nil {
		t.Fatalf("gc answer: %v\n%s", err, body)
	}
	if len(res.Workers) != 3 {
		t.Errorf("gc answered for %d workers, want 3: %s", len(res.Workers), body)
	}
	for _, w := range res.Workers {
		if w.Error != "" || w.RSSBeforeMB <= 0 || w.RSSAfterMB <= 0 {
			t.Errorf("worker %d: %+v", w.PID, w)
		}
	}
	if resp, _ := do("GET", ""); resp.StatusCode != 401 {
		t.Errorf("GET gc without token: %d, want 401", resp.StatusCode)
	}
	if resp, body := do("GET", "Bearer s3cret"); resp.StatusCode != 200 || !strings.Contains(body, `"total_freed_mb"`) {
		t.Errorf("GET gc with the token: %d %s, want 200 and a result", resp.StatusCode, body)
	}
	if resp, _ := get(t, m.url("/api/v1/workers")); resp.StatusCode != 401 {
		t.Errorf("worker table without token: %d, want 401", resp.StatusCode)
	}
}

// A worker whose memory passes RESYNC_WORKER_MAX_RSS_MB is recycled gracefully.
func TestMemoryRecycling(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=1", "RESYNC_WORKER_MAX_RSS_MB=150"}})
	m.waitReady(false)
	pids := m.waitWorkers(1, 10*time.Second)
	if resp, body := get(t, m.url("/debug/alloc?mb=200")); resp.StatusCode != 200 {
		t.Fatalf("alloc: %d %s", resp.StatusCode, body)
	}
	m.waitLog(`worker over its memory limit; recycling it.*worker_pid=`+itoa(pids[0]), 10*time.Second)
	m.waitLog(`recycling worker.*worker_pid=`+itoa(pids[0])+`.*reason=max-rss`, 10*time.Second)
	now := m.waitWorkers(1, 20*time.Second)
	if now[0] == pids[0] {
		t.Fatal("the worker over its memory limit is still serving")
	}
}

// `resync status`: the worker table while a master runs, a clear error when none does.
func TestStatusCommand(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2"}})
	m.waitReady(false)
	m.waitWorkers(2, 10*time.Second)
	out, err := exec.Command(binary, "status", "--runtime-dir", m.runtime).CombinedOutput()
	if err != nil {
		t.Fatalf("resync status: %v\n%s", err, out)
	}
	rows := regexp.MustCompile(`(?m)^\d+\s+1\s+ready\s`).FindAllString(string(out), -1)
	if !strings.Contains(string(out), "PID") || len(rows) != 2 {
		t.Errorf("resync status output:\n%s", out)
	}
	out, err = exec.Command(binary, "status", "--runtime-dir", t.TempDir()).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "no resync master is running") {
		t.Errorf("resync status with no master: exit %d\n%s", code, out)
	}
}

func exitCode(err error) int {
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func itoa(i int) string { return strconv.Itoa(i) }
