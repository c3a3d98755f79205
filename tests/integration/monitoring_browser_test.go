package integration

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resync/resync/internal/browsertest"
	"github.com/resync/resync/internal/redistest"
)

var updateShot = flag.Bool("update-tws-shot", false, "write the real binary's TWS dashboard to docs/tws-dashboard.png")

// /dashboard/tws of the real binary, fed by its poller on a real
// redis-server and the simulator process, in headless Chromium: the tiles
// say what the API says, a job the simulator turns ABEND shows in the list
// and the feed within a poll, and the console stays clean.
func TestMonitoringDashboardOfRealServer(t *testing.T) {
	b := browsertest.Open(t, 5*time.Minute)
	ctx := b.Ctx
	rs := redistest.Start(t)
	s := startSim(t)
	// A poll a second, as the unit test: Chromium shares the 2 cores.
	const interval = time.Second
	m := startMaster(t, opts{env: monEnv(rs, s, interval, 5*time.Second)})
	m.waitReady(false)
	apiJSON := func(path string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(getBody(t, m.url(path))), v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	// The plan moves while the chart fills.
	stop, ticking := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ticking)
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				s.control("POST", "/_sim/tick?n=1", nil)
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(m.url("/dashboard/tws?interval=250"))); err != nil {
		t.Fatalf("load dashboard: %v", err)
	}
	wait := 30 * time.Second
	if *updateShot {
		wait = 3 * time.Minute // 60 polls for the picture
	}
	poll := func(js, what string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(wait))); err != nil {
			t.Fatalf("page never showed %s: %v (console %v)", what, err, b.Problems())
		}
	}
	points := 6
	if *updateShot {
		points = 60
	}
	poll(`Number(document.getElementById("c-jobs").dataset.points) >= `+strconv.Itoa(points), "the chart filling")
	close(stop)
	<-ticking

	// The plan is still now: once the page shows a seq two polls later, its
	// numbers must be the API's.
	type status struct {
		Snap struct {
			Seq     uint64         `json:"seq"`
			Summary map[string]any `json:"summary"`
		} `json:"snapshot"`
	}
	var st status
	apiJSON("/api/v1/monitoring/status?brief=1", &st)
	seq := st.Snap.Seq
	waitUntil(t, 20*time.Second, "two polls of the still plan", func() bool {
		apiJSON("/api/v1/monitoring/status?brief=1", &st)
		return st.Snap.Seq >= seq+2
	})
	poll(`Number(document.body.dataset.seq) >= `+strconv.FormatUint(st.Snap.Seq, 10), "a snapshot of the still plan")
	var ws struct {
		Summary map[string]int `json:"summary"`
	}
	apiJSON("/api/v1/monitoring/status/workstations", &ws)
	tiles, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(
		["health","ws-online","ws-offline","jobs-running","jobs-completed","jobs-failed","jobs-pending","upstream"]
		.map(id => [id, document.getElementById(id).textContent]))`))
	if err != nil {
		t.Fatal(err)
	}
	n := func(v any) string { f, _ := v.(float64); return strconv.Itoa(int(f)) }
	sum := st.Snap.Summary
	want := map[string]string{"health": sum["system_health"].(string),
		"ws-online": strconv.Itoa(ws.Summary["online"]), "ws-offline": strconv.Itoa(ws.Summary["offline"]),
		"jobs-running": n(sum["jobs_running"]), "jobs-completed": n(sum["jobs_completed"]),
		"jobs-failed": n(sum["jobs_failed"]), "jobs-pending": n(sum["jobs_pending"])}
	for id, v := range want {
		if tiles[id] != v {
			t.Errorf("tile %s = %q, the API says %q", id, tiles[id], v)
		}
	}

	var jobs struct {
		Jobs []map[string]any `json:"jobs"`
	}
	for _, st := range []string{"EXEC", "READY", "HOLD", "WAIT", "SUCC"} {
		if apiJSON("/api/v1/monitoring/status/jobs?limit=1&status="+st, &jobs); len(jobs.Jobs) > 0 {
			break
		}
	}
	if len(jobs.Jobs) == 0 {
		t.Fatal("no job to ABEND")
	}
	id, name := jobs.Jobs[0]["job_id"].(string), jobs.Jobs[0]["job_name"].(string)
	start := time.Now()
	s.control("POST", "/_sim/jobs/"+id+"/abend?rc=12", nil)
	quoted := strconv.Quote(id)
	poll(`[...document.querySelectorAll("#abends tr")].some(tr => tr.dataset.jobId === `+quoted+
		` && tr.querySelector("a[href$='/log']"))`, "the ABEND in the list")
	poll(`[...document.querySelectorAll("#events li")].some(li => li.dataset.type === "job_abend" && li.dataset.source === `+
		strconv.Quote(name)+`)`, "the ABEND in the feed")
	t.Logf("ABEND on the page %s after the simulator's change (poll every %s, page every 250 ms)",
		time.Since(start).Round(time.Millisecond), interval)

	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join(t.TempDir(), "tws-dashboard.png")
	if *updateShot {
		out = filepath.Join("..", "..", "docs", "tws-dashboard.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if problems := b.Problems(); len(problems) > 0 {
		t.Errorf("page console:\n%s", strings.Join(problems, "\n"))
	}
}
