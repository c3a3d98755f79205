package monitor

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/metrics"
)

// fixture is procstat's fake /proc: pids 4242 (25600 resident pages, 7
// threads) and 4343 (12800 pages) live there; 4444 and this test process do
// not, so their samples fail and the report says so.
const fixture = "../procstat/testdata/v2/proc"

func report(t *testing.T, m *Monitor) metrics.Report {
	t.Helper()
	var r metrics.Report
	if err := json.Unmarshal(m.Report(), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, m.Report())
	}
	return r
}

// The report lists the workers of the table it is handed, with what /proc
// says of each; one that /proc lacks is listed and named in
// errors; the RSS the master's policies read comes back per pid.
func TestSampleListsTheTablesWorkers(t *testing.T) {
	m := New(fixture)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	m.now = func() time.Time { return now }
	table := control.Snapshot{PID: os.Getpid(), Generation: 2, Workers: []control.Worker{
		{PID: 4242, Generation: 2, State: "ready"},
		{PID: 4343, Generation: 2, State: "booting"},
		{PID: 4444, Generation: 1, State: "retiring"},
	}}
	rss := m.Sample(table)
	page := uint64(os.Getpagesize())
	if rss[4242] != 25600*page || rss[4343] != 12800*page || rss[4444] != 0 || len(rss) != 3 {
		t.Errorf("rss %v, want 4242: %d, 4343: %d, 4444: 0", rss, 25600*page, 12800*page)
	}
	r := report(t, m)
	if !r.GeneratedAt.Equal(now) {
		t.Errorf("generated_at %s, want the monitor's clock %s", r.GeneratedAt, now)
	}
	byPID := map[int]metrics.WorkerReport{}
	for _, w := range r.Workers {
		byPID[w.PID] = w
	}
	if len(r.Workers) != 3 || byPID[4242].State != "ready" || byPID[4242].Threads != 7 ||
		byPID[4343].State != "booting" || byPID[4444].State != "retiring" || byPID[4444].FDs != -1 {
		t.Errorf("workers %+v", r.Workers)
	}
	errs := strings.Join(r.Errors, "\n")
	if !strings.Contains(errs, "worker 4444: ") || !strings.Contains(errs, "master: ") || strings.Contains(errs, "worker 4242") {
		t.Errorf("errors %q", r.Errors)
	}

	// Workers gone from the table are gone from the report at once.
	m.Sample(control.Snapshot{PID: os.Getpid(), Workers: []control.Worker{{PID: 4242, State: "ready"}}})
	if r := report(t, m); len(r.Workers) != 1 || r.Workers[0].PID != 4242 || len(m.sampled) != 1 {
		t.Errorf("after 4343 and 4444 left: workers %+v, remembered %v", r.Workers, m.sampled)
	}
}

// Before the first table, the report is valid and lists no workers.
func TestNewReportsNoWorkers(t *testing.T) {
	if r := report(t, New(fixture)); len(r.Workers) != 0 {
		t.Errorf("workers %+v", r.Workers)
	}
}
