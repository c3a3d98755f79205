package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/redistest"
)

// TestMeasureRateLimitCost is the measurement of docs/redis.md, not a
// check: it runs only with RESYNC_MEASURE_REDIS=1 (and without -race):
//
//	RESYNC_MEASURE_REDIS=1 go test -count=1 -v -run TestMeasureRateLimitCost ./tests/integration/
//
// Two resync instances (2 workers each) on one redis-server, the same
// route: one with RESYNC_RATE_LIMIT_DEFAULT=0/1m (off), one with a limit
// no load reaches (none is refused; one client, so its key is hot and the
// workers lease up to 64 tokens a call). wrk loads each in turn,
// alternating, 3 rounds; the medians of requests/s, of the workers' and
// redis-server's CPU per request (from /proc), of the Redis scripts run
// per request and their cost in Redis (INFO commandstats), and of wrk's
// latency, and at one connection the latency a request pays for the limit.
func TestMeasureRateLimitCost(t *testing.T) {
	if os.Getenv("RESYNC_MEASURE_REDIS") != "1" {
		t.Skip("a measurement: RESYNC_MEASURE_REDIS=1 runs it")
	}
	route := os.Getenv("RESYNC_MEASURE_ROUTE")
	if route == "" {
		route = "/api/v1/tws/engine"
	}
	srv := redistest.Start(t)
	env := func(limit string) []string {
		return []string{"RESYNC_WORKERS=2", "RESYNC_REDIS_URL=" + srv.URL(), "RESYNC_RATE_LIMIT_DEFAULT=" + limit}
	}
	sides := []struct {
		name string
		m    *master
	}{{"unlimited", startMaster(t, opts{env: env("0/1m")})}, {"limited", startMaster(t, opts{env: env("60000000/1m")})}}
	for _, s := range sides {
		s.m.waitReady(false)
		measureWrk(t, s.m.url(route), 2, 32, 2*time.Second) // warm: caches, pools
	}
	type round struct{ rps, workerUS, redisUS, p50ms, lat1ms, calls, usPerCall float64 }
	results := map[string][]round{}
	for r := range 3 {
		for _, s := range sides {
			pids := s.m.readyPIDs()
			sc0, su0 := scriptCalls(t, srv)
			cpu0, rcpu0 := cpuTicks(t, pids...), cpuTicks(t, srv.PID())
			out := measureWrk(t, s.m.url(route), 2, 32, 5*time.Second)
			cpu1, rcpu1 := cpuTicks(t, pids...), cpuTicks(t, srv.PID())
			sc1, su1 := scriptCalls(t, srv)
			one := measureWrk(t, s.m.url(route), 1, 1, 2*time.Second)
			tick := 1e6 / 100.0 // µs per clock tick (USER_HZ = 100)
			res := round{rps: out.rps, p50ms: out.p50ms, lat1ms: one.p50ms,
				workerUS: float64(cpu1-cpu0) * tick / float64(out.requests),
				redisUS:  float64(rcpu1-rcpu0) * tick / float64(out.requests),
				calls:    float64(sc1-sc0) / float64(out.requests)}
			if s.name == "limited" && sc1 > sc0 {
				res.usPerCall = float64(su1-su0) / float64(sc1-sc0)
			}
			results[s.name] = append(results[s.name], res)
			t.Logf("round %d %-9s %8.0f req/s  worker CPU %5.1f µs/req  redis-server %5.1f µs/req  p50 %.2f ms (32 conns), %.3f ms (1 conn)  "+
				"%.3f scripts/req, %.1f µs each in Redis", r+1, s.name, res.rps, res.workerUS, res.redisUS, res.p50ms, res.lat1ms, res.calls, res.usPerCall)
		}
	}
	med := func(name string, f func(round) float64) float64 {
		var v []float64
		for _, r := range results[name] {
			v = append(v, f(r))
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	u, l := "unlimited", "limited"
	t.Logf("median: unlimited %.0f req/s, limited %.0f req/s: ratio %.2f", med(u, func(r round) float64 { return r.rps }),
		med(l, func(r round) float64 { return r.rps }), med(l, func(r round) float64 { return r.rps })/med(u, func(r round) float64 { return r.rps }))
	t.Logf("median worker CPU per request: unlimited %.1f µs, limited %.1f µs; redis-server %.1f µs per limited request",
		med(u, func(r round) float64 { return r.workerUS }), med(l, func(r round) float64 { return r.workerUS }), med(l, func(r round) float64 { return r.redisUS }))
	t.Logf("median Redis scripts per limited request %.3f, %.1f µs each (commandstats usec_per_call)",
		med(l, func(r round) float64 { return r.calls }), med(l, func(r round) float64 { return r.usPerCall }))
	t.Logf("median latency at 1 connection: unlimited %.3f ms, limited %.3f ms",
		med(u, func(r round) float64 { return r.lat1ms }), med(l, func(r round) float64 { return r.lat1ms }))
}

// wrkOut is what the measurement reads of wrk's summary.
type wrkOut struct {
	requests   int
	rps, p50ms float64
}

var (
	wrkReqs    = regexp.MustCompile(`(\d+) requests in`)
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkP50     = regexp.MustCompile(`50%\s+([\d.]+)(us|ms|s)`)
	wrkFailure = regexp.MustCompile(`Non-2xx|Socket errors`)
)

// measureWrk runs wrk for d and parses its summary; a refused or failed
// request spoils the measurement.
func measureWrk(t *testing.T, url string, threads, conns int, d time.Duration) wrkOut {
	t.Helper()
	var buf bytes.Buffer
	cmd := exec.Command("wrk", "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns), "-d"+d.String(), "--latency", url)
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		t.Fatalf("wrk: %v\n%s", err, buf.String())
	}
	s := buf.String()
	if wrkFailure.MatchString(s) {
		t.Fatalf("wrk saw failures or refusals:\n%s", s)
	}
	var o wrkOut
	if m := wrkReqs.FindStringSubmatch(s); m != nil {
		o.requests, _ = strconv.Atoi(m[1])
	}
	if m := wrkRPS.FindStringSubmatch(s); m != nil {
		o.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := wrkP50.FindStringSubmatch(s); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		o.p50ms = v * map[string]float64{"us": 0.001, "ms": 1, "s": 1000}[m[2]]
	}
	if o.requests == 0 {
		t.Fatalf("wrk printed no summary:\n%s", s)
	}
	return o
}

// scriptCalls is redis-server's count of EVALSHA and EVAL calls, and the
// µs it spent in them (INFO commandstats).
func scriptCalls(t *testing.T, srv *redistest.Server) (calls, usec int64) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if m := cmdstatScript.FindStringSubmatch(line); m != nil {
			c, _ := strconv.ParseInt(m[1], 10, 64)
			u, _ := strconv.ParseInt(m[2], 10, 64)
			calls, usec = calls+c, usec+u
		}
	}
	return calls, usec
}

var cmdstatScript = regexp.MustCompile(`^cmdstat_eval(?:sha)?:calls=(\d+),usec=(\d+),`)

// cpuTicks sums utime+stime (clock ticks) of pids from /proc/PID/stat.
func cpuTicks(t *testing.T, pids ...int) int64 {
	t.Helper()
	var sum int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		sum += u + s
	}
	return sum
}
