// Package twspagetest owns the check of /dashboard/tws in headless Chromium
// (internal/browsertest), for the monitoring service's own test and the
// real binary's integration test: the two drive the same page against
// different servers, and must check it the same way.
//
// The check: while the plan moves, the jobs chart fills; once the plan is
// still and the page shows its latest snapshot, the tiles say what the API
// says; a job the simulator turns ABEND shows within a poll in the ABEND
// list (linking to the job and its log) and in the event feed; the console
// stays clean. It writes a screenshot of the page at the end.
package twspagetest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resync/resync/internal/browsertest"
)

// Site is the server under test and its simulator.
type Site struct {
	URL string // the server's base URL
	// GetJSON decodes the 200 JSON answer of GET path on the server.
	GetJSON func(path string, v any)
	Tick    func()          // moves the simulator's plan one step
	Abend   func(id string) // the simulator turns job id ABEND
	Wait    time.Duration   // what each thing the page must show may take
	Points  int             // chart samples to wait for while the plan moves
	Polling time.Duration   // the server's poll interval, for the log
	// Simulated: the server was told its engine is resync's simulator (the
	// upstream tile names it); else the tile names the HWA engine.
	Simulated bool
	// Update writes the screenshot to docs/tws-dashboard.png (from a test
	// package two levels below the repository's root) after a chart of 60
	// samples; else to a temp file.
	Update bool
}

// Check runs the check in b (fresh from browsertest.Open).
func Check(t *testing.T, b *browsertest.Browser, s Site) {
	t.Helper()
	ctx := b.Ctx
	shot := filepath.Join(t.TempDir(), "tws-dashboard.png")
	if s.Update {
		s.Points, s.Wait, shot = 60, max(s.Wait, 3*time.Minute), filepath.Join("..", "..", "docs", "tws-dashboard.png")
	}
	// The plan moves while the chart fills.
	stop, ticking := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ticking)
		tk := time.NewTicker(150 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				s.Tick()
			}
		}
	}()
	stopTicking := func() {
		select {
		case <-stop:
		default:
			close(stop)
			<-ticking
		}
	}
	defer stopTicking()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(s.URL+"/dashboard/tws?interval=250")); err != nil {
		t.Fatalf("load dashboard: %v", err)
	}
	poll := func(js, what string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(s.Wait))); err != nil {
			t.Fatalf("page never showed %s: %v (console %v)", what, err, b.Problems())
		}
	}
	poll(`Number(document.getElementById("c-jobs").dataset.points) >= `+strconv.Itoa(s.Points), "the chart filling")
	stopTicking()

	// The plan is still now: once the page shows a seq two polls later, its
	// numbers must be the API's (seq rises at every poll, the plan no more).
	var st struct {
		Snap struct {
			Seq     uint64         `json:"seq"`
			Summary map[string]any `json:"summary"`
		} `json:"snapshot"`
	}
	s.GetJSON("/api/v1/monitoring/status?brief=1", &st)
	seq := st.Snap.Seq
	for deadline := time.Now().Add(s.Wait); st.Snap.Seq < seq+2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no two polls of the still plan in %s (seq %d, then %d)", s.Wait, seq, st.Snap.Seq)
		}
		s.GetJSON("/api/v1/monitoring/status?brief=1", &st)
	}
	poll(`Number(document.body.dataset.seq) >= `+strconv.FormatUint(st.Snap.Seq, 10), "a snapshot of the still plan")
	var ws struct {
		Summary map[string]int `json:"summary"`
	}
	s.GetJSON("/api/v1/monitoring/status/workstations", &ws)
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
			t.Errorf("tile %s = %q, the API says %q", id, tiles[id], v)
		}
	}
	if upstream := map[bool]string{true: "SIMULATOR", false: "HWA"}[s.Simulated]; !strings.Contains(tiles["upstream"], upstream) {
		t.Errorf("upstream tile %q does not say %s", tiles["upstream"], upstream)
	}

	// A job turns ABEND in the simulator: within a poll it is in the list
	// (with links to its detail and log) and in the feed.
	var jobs struct {
		Jobs []map[string]any `json:"jobs"`
	}
	for _, status := range []string{"EXEC", "READY", "HOLD", "WAIT", "SUCC"} {
		if s.GetJSON("/api/v1/monitoring/status/jobs?limit=1&status="+status, &jobs); len(jobs.Jobs) > 0 {
			break
		}
	}
	if len(jobs.Jobs) == 0 {
		t.Fatal("no job to ABEND")
	}
	id, name := jobs.Jobs[0]["job_id"].(string), jobs.Jobs[0]["job_name"].(string)
	start := time.Now()
	s.Abend(id)
	quoted := strconv.Quote(id)
	poll(`[...document.querySelectorAll("#abends tr")].some(tr => tr.dataset.jobId === `+quoted+
		` && tr.querySelector("a[href$='/log']") && tr.querySelector("a").getAttribute("href") === "/api/v1/tws/jobs/" + encodeURIComponent(`+quoted+`))`,
		"the ABEND in the list")
	poll(`[...document.querySelectorAll("#events li")].some(li => li.dataset.type === "job_abend" && li.dataset.source === `+
		strconv.Quote(name)+`)`, "the ABEND in the feed")
	t.Logf("ABEND on the page %s after the simulator's change (poll every %s, page every 250 ms)",
		time.Since(start).Round(time.Millisecond), s.Polling)

	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
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
