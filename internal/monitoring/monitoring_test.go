package monitoring

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/feed/feedtest"
	"github.com/resync/resync/internal/httpapi"
	"github.com/resync/resync/internal/hwa"
	"github.com/resync/resync/internal/hwasim"
	"github.com/resync/resync/internal/poller"
)

// rig is the service against the simulator through the real HWA client, on
// miniredis, polling every second.
type rig struct {
	sim *hwasim.Server
	svc *Service
	srv *httptest.Server
}

func newRig(t *testing.T) *rig {
	t.Helper()
	sim := hwasim.New(hwasim.Options{Jobs: 300})
	t.Cleanup(sim.Close)
	simSrv := httptest.NewServer(sim.Handler())
	t.Cleanup(simSrv.Close)
	client, err := hwa.New(hwa.Config{URL: simSrv.URL, User: "resync", Password: "resync"})
	if err != nil {
		t.Fatal(err)
	}
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rdb.Close() })
	svc := New(Options{Redis: rdb, Source: poller.FromHWA(client, nil), Simulated: true,
		Config: config.MonitoringConfig{PollInterval: time.Second, StuckAfter: time.Hour,
			LockTTL: 2 * time.Second, Retention: 10000}})
	svc.Start()
	t.Cleanup(svc.Drain)
	r := mux.NewRouter()
	svc.Mount(r, httpapi.Guards{})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &rig{sim: sim, svc: svc, srv: srv}
}

func (g *rig) get(t *testing.T, path string, v any) int {
	t.Helper()
	resp, err := http.Get(g.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
	}
	return resp.StatusCode
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	feedtest.Eventually(t, 10*time.Second, what, cond)
}

type statusDoc struct {
	Success bool           `json:"success"`
	Status  string         `json:"status"`
	Metrics map[string]any `json:"metrics"`
	Snap    *struct {
		Timestamp    time.Time        `json:"timestamp"`
		Seq          uint64           `json:"seq"`
		Workstations []map[string]any `json:"workstations"`
		Jobs         []map[string]any `json:"jobs"`
		Summary      map[string]any   `json:"summary"`
	} `json:"snapshot"`
	Poller map[string]any `json:"poller"`
}

func TestAPIShapesAgainstSimulator(t *testing.T) {
	g := newRig(t)
	var st statusDoc
	eventually(t, "a first poll", func() bool { g.get(t, "/api/v1/monitoring/status", &st); return st.Snap != nil })
	if !st.Success || st.Status != "running" || st.Metrics["is_running"] != true || st.Metrics["cached_jobs"].(float64) != 300 {
		t.Fatalf("status %+v", st)
	}
	for _, k := range []string{"polling_interval", "polls_count", "errors_count", "events_generated", "uptime_seconds", "cached_workstations"} {
		if _, ok := st.Metrics[k]; !ok {
			t.Errorf("metrics lacks %s", k)
		}
	}
	for _, k := range []string{"total_jobs_today", "jobs_running", "jobs_completed", "jobs_failed", "jobs_pending", "system_health"} {
		if _, ok := st.Snap.Summary[k]; !ok {
			t.Errorf("summary lacks %s", k)
		}
	}
	if st.Poller["upstream"] != "simulator" {
		t.Errorf("poller %v", st.Poller)
	}
	var ws struct {
		Workstations []map[string]any `json:"workstations"`
		Summary      map[string]int   `json:"summary"`
	}
	g.get(t, "/api/v1/monitoring/status/workstations", &ws)
	if ws.Summary["total"] != len(ws.Workstations) || ws.Summary["online"]+ws.Summary["offline"] != ws.Summary["total"] || len(ws.Workstations) == 0 {
		t.Fatalf("workstations %+v", ws.Summary)
	}
	for _, k := range []string{"name", "status", "agent_status", "jobs_running", "jobs_pending", "last_seen"} {
		if _, ok := ws.Workstations[0][k]; !ok {
			t.Errorf("workstation lacks %s", k)
		}
	}
	var jobs struct {
		Jobs    []map[string]any `json:"jobs"`
		Summary map[string]int   `json:"summary"`
	}
	g.get(t, "/api/v1/monitoring/status/jobs?limit=7", &jobs)
	if len(jobs.Jobs) != 7 || jobs.Summary["total"] != 300 {
		t.Fatalf("jobs: %d, summary %v", len(jobs.Jobs), jobs.Summary)
	}
	for _, k := range []string{"job_id", "job_name", "job_stream", "workstation", "status", "return_code", "start_time", "end_time", "duration_seconds", "error_message"} {
		if _, ok := jobs.Jobs[0][k]; !ok {
			t.Errorf("job lacks %s", k)
		}
	}
	for _, bad := range []string{"limit=0", "limit=501", "limit=x"} {
		if code := g.get(t, "/api/v1/monitoring/status/jobs?"+bad, nil); code != 422 {
			t.Errorf("%s: %d, want 422", bad, code)
		}
	}
	if code := g.get(t, "/api/v1/monitoring/events?hours=169", nil); code != 422 {
		t.Errorf("hours=169: %d", code)
	}
}

// A job the simulator turns ABEND is an event at a WebSocket client and in
// /events within one poll, and the plan gauges count it.
func TestAbendReachesClients(t *testing.T) {
	g := newRig(t)
	var st statusDoc
	eventually(t, "a first poll", func() bool { g.get(t, "/api/v1/monitoring/status", &st); return st.Snap != nil })
	var target map[string]any
	for _, j := range st.Snap.Jobs {
		if j["status"] != "ABEND" {
			target = j
			break
		}
	}
	ws := feedtest.DialWS(t, g.srv.URL+"/api/v1/monitoring/ws")
	read := func() map[string]any { return ws.Read(10 * time.Second) }
	read() // recent_events
	read() // connected
	before := g.sim.Counts()
	if err := g.sim.Abend(target["job_id"].(string), 12); err != nil {
		t.Fatal(err)
	}
	for {
		m := read()
		if m["type"] != "event" {
			continue
		}
		ev := m["event"].(map[string]any)
		if ev["event_type"] == "job_abend" && ev["source"] == target["job_name"] {
			if ev["current_state"] != "ABEND" || ev["severity"] != "error" {
				t.Fatalf("event %v", ev)
			}
			break
		}
	}
	var evs struct {
		Events []map[string]any `json:"events"`
		Total  int              `json:"total"`
		Period map[string]any   `json:"period"`
	}
	g.get(t, "/api/v1/monitoring/events?event_type=job_abend&hours=1", &evs)
	found := false
	for _, e := range evs.Events {
		found = found || e["source"] == target["job_name"]
	}
	if !found || evs.Total != len(evs.Events) || evs.Period["start"] == nil {
		t.Fatalf("/events: %+v", evs)
	}
	after := g.sim.Counts()
	calls := int64(0)
	for path, n := range after {
		calls += n - before[path]
	}
	t.Logf("upstream calls during the ABEND's poll(s): %d (%v)", calls, after)

	reg := prometheus.NewRegistry()
	reg.MustRegister(g.svc.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]float64{}
	fenced := map[string]float64{}
	for _, mf := range mfs {
		names[mf.GetName()] = mf.GetMetric()[0].GetGauge().GetValue()
		if mf.GetName() == "resync_tws_fenced_writes_total" {
			for _, m := range mf.GetMetric() {
				fenced[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	// The poller's scripts went through the fence; none was refused (one poller).
	if fenced["accepted"] < 1 || fenced["refused"] != 0 || len(fenced) != 2 {
		t.Errorf("resync_tws_fenced_writes_total %v, want accepted ≥ 1 and refused 0", fenced)
	}
	for _, want := range []string{"resync_tws_jobs", "resync_tws_job_streams", "resync_tws_workstations", "resync_tws_last_poll_age_seconds", "resync_tws_polls_total", "resync_tws_events_total"} {
		if _, ok := names[want]; !ok {
			t.Errorf("no %s", want)
		}
	}
	if names["resync_tws_abends"] < 1 {
		t.Fatalf("resync_tws_abends %v", names["resync_tws_abends"])
	}
}
