package hwa_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/hwa"
	"github.com/resync/resync/internal/hwasim"
)

func newSim(t *testing.T, o hwasim.Options) (*hwasim.Server, string) {
	t.Helper()
	if o.Jobs == 0 {
		o.Jobs = 300
	}
	sim := hwasim.New(o)
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { ts.Close(); sim.Close() })
	return sim, ts.URL
}

func newClient(t *testing.T, url string, mod func(*hwa.Config)) *hwa.Client {
	t.Helper()
	cfg := hwa.Config{URL: url, User: "resync", Password: "resync", RequestTimeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := hwa.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPagingFollowsEveryPage(t *testing.T) {
	sim, url := newSim(t, hwasim.Options{})
	c := newClient(t, url, func(c *hwa.Config) { c.PageSize = 70 })
	jobs, err := c.AllJobs(context.Background(), hwa.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 300 {
		t.Fatalf("got %d jobs, want 300", len(jobs))
	}
	seen := map[string]bool{}
	for _, j := range jobs {
		seen[j.ID] = true
	}
	if len(seen) != 300 {
		t.Fatalf("got %d distinct jobs", len(seen))
	}
	if n := sim.Count("/twsd/api/v2/plan/job"); n != 5 {
		t.Fatalf("pages asked: %d, want 5", n)
	}
	page, err := c.Jobs(context.Background(), hwa.JobFilter{}, hwa.Page{Limit: 10, Offset: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Count != 300 || len(page.Results) != 10 || page.Next == "" || page.Previous == "" {
		t.Fatalf("page: count %d, %d results, next %q, previous %q", page.Count, len(page.Results), page.Next, page.Previous)
	}
}

func TestFilterValuesCannotChangeTheFilter(t *testing.T) {
	_, url := newSim(t, hwasim.Options{})
	c := newClient(t, url, nil)
	ctx := context.Background()
	all, err := c.AllJobs(ctx, hwa.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ws := all[0].Workstation
	mine, err := c.AllJobs(ctx, hwa.JobFilter{Workstation: ws})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) == 0 || len(mine) == len(all) {
		t.Fatalf("workstation %s: %d of %d jobs", ws, len(mine), len(all))
	}
	for _, j := range mine {
		if j.Workstation != ws {
			t.Fatalf("job on %s in the answer for %s", j.Workstation, ws)
		}
	}
	for _, evil := range []string{ws + "' OR name LIKE '@", "X' OR name LIKE '@", "'", "''", ws + "' AND name LIKE '@"} {
		got, err := c.AllJobs(ctx, hwa.JobFilter{Workstation: evil})
		if err != nil {
			t.Fatalf("%q: %v", evil, err)
		}
		if len(got) != 0 {
			t.Fatalf("workstation %q matched %d jobs: the value changed the filter", evil, len(got))
		}
	}
	if q := (hwa.JobFilter{Workstation: "X' OR name LIKE '@"}).OQL().String(); q != "workstation LIKE 'X'' OR name LIKE ''@'" {
		t.Fatalf("oql %q", q)
	}
}

func TestErrorsAreTyped(t *testing.T) {
	sim, url := newSim(t, hwasim.Options{Password: "s3cret-pw"})
	ctx := context.Background()
	bad := newClient(t, url, func(c *hwa.Config) { c.Password = "wrong-pw" })
	_, err := bad.EngineInfo(ctx)
	if !hwa.IsKind(err, hwa.KindAuth) || strings.Contains(err.Error(), "wrong-pw") {
		t.Fatalf("bad credentials: %v", err)
	}
	c := newClient(t, url, func(c *hwa.Config) { c.Password = "s3cret-pw"; c.RequestTimeout = 300 * time.Millisecond })
	if _, err := c.Job(ctx, "no-such-job"); !hwa.IsKind(err, hwa.KindNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
	sim.SetKnobs(hwasim.Knobs{Malformed: true})
	if _, err := c.EngineInfo(ctx); !hwa.IsKind(err, hwa.KindMalformed) || !strings.Contains(err.Error(), "engine/info") {
		t.Fatalf("malformed: %v", err)
	}
	sim.SetKnobs(hwasim.Knobs{Hang: true})
	if _, err := c.EngineInfo(ctx); !hwa.IsKind(err, hwa.KindTimeout) {
		t.Fatalf("hang: %v", err)
	}
	sim.SetKnobs(hwasim.Knobs{})
	info, err := c.EngineInfo(ctx)
	if err != nil || info.DisplayVersion == "" {
		t.Fatalf("engine info %+v, %v", info, err)
	}
}

func TestRetriesHonourRetryAfterThenGiveUp(t *testing.T) {
	sim, url := newSim(t, hwasim.Options{Knobs: hwasim.Knobs{Rate429: 1}})
	c := newClient(t, url, func(c *hwa.Config) { c.Retries = 1 })
	start := time.Now()
	_, err := c.EngineInfo(context.Background())
	if !hwa.IsKind(err, hwa.KindUnavailable) {
		t.Fatalf("429s: %v", err)
	}
	if n := sim.Count("/twsd/api/v2/engine/info"); n != 2 {
		t.Fatalf("attempts: %d, want 2", n)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("retried after %v, before Retry-After: 1", time.Since(start))
	}
}

func TestBreakerOpensAndCloses(t *testing.T) {
	sim, url := newSim(t, hwasim.Options{Knobs: hwasim.Knobs{Outage: true}})
	c := newClient(t, url, func(c *hwa.Config) { c.Retries = -1; c.BreakerFailures = 3; c.BreakerOpen = 300 * time.Millisecond })
	ctx := context.Background()
	for range 3 {
		_, _ = c.EngineInfo(ctx)
	}
	if c.BreakerState() != "open" {
		t.Fatalf("breaker %s after 3 failures", c.BreakerState())
	}
	before := sim.Count("/twsd/api/v2/engine/info")
	_, err := c.EngineInfo(ctx)
	var e *hwa.Error
	if !hwa.IsKind(err, hwa.KindUnavailable) || !errorsAs(err, &e) || e.RetryAfter <= 0 {
		t.Fatalf("open breaker: %v", err)
	}
	if sim.Count("/twsd/api/v2/engine/info") != before {
		t.Fatal("an open breaker let a request through")
	}
	sim.SetKnobs(hwasim.Knobs{})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := c.EngineInfo(ctx); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("breaker never closed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c.BreakerState() != "closed" {
		t.Fatalf("breaker %s after a success", c.BreakerState())
	}
}

func TestJobLogIsText(t *testing.T) {
	sim, url := newSim(t, hwasim.Options{})
	c := newClient(t, url, nil)
	ctx := context.Background()
	id := sim.IDs().Jobs[5]
	if err := sim.Abend(id, 8); err != nil {
		t.Fatal(err)
	}
	log, err := c.JobLog(ctx, id, hwa.LogRange{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log, "Exit Status           : 8") {
		t.Fatalf("log:\n%s", log)
	}
	part, err := c.JobLog(ctx, id, hwa.LogRange{FromLine: 2, ToLine: 3})
	if err != nil || strings.Count(part, "\n") != 2 || !strings.HasPrefix(part, "= JOB") {
		t.Fatalf("lines 2-3: %q %v", part, err)
	}
	j, err := c.Job(ctx, id)
	if err != nil || j.Status() != "ABEND" || j.LastRun() == nil || *j.LastRun().ReturnCode != 8 {
		t.Fatalf("job after abend: %+v %v", j, err)
	}
}
