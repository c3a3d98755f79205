package tws_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/resync/resync/internal/cache"
	"github.com/resync/resync/internal/executor"
	"github.com/resync/resync/internal/hwa"
	"github.com/resync/resync/internal/hwasim"
	"github.com/resync/resync/internal/tws"
)

type env struct {
	sim  *hwasim.Server
	api  *httptest.Server
	pool *executor.Pool
	svc  *tws.Service
	c    *hwa.Client
}

func setup(t testing.TB, mod func(*hwa.Config, *tws.Options)) *env {
	t.Helper()
	sim := hwasim.New(hwasim.Options{Jobs: 400, Password: "pw-secret"})
	up := httptest.NewServer(sim.Handler())
	cfg := hwa.Config{URL: up.URL, User: "resync", Password: "pw-secret", RequestTimeout: 2 * time.Second, Retries: -1}
	ttl := time.Minute
	o := tws.Options{Cache: cache.New(cache.Options{StaleMax: time.Hour}), Executor: executor.New(2),
		TTL: tws.TTLs{JobStatus: ttl, JobLog: ttl, Model: ttl, Graph: ttl, Default: ttl}}
	if mod != nil {
		mod(&cfg, &o)
	}
	c, err := hwa.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.Client = c
	r := mux.NewRouter()
	svc := tws.New(o)
	svc.Mount(r, nil)
	api := httptest.NewServer(r)
	t.Cleanup(func() { api.Close(); up.Close(); sim.Close() })
	return &env{sim: sim, api: api, pool: o.Executor, svc: svc, c: c}
}

type answer struct {
	code int
	hdr  http.Header
	body []byte
	doc  struct {
		Data  json.RawMessage `json:"data"`
		Count *int            `json:"count"`
		Links *struct {
			Next, Previous *string
		} `json:"links"`
		Meta struct {
			Cached     bool    `json:"cached"`
			AgeSeconds float64 `json:"age_seconds"`
			FetchedAt  string  `json:"fetched_at"`
			Freshness  string  `json:"freshness"`
			Source     string  `json:"source"`
			Stale      bool    `json:"stale"`
		} `json:"meta"`
		Detail string `json:"detail"`
	}
}

func (e *env) get(t *testing.T, path string) answer {
	t.Helper()
	res, err := http.Get(e.api.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	a := answer{code: res.StatusCode, hdr: res.Header}
	a.body, _ = io.ReadAll(res.Body)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(a.body, &a.doc); err != nil {
			t.Fatalf("%s: %v in %s", path, err, a.body)
		}
	}
	return a
}

func TestEveryRoute(t *testing.T) {
	e := setup(t, nil)
	ids := e.sim.IDs()
	job := ids.Jobs[len(ids.Jobs)/2]
	if err := e.sim.Abend(job, 9); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"/api/v1/tws/engine", "/api/v1/tws/status", "/api/v1/tws/workstations",
		"/api/v1/tws/workstations/" + ids.Workstations[1], "/api/v1/tws/jobs", "/api/v1/tws/jobs?status=ABEND&limit=5",
		"/api/v1/tws/jobs/" + job, "/api/v1/tws/jobs/" + job + "/predecessors?depth=2",
		"/api/v1/tws/jobs/" + job + "/successors", "/api/v1/tws/jobstreams", "/api/v1/tws/jobstreams/" + ids.JobStreams[0],
		"/api/v1/tws/resources", "/api/v1/tws/resources/" + ids.Resources[0],
	} {
		first := "upstream"
		if strings.HasSuffix(path, "/successors") {
			first = "memory" // from the graph index the predecessors request built
		}
		a := e.get(t, path)
		if a.code != 200 || len(a.doc.Data) == 0 || a.doc.Meta.Source != first || a.doc.Meta.FetchedAt == "" || a.doc.Meta.Freshness != "live" {
			t.Errorf("%s: %d %s", path, a.code, a.body[:min(len(a.body), 300)])
		}
		if again := e.get(t, path); again.doc.Meta.Source != "memory" || !again.doc.Meta.Cached {
			t.Errorf("%s again: source %q", path, again.doc.Meta.Source)
		}
	}
	a := e.get(t, "/api/v1/tws/jobs?limit=10&offset=10")
	if a.doc.Count == nil || *a.doc.Count != 400 || a.doc.Links == nil || a.doc.Links.Next == nil || a.doc.Links.Previous == nil {
		t.Fatalf("paging: %s", a.body[:300])
	}
	if !strings.Contains(*a.doc.Links.Next, "offset=20") {
		t.Fatalf("next %s", *a.doc.Links.Next)
	}
	var ws []struct {
		Name   string `json:"name"`
		Online bool   `json:"online"`
	}
	_ = json.Unmarshal(e.get(t, "/api/v1/tws/workstations").doc.Data, &ws)
	if len(ws) == 0 {
		t.Fatal("no workstations")
	}
	if err := e.sim.Unlink(ws[0].Name); err != nil {
		t.Fatal(err)
	}
	log := e.get(t, "/api/v1/tws/jobs/"+job+"/log?from_line=1&to_line=3")
	if log.code != 200 || !strings.HasPrefix(log.hdr.Get("Content-Type"), "text/plain") || strings.Count(string(log.body), "\n") != 3 ||
		log.hdr.Get("X-Resync-Source") != "upstream" {
		t.Fatalf("log: %d %v %q", log.code, log.hdr, log.body)
	}
	full := e.get(t, "/api/v1/tws/jobs/"+job+"/log")
	if !strings.Contains(string(full.body), "Exit Status           : 9") {
		t.Fatalf("full log %q", full.body)
	}
	var st tws.Summary
	if err := json.Unmarshal(e.get(t, "/api/v1/tws/status").doc.Data, &st); err != nil || st.Jobs.Total != 400 || len(st.Abend) == 0 || st.Workstations.Total == 0 {
		t.Fatalf("status %+v %v", st, err)
	}
}

func TestBadInput(t *testing.T) {
	e := setup(t, nil)
	for path, param := range map[string]string{
		"/api/v1/tws/jobs?limit=0":                     "limit",
		"/api/v1/tws/jobs?limit=x":                     "limit",
		"/api/v1/tws/jobs?offset=-1":                   "offset",
		"/api/v1/tws/jobs?status=RUNNINGX":             "status",
		"/api/v1/tws/jobs/x/predecessors?depth=0":      "depth",
		"/api/v1/tws/jobs/x/log?from_line=5&to_line=2": "to_line",
		"/api/v1/tws/workstations/CPU@":                "name",
	} {
		a := e.get(t, path)
		if a.code != 400 || !strings.Contains(a.doc.Detail, param) {
			t.Errorf("%s: %d %s", path, a.code, a.body)
		}
	}
	for _, path := range []string{"/api/v1/tws/jobs/nope", "/api/v1/tws/jobs/nope/log", "/api/v1/tws/jobs/nope/predecessors",
		"/api/v1/tws/workstations/NOPE", "/api/v1/tws/jobstreams/nope", "/api/v1/tws/resources/nope"} {
		if a := e.get(t, path); a.code != 404 {
			t.Errorf("%s: %d %s", path, a.code, a.body)
		}
	}
	// A value that tries to widen the filter matches nothing.
	a := e.get(t, "/api/v1/tws/jobs?workstation=X%27%20OR%20name%20LIKE%20%27%40")
	if a.code != 200 || a.doc.Count == nil || *a.doc.Count != 0 {
		t.Fatalf("injection: %d %s", a.code, a.body)
	}
}

func TestUpstreamFaults(t *testing.T) {
	e := setup(t, func(c *hwa.Config, o *tws.Options) { c.RequestTimeout = 300 * time.Millisecond })
	e.sim.SetKnobs(hwasim.Knobs{Malformed: true})
	if a := e.get(t, "/api/v1/tws/engine"); a.code != 502 {
		t.Errorf("malformed: %d %s", a.code, a.body)
	}
	e.sim.SetKnobs(hwasim.Knobs{Hang: true})
	if a := e.get(t, "/api/v1/tws/jobs"); a.code != 504 {
		t.Errorf("hang: %d %s", a.code, a.body)
	}
	e.sim.SetKnobs(hwasim.Knobs{Outage: true})
	if a := e.get(t, "/api/v1/tws/resources"); a.code != 503 || a.hdr.Get("Retry-After") == "" {
		t.Errorf("outage: %d %v %s", a.code, a.hdr, a.body)
	}
	bad := setup(t, func(c *hwa.Config, o *tws.Options) { c.Password = "wrong-password" })
	if a := bad.get(t, "/api/v1/tws/engine"); a.code != 502 || strings.Contains(string(a.body), "wrong-password") || !strings.Contains(a.doc.Detail, "credentials") {
		t.Errorf("auth: %d %s", a.code, a.body)
	}
}

func TestStaleDuringOutage(t *testing.T) {
	e := setup(t, func(c *hwa.Config, o *tws.Options) {
		o.TTL.JobStatus = 50 * time.Millisecond
		c.BreakerFailures = 2
		c.BreakerOpen = time.Hour
	})
	if a := e.get(t, "/api/v1/tws/jobs?limit=3"); a.code != 200 {
		t.Fatal(a.code)
	}
	e.sim.SetKnobs(hwasim.Knobs{Outage: true})
	deadline := time.Now().Add(5 * time.Second)
	var a answer
	for time.Now().Before(deadline) {
		if a = e.get(t, "/api/v1/tws/jobs?limit=3"); a.doc.Meta.Source == "stale" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a.code != 200 || !a.doc.Meta.Stale || a.doc.Meta.AgeSeconds <= 0 {
		t.Fatalf("during outage: %d %s", a.code, a.body)
	}
	// The breaker opens; with stale data the answer stays 200 and stale,
	// without it (a key never fetched) 503 with Retry-After.
	for range 3 {
		e.get(t, "/api/v1/tws/jobs?limit=3")
	}
	if a := e.get(t, "/api/v1/tws/jobs?limit=3"); a.code != 200 || a.doc.Meta.Source != "stale" {
		t.Fatalf("breaker open, stale: %d %s", a.code, a.body)
	}
	before := e.sim.Count("/twsd/api/v2/plan/resource")
	if a := e.get(t, "/api/v1/tws/resources"); a.code != 503 || a.hdr.Get("Retry-After") == "" || !strings.Contains(a.doc.Detail, "circuit breaker") {
		t.Fatalf("breaker open, nothing cached: %d %v %s", a.code, a.hdr, a.body)
	}
	if e.sim.Count("/twsd/api/v2/plan/resource") != before {
		t.Fatal("the open breaker let a request reach the engine")
	}
}

func TestConcurrentRequestsMakeOneUpstreamCall(t *testing.T) {
	e := setup(t, nil)
	e.sim.SetKnobs(hwasim.Knobs{LatencyMS: 100})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a := e.get(t, "/api/v1/tws/jobs?status=SUCC"); a.code != 200 {
				t.Errorf("%d", a.code)
			}
		}()
	}
	wg.Wait()
	if n := e.sim.Count("/twsd/api/v2/plan/job"); n != 1 {
		t.Fatalf("upstream calls: %d, want 1", n)
	}
}

func TestFullExecutorIs503(t *testing.T) {
	e := setup(t, func(c *hwa.Config, o *tws.Options) { o.Executor = executor.New(1) })
	hold, held := make(chan struct{}), make(chan struct{})
	go e.pool.Run(func() error { close(held); <-hold; return nil })
	<-held
	a := e.get(t, "/api/v1/tws/status")
	close(hold)
	if a.code != 503 || a.hdr.Get("Retry-After") == "" {
		t.Fatalf("full executor: %d %v %s", a.code, a.hdr, a.body)
	}
	if a := e.get(t, "/api/v1/tws/status"); a.code != 200 {
		t.Fatalf("after: %d %s", a.code, a.body)
	}
}

// The dependency-graph index is built on the first predecessors or
// successors request, not before; it answers what the engine answers, from
// one read of the plan for every job, direction and depth.
func TestGraphIndexBuiltOnFirstUse(t *testing.T) {
	e := setup(t, func(c *hwa.Config, o *tws.Options) { o.Executor = executor.New(2) })
	loaded := func() int64 { return e.svc.Series()["lazy_graph_index_loaded"] }
	for _, path := range []string{"/api/v1/tws/status", "/api/v1/tws/jobs", "/api/v1/tws/engine"} {
		if a := e.get(t, path); a.code != 200 {
			t.Fatalf("%s: %d", path, a.code)
		}
	}
	if loaded() != 0 || e.svc.Series()["lazy_graph_index_builds_total"] != 0 {
		t.Fatal("the graph index was built before any dependency request")
	}
	jobs := e.sim.IDs().Jobs
	e.sim.ResetCounts()
	ids := func(raw []byte) []string {
		var nodes []hwa.FlowNode
		if err := json.Unmarshal(raw, &nodes); err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, n := range nodes {
			out = append(out, n.ID)
		}
		return out
	}
	checked := 0
	for i := 0; i < len(jobs); i += 37 {
		for _, dir := range []string{"predecessors", "successors"} {
			for _, depth := range []int{1, 3} {
				a := e.get(t, "/api/v1/tws/jobs/"+jobs[i]+"/"+dir+"?depth="+strconv.Itoa(depth))
				if a.code != 200 || a.doc.Count == nil {
					t.Fatalf("%s %s: %d %s", jobs[i], dir, a.code, a.body)
				}
				got := ids(a.doc.Data)
				var want hwa.List[hwa.FlowNode]
				var err error
				if dir == "predecessors" {
					want, err = e.c.Predecessors(t.Context(), jobs[i], depth)
				} else {
					want, err = e.c.Successors(t.Context(), jobs[i], depth)
				}
				if err != nil {
					t.Fatal(err)
				}
				wb, _ := json.Marshal(want.Results)
				if w := ids(wb); strings.Join(got, ",") != strings.Join(w, ",") || *a.doc.Count != len(w) {
					t.Fatalf("%s %s depth %d: index %v, engine %v", jobs[i], dir, depth, got, w)
				}
				checked += len(got)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no dependencies among the jobs checked")
	}
	if loaded() != 1 || e.svc.Series()["lazy_graph_index_builds_total"] != 1 {
		t.Fatalf("after the dependency requests: %v", e.svc.Series())
	}
	// One read of the plan (400 jobs: one page) for all of them; the
	// per-job engine calls counted are the test's own comparisons.
	if n := e.sim.Count("/twsd/api/v2/plan/job"); n != 1 {
		t.Fatalf("plan reads: %d, want 1", n)
	}
}
