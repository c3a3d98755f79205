package monitoring

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resync/resync/internal/browsertest"
)

var update = flag.Bool("update", false, "write the TWS dashboard screenshot to docs/tws-dashboard.png")

// TestDashboardInChromium loads /dashboard/tws in headless Chromium against
// the service polling the simulator: the tiles match the API, a job the
// simulator turns ABEND shows in the ABEND list and the event feed, the
// simulator is named, and the console stays clean.
func TestDashboardInChromium(t *testing.T) {
	b := browsertest.Open(t, 2*time.Minute)
	g := newRig(t)
	ctx := b.Ctx
	// The plan moves while the chart fills.
	stop := make(chan struct{})
	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		tk := time.NewTicker(150 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				g.sim.Tick(1)
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(g.srv.URL+"/dashboard/tws?interval=250")); err != nil {
		t.Fatalf("load dashboard: %v", err)
	}
	points := 12
	if *update {
		points = 60
	}
	poll := func(js string, what string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(60*time.Second))); err != nil {
			t.Fatalf("page never showed %s: %v (console %v)", what, err, b.Problems())
		}
	}
	poll(`Number(document.getElementById("c-jobs").dataset.points) >= `+strconv.Itoa(points), "the chart filling")
	close(stop)
	<-ticking

	// The plan is still now: once the page shows the API's latest seq, the
	// numbers must be the API's.
	var st statusDoc
	var seq float64
	eventually(t, "two polls of the still plan", func() bool {
		g.get(t, "/api/v1/monitoring/status?brief=1", &st)
		if seq == 0 {
			seq = float64(st.Snap.Seq)
		}
		return float64(st.Snap.Seq) >= seq+2
	})
	g.get(t, "/api/v1/monitoring/status?brief=1", &st)
	// seq rises at every poll, the plan no more: any snapshot from here on is the same.
	poll(`Number(document.body.dataset.seq) >= `+strconv.FormatUint(st.Snap.Seq, 10), "a snapshot of the still plan")
	var ws struct {
		Summary map[string]int `json:"summary"`
	}
	g.get(t, "/api/v1/monitoring/status/workstations", &ws)
	tiles, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(
		["health","ws-online","ws-offline","jobs-running","jobs-completed","jobs-failed","jobs-pending","upstream"]
		.map(id => [id, document.getElementById(id).textContent]))`))
	if err != nil {
		t.Fatal(err)
	}
	sum := st.Snap.Summary
	want := map[string]string{"health": sum["system_health"].(string),
		"ws-online": strconv.Itoa(ws.Summary["online"]), "ws-offline": strconv.Itoa(ws.Summary["offline"]),
		"jobs-running": num(sum["jobs_running"]), "jobs-completed": num(sum["jobs_completed"]),
		"jobs-failed": num(sum["jobs_failed"]), "jobs-pending": num(sum["jobs_pending"])}
	for id, v := range want {
		if tiles[id] != v {
			t.Errorf("tile %s = %q, API says %q", id, tiles[id], v)
		}
	}
	if !strings.Contains(tiles["upstream"], "SIMULATOR") {
		t.Errorf("upstream %q does not name the simulator", tiles["upstream"])
	}

	// A job turns ABEND in the simulator: within a poll it is in the list
	// (with links to its detail and log) and in the feed.
	var jobs struct {
		Jobs []map[string]any `json:"jobs"`
	}
	g.get(t, "/api/v1/monitoring/status/jobs?status=EXEC&limit=1", &jobs)
	if len(jobs.Jobs) == 0 {
		g.get(t, "/api/v1/monitoring/status/jobs?status=READY&limit=1", &jobs)
	}
	if len(jobs.Jobs) == 0 {
		t.Fatal("no running or ready job to ABEND")
	}
	id, name := jobs.Jobs[0]["job_id"].(string), jobs.Jobs[0]["job_name"].(string)
	start := time.Now()
	if err := g.sim.Abend(id, 12); err != nil {
		t.Fatal(err)
	}
	quoted := strconv.Quote(id)
	poll(`[...document.querySelectorAll("#abends tr")].some(tr => tr.dataset.jobId === `+quoted+
		` && tr.querySelector("a[href$='/log']") && tr.querySelector("a").getAttribute("href") === "/api/v1/tws/jobs/" + encodeURIComponent(`+quoted+`))`,
		"the ABEND in the list")
	poll(`[...document.querySelectorAll("#events li")].some(li => li.dataset.type === "job_abend" && li.dataset.source === `+strconv.Quote(name)+`)`,
		"the ABEND in the feed")
	t.Logf("ABEND on the page %s after the simulator's change (poll every second, page every 250 ms)", time.Since(start).Round(time.Millisecond))

	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join(t.TempDir(), "tws-dashboard.png")
	if *update {
		out = filepath.Join("..", "..", "docs", "tws-dashboard.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if problems := b.Problems(); len(problems) > 0 {
		t.Errorf("page console:\n%s", strings.Join(problems, "\n"))
	}
}

func num(v any) string {
	f, _ := v.(float64)
	return strconv.Itoa(int(f))
}
