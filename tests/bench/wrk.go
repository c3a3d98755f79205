package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Load comes from wrk alone, for every system: it never retries a request
// (net/http's Transport resends a failed idempotent one, hiding failures) and
// costs the shared CPUs the same for each.

// load is what one wrk run measured.
type load struct {
	requests         float64
	seconds          float64
	p50, p99, maxLat time.Duration
	connectErrors    int
	failed           int // read, write and timeout errors plus non-2xx/3xx answers
	breakdown        string
	raw              string
}

func (l load) rps() float64 { return l.requests / l.seconds }

// wrkConfig is the load's shape: the same for every system.
type wrkConfig struct {
	threads, conns int
}

// runWrk loads url for d and parses what wrk reports.
func runWrk(cfg wrkConfig, url string, d time.Duration) (load, error) {
	out, err := exec.Command("wrk", "--latency", "--timeout", "2s",
		"-t"+strconv.Itoa(cfg.threads), "-c"+strconv.Itoa(cfg.conns),
		"-d"+strconv.Itoa(max(1, int(d.Seconds())))+"s", url).CombinedOutput()
	if err != nil {
		return load{}, fmt.Errorf("run wrk: %w\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	wrkTotal   = regexp.MustCompile(`(\d+) requests in ([0-9.]+)(us|ms|s|m)`)
	wrkLatency = regexp.MustCompile(`Latency\s+([0-9.]+)(us|ms|s|m)\s+([0-9.]+)(us|ms|s|m)\s+([0-9.]+)(us|ms|s|m)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s|m)`)
	wrkSocket  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

func parseWrk(out string) (load, error) {
	l := load{raw: out}
	m := wrkTotal.FindStringSubmatch(out)
	if m == nil {
		return l, fmt.Errorf("parse wrk output:\n%s", out)
	}
	l.requests, _ = strconv.ParseFloat(m[1], 64)
	l.seconds = duration(m[2], m[3]).Seconds()
	if m := wrkLatency.FindStringSubmatch(out); m != nil {
		l.maxLat = duration(m[5], m[6])
	}
	for _, m := range wrkPct.FindAllStringSubmatch(out, -1) {
		if m[1] == "50" {
			l.p50 = duration(m[2], m[3])
		} else {
			l.p99 = duration(m[2], m[3])
		}
	}
	non2xx := 0
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		non2xx = atoi(m[1])
		l.failed += non2xx
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		l.connectErrors = atoi(m[1])
		l.failed += atoi(m[2]) + atoi(m[3]) + atoi(m[4])
		l.breakdown = fmt.Sprintf("read %s, write %s, timeout %s, non-2xx %d", m[2], m[3], m[4], non2xx)
	}
	return l, nil
}

func duration(v, unit string) time.Duration {
	f, _ := strconv.ParseFloat(v, 64)
	scale := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[unit]
	return time.Duration(f * float64(scale))
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}
