package monitoring

import (
	"flag"
	"testing"
	"time"

	"github.com/resync/resync/internal/browsertest"
	"github.com/resync/resync/internal/dashboard/twspage/twspagetest"
)

var update = flag.Bool("update", false, "write the TWS dashboard screenshot to docs/tws-dashboard.png")

// TestDashboardInChromium loads /dashboard/tws in headless Chromium against
// the service polling the simulator (twspagetest.Check: the tiles match the
// API, a job the simulator turns ABEND shows in the ABEND list and the event
// feed, the simulator is named, and the console stays clean).
func TestDashboardInChromium(t *testing.T) {
	b := browsertest.Open(t, 2*time.Minute)
	g := newRig(t)
	twspagetest.Check(t, b, twspagetest.Site{URL: g.srv.URL, Wait: 60 * time.Second, Points: 12, Polling: time.Second,
		Simulated: true, Update: *update,
		GetJSON: func(path string, v any) {
			if code := g.get(t, path, v); code != 200 {
				t.Fatalf("GET %s: %d", path, code)
			}
		},
		Tick: func() { g.sim.Tick(1) },
		Abend: func(id string) {
			if err := g.sim.Abend(id, 12); err != nil {
				t.Error(err)
			}
		}})
}
