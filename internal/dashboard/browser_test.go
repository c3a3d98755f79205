package dashboard

import (
	"encoding/json"
	"flag"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resync/resync/internal/browsertest"
	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/metrics"
	"github.com/resync/resync/internal/procstat"
	"github.com/resync/resync/internal/protocol"
)

var update = flag.Bool("update", false, "rewrite docs/dashboard.png from the browser test")

// fakeMaster serves a changing /api/v1/metrics built by the real metrics.Build:
// four workers with a mix of latencies and codes, one recycled every 7 polls
// and one timing out every 11.
type fakeMaster struct {
	mu      sync.Mutex
	retired control.Snapshot // Retired and Departures only
	tick    int
	nextPID int
	workers []*fakeWorker
}

type fakeWorker struct {
	pid, gen int
	started  time.Time
	snap     protocol.Counters
}

func newFakeMaster() *fakeMaster {
	f := &fakeMaster{retired: control.Snapshot{Retired: protocol.NewCounters(), Departures: map[string]uint64{}}, nextPID: 4100}
	for range 4 {
		f.spawn(1)
	}
	return f
}

func (f *fakeMaster) spawn(gen int) {
	f.nextPID++
	f.workers = append(f.workers, &fakeWorker{pid: f.nextPID, gen: gen, started: time.Now(),
		snap: protocol.NewCounters()})
}

func (f *fakeMaster) retire(i int, reason string) {
	f.retired.Retired.Add(f.workers[i].snap)
	f.retired.Departures[reason]++
	f.workers = append(f.workers[:i], f.workers[i+1:]...)
}

func (f *fakeMaster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tick++
	if f.tick%7 == 0 {
		f.retire(0, control.DepartRecycle)
		f.spawn(1)
	}
	if f.tick%11 == 0 {
		f.retire(1, control.DepartTimeout)
		f.spawn(1)
	}
	st := metrics.Stats{
		Master: procstat.ProcSample{PID: 4100, RSSBytes: 18 << 20, CPUPercent: 0.7, Threads: 6, FDs: 14,
			StartedAt: time.Now().Add(-3 * time.Hour), Uptime: 3 * time.Hour},
		Host:    procstat.HostSample{CPUs: 2, Load1: 0.8, Load5: 0.6, Load15: 0.4, MemTotalBytes: 24 << 30, MemAvailableBytes: 17 << 30},
		Workers: map[int]procstat.ProcSample{},
		Health:  map[string]metrics.Health{"redis": {Status: "ok", LatencyMS: 0.4}}, // no upstream: "n/a"
	}
	table := f.retired
	for i, wk := range f.workers {
		wave := math.Sin(float64(f.tick+3*i) / 4)
		n := uint64(200 + 60*i + int(80*wave))
		wk.snap.Requests += n
		wk.snap.Buckets[2] += n / 2 // <= 2.5 ms
		wk.snap.Buckets[4] += n / 3 // <= 10 ms
		wk.snap.Buckets[7] += n - n/2 - n/3 - 2
		wk.snap.Buckets[9] += 2 // a slow tail
		wk.snap.Codes[200] += n - 3
		wk.snap.Codes[404] += 2
		wk.snap.Codes[500]++
		wk.snap.LatencyNanos += n * 8e6
		wk.snap.InFlight = int64(i % 3)
		table.Workers = append(table.Workers, control.Worker{PID: wk.pid, Generation: wk.gen, State: "ready",
			Started: wk.started, LastHeartbeat: time.Now(), Counters: wk.snap})
		st.Workers[wk.pid] = procstat.ProcSample{PID: wk.pid, RSSBytes: uint64(40+8*i+f.tick%20) << 20,
			MemoryPercent: 0.2, CPUPercent: 30 + 20*wave + 5*float64(i), Threads: 9, FDs: 12}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(metrics.Build(table, st, time.Now()))
}

// TestDashboardInChromium loads the page in real headless Chromium against a
// changing metrics document and checks that every chart drew data, the tiles
// read the document, and the page logged no error.
func TestDashboardInChromium(t *testing.T) {
	b := browsertest.Open(t, 2*time.Minute)
	ctx := b.Ctx
	mux := http.NewServeMux()
	mux.Handle("/api/v1/metrics/dashboard", Handler())
	mux.Handle("/api/v1/metrics", newFakeMaster())
	srv := httptest.NewServer(mux) // 127.0.0.1 only
	defer srv.Close()

	// 40 points is 14-20 polls: past a recycle (every 7) and a timeout (every 11).
	minPoints := 40
	if *update {
		minPoints = 290 // nearly the whole 150-point window, for the docs
	}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(srv.URL+"/api/v1/metrics/dashboard?interval=300"),
	); err != nil {
		t.Fatalf("load dashboard: %v", err)
	}
	const charts = `["c-rps","c-lat","c-life","c-rss","c-cpu"]`
	ready := charts + `.every(id => Number(document.getElementById(id).dataset.points) >= ` + itoa(minPoints) + `)`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(70*time.Second))); err != nil {
		pts, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](charts+`.map(id => id + "=" + document.getElementById(id).dataset.points)`))
		status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status").textContent`))
		t.Fatalf("charts never filled (%v; status %q): %v", pts, status, err)
	}

	// Pixels, not just the attribute: count saturated (series-coloured) pixels
	// on each canvas; grid lines and labels are grey and do not count.
	inked, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](charts+`.reduce((out, id) => {
		const c = document.getElementById(id), d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4) {
			if (d[i+3] > 128 && Math.max(d[i], d[i+1], d[i+2]) - Math.min(d[i], d[i+1], d[i+2]) > 80) n++;
		}
		out[id] = n;
		return out;
	}, {})`))
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range inked {
		if n < 50 {
			t.Errorf("chart %s has %d coloured pixels: nothing drawn", id, n)
		}
	}

	tiles, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(
		[...document.querySelectorAll(".tile")].map(el => [el.id, el.querySelector(".v").textContent]))`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"t-redis": "ok", "t-upstream": "n/a", "t-workers": "4"}
	for id, v := range want {
		if tiles[id] != v {
			t.Errorf("tile %s = %q, want %q (all: %v)", id, tiles[id], v, tiles)
		}
	}
	for _, id := range []string{"t-rps", "t-p50", "t-p99", "t-recycles", "t-timeouts"} {
		if v := tiles[id]; v == "" || v == "–" || v == "0" {
			t.Errorf("tile %s = %q, want a value (all: %v)", id, v, tiles)
		}
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#workers tbody tr").length`))
	if err != nil || rows != 4 {
		t.Errorf("worker table has %d rows (%v), want 4", rows, err)
	}

	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join(t.TempDir(), "dashboard.png")
	if *update {
		out = filepath.Join("..", "..", "docs", "dashboard.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)

	if problems := b.Problems(); len(problems) > 0 {
		t.Errorf("page console:\n%s", strings.Join(problems, "\n"))
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
