package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resync/resync/internal/browsertest"
)

// The dashboard as an operator opens it: served by the real workers, fed by
// the master's numbers, in real headless Chromium; charts fill and nothing
// goes to the console.
func TestDashboardOfRealServer(t *testing.T) {
	b := browsertest.Open(t, 90*time.Second)
	ctx := b.Ctx
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2"}})
	m.waitReady(false)
	startLoad(t, m.url("/api/v1/health/live"), 2).waitServed(t, 100)

	if err := chromedp.Do(ctx, chromedp.Navigate(m.url("/api/v1/metrics/dashboard?interval=300"))); err != nil {
		t.Fatalf("load dashboard: %v", err)
	}
	const filled = `["c-rps","c-lat","c-rss","c-cpu"].every(id => Number(document.getElementById(id).dataset.points) >= 8)`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](filled,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatalf("charts never filled: %v", err)
	}
	workers, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#t-workers .v").textContent`))
	if err != nil || workers != "2" {
		t.Errorf("workers tile = %q (%v), want 2", workers, err)
	}
	rps, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#t-rps .v").textContent`))
	if err != nil || rps == "" || rps == "0" || rps == "–" {
		t.Errorf("requests/s tile = %q (%v) under load", rps, err)
	}
	if problems := b.Problems(); len(problems) > 0 {
		t.Errorf("page console:\n%s", strings.Join(problems, "\n"))
	}
}
