package tws_test

import (
	"context"
	"testing"

	"github.com/resync/resync/internal/poller"
)

// A poll of the whole plan warms the cache: the summary and the lists'
// first pages are then hits, and the engine is asked nothing more.
func TestPollWarmsTheCache(t *testing.T) {
	e := setup(t, nil)
	poll := poller.FromHWA(e.svc.Client(), e.svc.Warm)
	if _, err := poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCounts()
	for _, path := range []string{"/api/v1/tws/status", "/api/v1/tws/jobs", "/api/v1/tws/workstations",
		"/api/v1/tws/jobstreams", "/api/v1/tws/jobs?limit=100&offset=0"} {
		a := e.get(t, path)
		if a.code != 200 || a.doc.Meta.Source != "memory" {
			t.Errorf("%s: %d, source %q, want a memory hit: %s", path, a.code, a.doc.Meta.Source, a.body)
		}
	}
	a := e.get(t, "/api/v1/tws/jobs")
	if a.doc.Count == nil || *a.doc.Count != 400 || a.doc.Links == nil || a.doc.Links.Next == nil ||
		*a.doc.Links.Next != "/api/v1/tws/jobs?limit=100&offset=100" {
		t.Errorf("warmed page: count %v links %+v", a.doc.Count, a.doc.Links)
	}
	if c := e.sim.Counts(); len(c) != 0 {
		t.Fatalf("engine calls after the warm: %v, want none", c)
	}
	// The next poll refreshes entries still fresh: readers keep hitting
	// however the TTL and the interval fall.
	first := e.get(t, "/api/v1/tws/status").doc.Meta.FetchedAt
	if _, err := poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if again := e.get(t, "/api/v1/tws/status").doc.Meta.FetchedAt; again == first {
		t.Fatalf("status not refreshed by the next poll: fetched at %s", again)
	}
}
