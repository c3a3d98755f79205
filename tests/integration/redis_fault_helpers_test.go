package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/tests/loadclient"
)

// What the fault tests share: a load on limited routes, the limit checked
// through a trusted proxy's X-Forwarded-For, and a worker's resources read
// from /proc and its own goroutine count.

// faultEnv is resync on redisURL with a default limit no load reaches, the
// auth limit small enough to see enforced, and loopback trusted as a proxy
// so that a check can speak for a client of its own. Redis timeouts of 1 s:
// on a machine this loaded a healthy Redis can answer later than the 200 ms
// default, and the request would be served open, uncounted, spoiling the
// count; the faults here (a refused connection, a failover) do not wait for
// the timeout, and the pause test sets its own.
func faultEnv(redisURL string, extra ...string) []string {
	return append([]string{"RESYNC_WORKERS=2", "RESYNC_REDIS_URL=" + redisURL,
		"RESYNC_REDIS_READ_TIMEOUT=1s", "RESYNC_REDIS_WRITE_TIMEOUT=1s",
		"RESYNC_RATE_LIMIT_DEFAULT=1000000/1m", "RESYNC_RATE_LIMIT_AUTH=5/1h",
		"RESYNC_TRUSTED_PROXIES=127.0.0.1/32", "RESYNC_ADMIN_TOKEN=tok"}, extra...)
}

// limitedLoad sends GETs to /api/v1/metrics and POSTs to /api/v1/metrics/gc
// (admin, so without the token a quick 401): both routes are rate-limited.
func limitedLoad(t *testing.T, addr string) *load {
	t.Helper()
	l := &load{l: loadclient.Start(loadclient.Options{Addr: addr, GetPath: "/api/v1/metrics",
		PostPath: "/api/v1/metrics/gc", PostStatus: 401, KeepAlive: 4, Fresh: 2, Post: 2})}
	t.Cleanup(func() { l.stop() })
	return l
}

// loginStatuses sends n logins for client (as X-Forwarded-For from the
// trusted loopback proxy) and returns their statuses. Login is not
// configured, so an admitted one is 404 and a refused one 429.
func loginStatuses(t *testing.T, addr, client string, n int) []int {
	t.Helper()
	var codes []int
	for range n {
		codes = append(codes, rawDo(t, addr, "POST", "/api/v1/auth/login", `{}`, "X-Forwarded-For: "+client).StatusCode)
	}
	return codes
}

// expectEnforced checks the auth limit (5/1h: no refill while a test runs) for a client never seen:
// five admitted, the sixth refused.
func expectEnforced(t *testing.T, addr, client string) {
	t.Helper()
	codes := loginStatuses(t, addr, client, 6)
	if fmt.Sprint(codes) != "[404 404 404 404 404 429]" {
		t.Errorf("client %s: logins %v, want 5 admitted (404: login not configured) and a 429", client, codes)
	}
}

// workerState is what a worker holds: its open fds, how many of them are
// TCP connections to Redis, and its goroutines.
type workerState struct {
	fds, redisConns, goroutines int
}

func (w workerState) String() string {
	return fmt.Sprintf("%d fds (%d to Redis), %d goroutines", w.fds, w.redisConns, w.goroutines)
}

// workerStates reads each worker's state: fds from /proc, goroutines from
// the testhooks route /debug/goroutines, asked until every pid has answered.
func workerStates(t *testing.T, m *master, pids []int, redisPort int) map[int]workerState {
	t.Helper()
	out := map[int]workerState{}
	remote := tcpRemotePorts(t)
	for _, pid := range pids {
		n, r := fdsOf(t, pid, remote, redisPort)
		out[pid] = workerState{fds: n, redisConns: r, goroutines: -1}
	}
	waitUntil(t, 20*time.Second, "every worker to report its goroutines", func() bool {
		code, _, body, err := rawGet(m.addr, "/debug/goroutines")
		if err != nil || code != 200 {
			return false
		}
		var g struct{ PID, Goroutines int }
		if json.Unmarshal([]byte(body), &g) != nil {
			return false
		}
		if s, ok := out[g.PID]; ok && s.goroutines < 0 {
			s.goroutines = g.Goroutines
			out[g.PID] = s
		}
		for _, s := range out {
			if s.goroutines < 0 {
				return false
			}
		}
		return true
	})
	return out
}

// fdsOf counts pid's open fds and those that are TCP sockets to port.
func fdsOf(t *testing.T, pid int, remote map[string]int, port int) (fds, toPort int) {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read fds of worker %d: %v", pid, err)
	}
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed while we looked
		}
		fds++
		if inode, ok := strings.CutPrefix(link, "socket:["); ok && remote[strings.TrimSuffix(inode, "]")] == port {
			toPort++
		}
	}
	return fds, toPort
}

// tcpRemotePorts maps the socket inodes of /proc/net/tcp to their remote port.
func tcpRemotePorts(t *testing.T) map[string]int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		_, portHex, _ := strings.Cut(f[2], ":")
		port, _ := strconv.ParseInt(portHex, 16, 32)
		out[f[9]] = int(port)
	}
	return out
}

// latencies are request durations, sortable into percentiles.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func (l latencies) String() string {
	return fmt.Sprintf("n=%d p50=%s p99=%s max=%s", len(l), l.pct(0.5).Round(time.Microsecond),
		l.pct(0.99).Round(time.Microsecond), l.pct(1).Round(time.Microsecond))
}
