package integration

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The dashboard as an operator opens it: served by the real workers, fed by
// the master's numbers, in real headless Chromium; charts fill and nothing
// goes to the console.
func TestDashboardOfRealServer(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium missing in CI (Debian package chromium)")
		}
		t.Skip("chromium not installed")
	}
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2"}})
	m.waitReady(false)
	startLoad(t, m.url("/api/v1/health/live"), 2).waitServed(t, 100)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800))
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(ctx)
	go func() {
		for msg, err := range messages {
			if err != nil {
				return
			}
			if msg.Type == chromedp.ConsoleError || msg.IsException() || msg.Type == chromedp.ConsoleWarning {
				mu.Lock()
				problems = append(problems, msg.String())
				mu.Unlock()
			}
		}
	}()
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
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("page console:\n%s", strings.Join(problems, "\n"))
	}
}
