package integration

import (
	"os/exec"

	"github.com/resync/resync/tests/loadclient"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// HUP under load: a new generation replaces the old one and no request fails,
// for wrk nor for the raw client — neither retries. Before the drain of issue
// 8, two HUPs lost about 50 requests to each.
func TestReloadUnderLoad(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=3", "RESYNC_MAX_REQUESTS=0"}})
	m.waitReady(false)
	before := m.waitWorkers(3, 10*time.Second)
	w := startWrk(t, m.url("/api/v1/health/live"), 16)
	l := startLoad(t, m.url("/api/v1/health/live"), 16)
	l.waitServed(t, 200)
	for i := 0; i < 3; i++ {
		from := len(m.notify.all())
		m.signal(syscall.SIGHUP)
		rl := m.notify.waitFor(t, "RELOADING=1", from, 10*time.Second)
		m.notify.waitFor(t, "READY=1", rl+1, 30*time.Second)
		l.waitServed(t, 200)
	}
	w.expectNoFailures(t)
	l.expectNoFailures(t)
	after := m.waitWorkers(3, 30*time.Second)
	for _, pid := range after {
		if slices.Contains(before, pid) {
			t.Errorf("worker %d survived three reloads", pid)
		}
	}
	if s := m.status(); s.Generation < 4 {
		t.Errorf("generation after three reloads = %d, want ≥ 4", s.Generation)
	}
}

// `resync reload` — ExecReload= — returns only when the reload is done.
func TestReloadCommandWaitsForNewWorkers(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2"}})
	m.waitReady(false)
	before := m.waitWorkers(2, 10*time.Second)
	out, err := exec.Command(binary, "reload", "--runtime-dir", m.runtime).CombinedOutput()
	if err != nil {
		t.Fatalf("resync reload: %v\n%s", err, out)
	}
	// Right after it returns, the new generation serves and the old is draining or gone.
	s := m.status()
	ready := 0
	for _, w := range s.Workers {
		if w.State == "ready" {
			ready++
			if slices.Contains(before, w.PID) {
				t.Errorf("old worker %d still ready after resync reload returned", w.PID)
			}
		}
	}
	if ready != 2 {
		t.Errorf("after resync reload: %d ready workers, want 2 (%+v)", ready, s.Workers)
	}
}

// Recycling after RESYNC_MAX_REQUESTS (+ jitter): each worker is replaced in
// turn and no request fails.
func TestRecycleUnderLoad(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_MAX_REQUESTS=300", "RESYNC_MAX_REQUESTS_JITTER=50"}})
	m.waitReady(false)
	w := startWrk(t, m.url("/api/v1/health/live"), 8)
	l := startLoad(t, m.url("/api/v1/health/live"), 8)
	waitUntil(t, 60*time.Second, "eight recycles", func() bool {
		return strings.Count(m.log.String(), ` recycling worker `) >= 8
	})
	w.expectNoFailures(t)
	l.expectNoFailures(t)
	m.waitLog(`recycling worker.*reason=max-requests`, time.Second)
	m.waitWorkers(2, 30*time.Second)
	if total := m.status().Requests; total < 8*300 {
		t.Errorf("requests served across recycling = %d, want ≥ %d: totals must survive retired workers", total, 8*300)
	}
}

// TTIN / TTOU: one worker more, one fewer, never below one; no request fails.
func TestScaleUpDownUnderLoad(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_MAX_REQUESTS=0"}})
	m.waitReady(false)
	w := startWrk(t, m.url("/api/v1/health/live"), 16)
	l := startLoad(t, m.url("/api/v1/health/live"), 16)
	l.waitServed(t, 100)
	m.signal(syscall.SIGTTIN)
	m.waitWorkers(3, 20*time.Second)
	l.waitServed(t, 100)
	for i := 0; i < 3; i++ {
		m.signal(syscall.SIGTTOU)
		waitUntil(t, 5*time.Second, "one worker fewer, logged", func() bool {
			return strings.Count(m.log.String(), " one worker fewer ") == i+1
		})
	}
	m.waitWorkers(1, 30*time.Second)
	l.waitServed(t, 100)
	w.expectNoFailures(t)
	l.expectNoFailures(t)
}

// TERM under load, started by hand (no systemd holding the socket): every
// request on an open connection is answered — keep-alive GETs, POSTs with a
// body — before the master exits 0. Once the workers stop accepting, a new
// connection can only be refused, or reset when the master closes the last
// copy of the socket with it in the backlog: that is what
// resync.socket exists for (the e2e restart checks 0 of those too).
func TestTermUnderLoadAnswersOpenConnections(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_MAX_REQUESTS=0"}})
	m.waitReady(false)
	l := startLoad(t, m.url("/api/v1/health/live"), 16)
	l.waitServed(t, 500)
	term := time.Now()
	m.signal(syscall.SIGTERM)
	if code := m.waitExit(30 * time.Second); code != 0 {
		t.Errorf("master exit code = %d, want 0", code)
	}
	l.expectFailures(t, func(f loadclient.Failure) bool {
		// A connection made after the TERM, and failed on its first request.
		return f.At.After(term) && !f.Reused
	})
}

// TERM: in-flight requests finish, keep-alive clients are told to close, the
// master exits 0.
func TestTermDrainsInFlightRequests(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_GRACEFUL_TIMEOUT=20s"}})
	m.waitReady(false)
	type result struct {
		code  int
		close bool
		err   error
	}
	results := make(chan result, 10)
	for i := 0; i < 10; i++ {
		go func() {
			resp, err := httpGet(m.url("/debug/sleep?d=4s"))
			if err != nil {
				results <- result{err: err}
				return
			}
			results <- result{code: resp.StatusCode, close: resp.Close}
		}()
	}
	waitUntil(t, 10*time.Second, "10 requests in flight", func() bool { return inFlight(m.addr) >= 10 })
	m.signal(syscall.SIGTERM)
	for i := 0; i < 10; i++ {
		r := <-results
		if r.err != nil || r.code != 200 {
			t.Errorf("in-flight request during drain: %d, %v", r.code, r.err)
		} else if !r.close {
			t.Error("response during drain lacks Connection: close")
		}
	}
	if code := m.waitExit(30 * time.Second); code != 0 {
		t.Errorf("master exit code = %d, want 0", code)
	}
	m.waitLog(`shutdown complete`, time.Second)
}

// USR2 is the guide's "check worker status": one log line per worker.
func TestUSR2LogsOneLinePerWorker(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=3"}})
	m.waitReady(false)
	pids := m.waitWorkers(3, 10*time.Second)
	m.signal(syscall.SIGUSR2)
	for _, pid := range pids {
		m.waitLog(` worker status worker_pid=`+itoa(pid)+` generation=1 state=ready age=\S+ requests=\d+ last_heartbeat="\S+ ago" rss_mb=\d`, 5*time.Second)
	}
}
