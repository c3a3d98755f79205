package integration

import (
	"encoding/json"
	"flag"
	"testing"
	"time"

	"github.com/resync/resync/internal/browsertest"
	"github.com/resync/resync/internal/dashboard/twspage/twspagetest"
	"github.com/resync/resync/internal/redistest"
)

var updateShot = flag.Bool("update-tws-shot", false, "write the real binary's TWS dashboard to docs/tws-dashboard.png")

// /dashboard/tws of the real binary, fed by its poller on a real
// redis-server and the simulator process, in headless Chromium
// (twspagetest.Check: the tiles say what the API says, a job the simulator
// turns ABEND shows in the list and the feed within a poll, and the console
// stays clean).
func TestMonitoringDashboardOfRealServer(t *testing.T) {
	b := browsertest.Open(t, 5*time.Minute)
	rs := redistest.Start(t)
	s := startSim(t)
	// A poll a second, as the unit test: Chromium shares the 2 cores.
	const interval = time.Second
	m := startMaster(t, opts{env: monEnv(rs, s, interval, 5*time.Second)})
	m.waitReady(false)
	twspagetest.Check(t, b, twspagetest.Site{URL: m.url(""), Wait: 30 * time.Second, Points: 6, Polling: interval,
		Update: *updateShot,
		GetJSON: func(path string, v any) {
			if err := json.Unmarshal([]byte(getBody(t, m.url(path))), v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		},
		Tick:  func() { s.control("POST", "/_sim/tick?n=1", nil) },
		Abend: func(id string) { s.control("POST", "/_sim/jobs/"+id+"/abend?rc=12", nil) }})
}
