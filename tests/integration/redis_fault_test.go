package integration

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resync/resync/internal/redistest"
)

// TestRedisKilledUnderLoad: redis-server SIGKILLed while GETs and POSTs run
// on rate-limited routes. Not one request fails (the limiter fails open, and
// says so once per worker, not per request), readiness stays 200 with
// checks.redis degraded and the reason; when Redis returns, readiness is ok
// again and limits are enforced again; and the workers hold what they held
// before: no fd, Redis connection or goroutine left behind.
func TestRedisKilledUnderLoad(t *testing.T) {
	srv := redistest.Start(t)
	m := startMaster(t, opts{env: faultEnv(srv.URL())})
	m.waitReady(false)
	pids := m.waitWorkers(2, 30*time.Second)

	// The resting state after a first load: the pools have opened what
	// such a load opens.
	warm := limitedLoad(t, m.addr)
	warm.waitServed(t, 500)
	warm.expectNoFailures(t)
	before := settledStates(t, m, pids, srv.Port, nil)

	l := limitedLoad(t, m.addr)
	l.waitServed(t, 300)
	expectEnforced(t, m.addr, "198.51.100.1")

	srv.Kill()
	killed := time.Now()
	m.waitRedisStatus("degraded")
	code, check := m.readyRedis()
	if msg, _ := check["error"].(string); code != http.StatusOK || !strings.Contains(msg, "ConnectionRefusedError") {
		t.Errorf("readiness during the outage: %d %v, want 200 and degraded with ConnectionRefusedError", code, check)
	}
	l.waitServed(t, 300) // requests keep being answered with Redis gone
	for _, c := range loginStatuses(t, m.addr, "198.51.100.2", 8) {
		if c != 404 {
			t.Errorf("login during the outage: %d, want 404 (served: the limiter fails open)", c)
		}
	}
	t.Logf("outage %s; readiness %v", time.Since(killed).Round(time.Millisecond), check)

	srv.Restart()
	m.waitRedisStatus("ok")
	l.waitServed(t, 300)
	// Enforced again, within a deadline: a worker may still hold a pooled
	// connection from before the kill, whose first use fails (open).
	tries := 0
	waitUntil(t, 10*time.Second, "limits enforced again", func() bool {
		tries++
		return fmt.Sprint(loginStatuses(t, m.addr, fmt.Sprintf("198.51.100.%d", 100+tries), 6)) == "[404 404 404 404 404 429]"
	})
	r := l.stop()
	l.expectNoFailures(t)
	t.Logf("limits enforced again after %d tries", tries)

	// Logged per incident, not per request: a line when the outage begins
	// and one when it ends, per worker (twice if a stale pooled connection
	// makes one more failure just after Redis returned), against the
	// hundreds of requests served open.
	logs := m.log.String()
	down, back := strings.Count(logs, "rate limiter: redis unavailable"), strings.Count(logs, "rate limiter: redis is back")
	if down < 1 || down > 2*len(pids) || back < 1 || back > 2*len(pids) {
		t.Errorf("outage logged %d times, its end %d times, for %d requests; want 1..%d each", down, back, r.OK, 2*len(pids))
	}
	if _, body := get(t, m.url("/metrics")); !strings.Contains(body, "resync_ratelimit_failed_open_total") ||
		strings.Contains(body, "resync_ratelimit_failed_open_total 0\n") {
		t.Errorf("/metrics does not count the requests served open:\n%s", strings.Join(grepLines(body, "resync_ratelimit"), "\n"))
	}

	settledStates(t, m, pids, srv.Port, before)
}

// settledStates waits until no load connection is left on the workers and,
// when before is given, until each worker holds no more than it did then
// (non-Redis fds and goroutines; Redis connections within the pool's bound),
// and returns the states.
func settledStates(t *testing.T, m *master, pids []int, redisPort int, before map[int]workerState) map[int]workerState {
	t.Helper()
	const poolMax = 20 // RESYNC_REDIS_POOL_MAX_SIZE's default
	// A leak grows with requests or connections, by hundreds here (over a
	// thousand requests ran during the outage); at rest a worker's count
	// still moves by a few (a heartbeat, a probe, a timer: 5 to 12 seen).
	const fdSlack, goroutineSlack = 3, 10
	var now map[int]workerState
	settled := func() bool {
		if inFlight(m.addr) > 1 { // the probe's own connection
			return false
		}
		now = workerStates(t, m, pids, redisPort)
		for pid, s := range now {
			if s.redisConns > poolMax {
				return false
			}
			if b, ok := before[pid]; ok && (s.fds-s.redisConns > b.fds-b.redisConns+fdSlack || s.goroutines > b.goroutines+goroutineSlack) {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(15 * time.Second)
	for !settled() {
		if time.Now().After(deadline) {
			t.Fatalf("workers did not return to their state before the outage:\nbefore %v\nnow    %v", before, now)
		}
		time.Sleep(100 * time.Millisecond) // polling, not synchronisation
	}
	t.Logf("workers at rest: %v", now)
	return now
}

// waitRedisStatus waits until readiness shows checks.redis with status.
func (m *master) waitRedisStatus(status string) {
	m.t.Helper()
	waitUntil(m.t, 10*time.Second, "readiness to show checks.redis "+status, func() bool {
		_, c := m.readyRedis()
		return c["status"] == status
	})
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

// TestRedisPausedLatencyBounded: redis-server frozen with SIGSTOP (its
// connections stay open and nothing answers, the worst kind of outage for a
// client). Each request on a rate-limited route then waits at most about
// RESYNC_REDIS_READ_TIMEOUT for the limiter, is served (fail open) and none
// fails; when Redis thaws, latency returns to what it was.
func TestRedisPausedLatencyBounded(t *testing.T) {
	const readTimeout = 100 * time.Millisecond
	srv := redistest.Start(t)
	m := startMaster(t, opts{env: faultEnv(srv.URL(), "RESYNC_REDIS_READ_TIMEOUT=100ms", "RESYNC_REDIS_WRITE_TIMEOUT=100ms")})
	m.waitReady(false)

	p := startProbers(t, m.addr, "/api/v1/workers", 401, 6)
	p.waitCount(t, 500)
	up := p.take()

	srv.Stop()
	paused := time.Now()
	m.waitRedisStatus("degraded")
	_, check := m.readyRedis()
	p.take() // what was in flight when Redis stopped
	p.waitCount(t, 100)
	for time.Since(paused) < 3*time.Second {
		time.Sleep(50 * time.Millisecond) // at least 3 s of pause measured
	}
	during := p.take()
	srv.Cont()
	m.waitRedisStatus("ok")
	p.take()
	p.waitCount(t, 500)
	after := p.take()
	errs := p.stop()

	t.Logf("Redis up:     %s", up)
	t.Logf("Redis paused: %s (readiness %v)", during, check)
	t.Logf("Redis thawed: %s", after)
	if len(errs) > 0 {
		t.Errorf("%d requests failed, e.g. %v", len(errs), errs[0])
	}
	if msg, _ := check["error"].(string); !strings.Contains(msg, "timeout") {
		t.Errorf("readiness during the pause: %v, want degraded with a timeout", check)
	}
	// The bound: the read timeout (a command on a pooled connection) plus
	// the write timeout it may also wait, plus slack for a loaded 2-core
	// machine under -race. A client without a timeout would wait the whole
	// pause (3 s and more).
	bound := readTimeout + 100*time.Millisecond + 400*time.Millisecond
	if p99 := during.pct(0.99); p99 > bound {
		t.Errorf("p99 during the pause %s, want at most %s (read timeout %s + write timeout + slack)", p99, bound, readTimeout)
	}
	if p50 := during.pct(0.5); p50 < readTimeout/2 {
		t.Logf("note: p50 during the pause %s is below the read timeout: some answers did not wait for Redis", p50)
	}
}

// probers send keep-alive GETs one at a time per connection, timing each;
// a failed request is recorded, never retried.
type probers struct {
	mu    sync.Mutex
	lat   latencies
	errs  []error
	stopc chan struct{}
	wg    sync.WaitGroup
}

func startProbers(t *testing.T, addr, path string, want, n int) *probers {
	t.Helper()
	p := &probers{stopc: make(chan struct{})}
	for range n {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.run(addr, path, want)
		}()
	}
	t.Cleanup(func() { p.stop() })
	return p
}

func (p *probers) run(addr, path string, want int) {
	var c net.Conn
	var br *bufio.Reader
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	req := "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"
	for {
		select {
		case <-p.stopc:
			return
		default:
		}
		start := time.Now()
		err := func() error {
			if c == nil {
				nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					return err
				}
				c, br = nc, bufio.NewReader(nc)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(c, req); err != nil {
				return err
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != want {
				err = &statusErr{resp.StatusCode}
			}
			if resp.Close {
				c.Close()
				c = nil
			}
			return err
		}()
		d := time.Since(start)
		p.mu.Lock()
		if err != nil {
			p.errs = append(p.errs, err)
			if c != nil {
				c.Close()
				c = nil
			}
		} else {
			p.lat = append(p.lat, d)
		}
		p.mu.Unlock()
	}
}

type statusErr struct{ code int }

func (e *statusErr) Error() string { return "status " + itoa(e.code) }

// take returns the latencies recorded since the last take.
func (p *probers) take() latencies {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.lat
	p.lat = nil
	return l
}

// waitCount waits until n answers are recorded since the last take.
func (p *probers) waitCount(t *testing.T, n int) {
	t.Helper()
	waitUntil(t, 30*time.Second, "probe answers", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.lat) >= n
	})
}

// stop ends the probers and returns their errors.
func (p *probers) stop() []error {
	select {
	case <-p.stopc:
	default:
		close(p.stopc)
	}
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errs
}
