package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/redistest"
)

// sim is one `resync hwa-sim` process.
type sim struct {
	t   *testing.T
	url string
}

const simPassword = "sim-s3cret-pw"

// startSim runs the simulator on a random port, with the plan's clock
// stopped (--tick 0) so that what the test reads does not move under it.
func startSim(t *testing.T, args ...string) *sim {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"hwa-sim", "--listen", "127.0.0.1:0", "--tick", "0",
		"--jobs", "500", "--password", simPassword}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("hwa-sim did not start: %v %s", err, stderr.String())
	}
	_, rest, _ := strings.Cut(line, "listening on ")
	u, _, _ := strings.Cut(rest, " ")
	if !strings.HasPrefix(u, "http://") {
		t.Fatalf("hwa-sim said %q", line)
	}
	go io.Copy(io.Discard, out)
	return &sim{t: t, url: u}
}

func (s *sim) env() []string {
	return []string{"RESYNC_TWS_URL=" + s.url, "RESYNC_TWS_USER=resync", "RESYNC_TWS_PASSWORD=" + simPassword}
}

func (s *sim) control(method, path string, body any) []byte {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return b
}

func (s *sim) count(path string) int64 {
	var counts map[string]int64
	json.Unmarshal(s.control("GET", "/_sim/counts", nil), &counts)
	return counts["/twsd/api/v2/"+path]
}

func (s *sim) ids() (ids struct{ Jobs, Workstations, JobStreams, Resources []string }) {
	json.Unmarshal(s.control("GET", "/_sim/plan", nil), &ids)
	return ids
}

type twsAnswer struct {
	code int
	hdr  http.Header
	body string
	doc  struct {
		Data  json.RawMessage `json:"data"`
		Count *int            `json:"count"`
		Meta  struct {
			Source    string  `json:"source"`
			Age       float64 `json:"age_seconds"`
			Simulated bool    `json:"simulated"`
		} `json:"meta"`
		Detail string `json:"detail"`
	}
}

// fresh is a client on a new connection per request, so that requests
// spread over the workers.
var fresh = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}

func getTWS(t *testing.T, url string) twsAnswer {
	t.Helper()
	res, err := fresh.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := twsAnswer{code: res.StatusCode, hdr: res.Header, body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &a.doc); err != nil {
			t.Fatalf("%s: %v: %s", url, err, b)
		}
	}
	return a
}

func TestTWSRoutesAgainstTheSimulatorProcess(t *testing.T) {
	s := startSim(t)
	m := startMaster(t, opts{env: append(s.env(), "RESYNC_WORKERS=2")})
	m.waitReady(false)
	ids := s.ids()
	job := ids.Jobs[100]
	s.control("POST", "/_sim/jobs/"+job+"/abend?rc=4", nil)
	for _, p := range []string{"engine", "status", "workstations", "workstations/" + ids.Workstations[2],
		"jobs?status=ABEND", "jobs?workstation=" + ids.Workstations[2] + "&limit=5&offset=5", "jobs/" + job,
		"jobs/" + job + "/predecessors?depth=3", "jobs/" + job + "/successors", "jobstreams", "jobstreams/" + ids.JobStreams[3],
		"resources", "resources/" + ids.Resources[0]} {
		a := getTWS(t, m.url("/api/v1/tws/"+p))
		if a.code != 200 || len(a.doc.Data) == 0 || a.doc.Meta.Source == "" {
			t.Errorf("%s: %d %.300s", p, a.code, a.body)
		}
	}
	log := getTWS(t, m.url("/api/v1/tws/jobs/"+job+"/log?from_line=2&to_line=4"))
	if log.code != 200 || !strings.HasPrefix(log.hdr.Get("Content-Type"), "text/plain") || strings.Count(log.body, "\n") != 3 {
		t.Errorf("log: %d %v %q", log.code, log.hdr, log.body)
	}
	for p, want := range map[string]int{
		"jobs/nope": 404, "jobs/nope/log": 404, "jobstreams/nope": 404, "workstations/NOPE": 404,
		"jobs?limit=5000": 400, "jobs?status=NOPE": 400, "jobs/x/successors?depth=x": 400,
	} {
		if a := getTWS(t, m.url("/api/v1/tws/"+p)); a.code != want {
			t.Errorf("%s: %d, want %d: %s", p, a.code, want, a.body)
		}
	}
	// The filter value cannot change the filter.
	a := getTWS(t, m.url("/api/v1/tws/jobs?workstation=X%27%20OR%20name%20LIKE%20%27%40"))
	if a.code != 200 || a.doc.Count == nil || *a.doc.Count != 0 {
		t.Errorf("injection: %d %s", a.code, a.body)
	}
}

func TestTWSRefusedCredentialsAre502WithoutThem(t *testing.T) {
	s := startSim(t)
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=1", "RESYNC_TWS_URL=" + s.url,
		"RESYNC_TWS_USER=resync", "RESYNC_TWS_PASSWORD=wrong-pw-123"}})
	m.waitReady(false)
	a := getTWS(t, m.url("/api/v1/tws/engine"))
	if a.code != 502 || strings.Contains(a.body, "wrong-pw-123") || !strings.Contains(a.doc.Detail, "credentials") {
		t.Fatalf("refused credentials: %d %s", a.code, a.body)
	}
	if strings.Contains(m.log.String(), "wrong-pw-123") {
		t.Fatal("the password is in the log")
	}
}

// N identical requests at once, over two hosts (masters) of two workers
// each sharing one Redis, make one call to the engine.
func TestTWSCoalescingAcrossWorkersAndHosts(t *testing.T) {
	rs := redistest.Start(t)
	s := startSim(t, "--latency-ms", "300")
	env := append(s.env(), "RESYNC_WORKERS=2", "RESYNC_REDIS_URL="+rs.URL())
	hosts := []*master{startMaster(t, opts{env: env}), startMaster(t, opts{env: env})}
	for _, h := range hosts {
		h.waitReady(false)
		h.waitWorkers(2, 30*time.Second)
	}
	id := s.ids().JobStreams[7]
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a := getTWS(t, hosts[i%2].url("/api/v1/tws/jobstreams/"+id)); a.code != 200 {
				t.Errorf("%d %s", a.code, a.body)
			}
		}()
	}
	wg.Wait()
	if n := s.count("plan/jobstream/" + id); n != 1 {
		t.Fatalf("engine calls for 40 requests over 2 hosts × 2 workers: %d, want 1", n)
	}
}

func TestTWSStaleDuringOutageThenBreaker(t *testing.T) {
	s := startSim(t)
	m := startMaster(t, opts{env: append(s.env(), "RESYNC_WORKERS=1", "RESYNC_CACHE_TTL_JOB_STATUS=1s", "RESYNC_TWS_RETRIES=0")})
	m.waitReady(false)
	id := s.ids().JobStreams[1]
	if a := getTWS(t, m.url("/api/v1/tws/jobstreams/"+id)); a.code != 200 || a.doc.Meta.Source != "upstream" {
		t.Fatalf("first: %d %s", a.code, a.body)
	}
	s.control("PUT", "/_sim/knobs", map[string]any{"outage": true})
	var a twsAnswer
	waitUntil(t, 10*time.Second, "a stale answer", func() bool {
		a = getTWS(t, m.url("/api/v1/tws/jobstreams/"+id))
		return a.doc.Meta.Source == "stale"
	})
	if a.code != 200 || a.doc.Meta.Age < 1 {
		t.Fatalf("stale: %d %s", a.code, a.body)
	}
	// Nothing cached for this one: 503 with Retry-After, and the breaker opens.
	waitUntil(t, 10*time.Second, "the breaker to open", func() bool {
		b := getTWS(t, m.url("/api/v1/tws/resources"))
		if b.code != 503 || b.hdr.Get("Retry-After") == "" {
			t.Fatalf("outage, nothing cached: %d %v %s", b.code, b.hdr, b.body)
		}
		return strings.Contains(b.doc.Detail, "circuit breaker")
	})
	res, err := fresh.Get(m.url("/api/v1/health/ready"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"breaker":"open"`) {
		t.Fatalf("readiness with the breaker open: %d %s", res.StatusCode, body)
	}
	s.control("PUT", "/_sim/knobs", map[string]any{})
}

// The HWA client's TLS set-up is built on first use, not at boot: with the
// shared store on (development's embedded one), the elected monitoring
// poller uses it at once, and the other worker has not built it.
func TestTWSLazyClient(t *testing.T) {
	s := startSim(t)
	m := startMaster(t, opts{env: append(s.env(), "RESYNC_WORKERS=2")})
	m.waitReady(false)
	m.waitWorkers(2, 30*time.Second)
	metric := func(name string) string {
		res, err := fresh.Get(m.url("/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		return ""
	}
	waitUntil(t, 10*time.Second, "the workers' series in /metrics", func() bool { return metric("resync_tws_upstream_calls_total") != "" })
	waitUntil(t, 20*time.Second, "the poller's first read of the plan", func() bool { return s.count("plan/job") > 0 })
	waitUntil(t, 10*time.Second, "the poller's TLS set-up to be counted", func() bool { return metric("resync_lazy_hwa_client_tls_loaded") != "" })
	if v := metric("resync_lazy_hwa_client_tls_loaded"); v != "1" {
		t.Fatalf("TLS set up by %s workers before any TWS request; want 1, the poller's", v)
	}
	// The dependency-graph index: not built by other routes, built by the
	// first dependency request, which then answers as the engine does.
	getTWS(t, m.url("/api/v1/tws/status"))
	if v := metric("resync_lazy_graph_index_loaded"); v != "" {
		t.Fatalf("graph index built before any dependency request: loaded=%s", v)
	}
	job := s.ids().Jobs[123]
	a := getTWS(t, m.url("/api/v1/tws/jobs/"+job+"/successors?depth=4"))
	if a.code != 200 || a.doc.Meta.Source != "upstream" {
		t.Fatalf("successors: %d %s", a.code, a.body)
	}
	req, _ := http.NewRequest("GET", s.url+"/twsd/api/v2/plan/job/"+job+"/successors?depth=4", nil)
	req.SetBasicAuth("resync", simPassword)
	res, err := fresh.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var engine struct {
		Count int `json:"count"`
	}
	json.NewDecoder(res.Body).Decode(&engine)
	res.Body.Close()
	if a.doc.Count == nil || *a.doc.Count != engine.Count || engine.Count == 0 {
		t.Fatalf("successors from the index: count %v, the engine's %d", a.doc.Count, engine.Count)
	}
	waitUntil(t, 10*time.Second, "the graph index to be counted", func() bool {
		return metric("resync_lazy_graph_index_loaded") == "1" && metric("resync_lazy_graph_index_builds_total") == "1"
	})
	if n := s.count("plan/job/" + job + "/successors"); n != 1 { // the test's own call
		t.Fatalf("engine calls for the job's successors: %d, want only the test's own", n)
	}
}

// Development mode without RESYNC_TWS_URL serves the embedded simulator, and says so.
func TestTWSEmbeddedSimulator(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=1"}})
	m.waitReady(false)
	a := getTWS(t, m.url("/api/v1/tws/status"))
	var st struct {
		Engine struct{ Simulated bool } `json:"engine"`
		Jobs   struct{ Total int }      `json:"jobs"`
	}
	json.Unmarshal(a.doc.Data, &st)
	if a.code != 200 || !st.Engine.Simulated || !a.doc.Meta.Simulated || st.Jobs.Total == 0 {
		t.Fatalf("embedded: %d %.400s", a.code, a.body)
	}
	m.waitLog("SIMULATED HWA plan", 5*time.Second)
	res, err := fresh.Get(m.url("/api/v1/health/ready"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"simulated":true`) {
		t.Fatalf("readiness: %s", body)
	}
}
