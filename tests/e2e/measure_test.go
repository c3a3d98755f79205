//go:build e2e

package e2e

import (
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var (
	wrkRate  = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkCount = regexp.MustCompile(`(\d+) requests in`)
)

// measureAccessLog is a measurement, not a check (E2E_MEASURE=1): requests/s
// and CPU per request with the access log to journald, to a file, and off,
// under real systemd, rounds alternating. CPU counts resync.service and
// systemd-journald both; the req/s ratio also reflects that the container's
// cgroup shares the machine with wrk.
func measureAccessLog(t *testing.T, c *container) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk not installed (Debian package wrk)")
	}
	c.must("cp", "/etc/resync/env", "/tmp/env.measure")
	defer func() {
		c.must("cp", "/tmp/env.measure", "/etc/resync/env")
		c.must("systemctl", "reload", "resync")
	}()
	modes := []struct{ name, setting string }{
		{"journald", "RESYNC_ACCESS_LOG=on"},
		{"file", "RESYNC_ACCESS_LOG_FILE=/var/log/resync/access.log"},
		{"off", "RESYNC_ACCESS_LOG=off"},
	}
	// CPU (utime+stime, in clock ticks of 10 ms) per process of resync and
	// journald; no cgroup CPU accounting is needed. Processes that exit
	// between two samples (workers of the previous generation) are left out.
	cpu := func() map[string]float64 {
		out, _ := c.sh(`for d in /proc/[0-9]*; do case "$(cat $d/comm 2>/dev/null)" in resync|systemd-journal) echo ${d#/proc/} $(cut -d' ' -f14,15 $d/stat);; esac; done`)
		ticks := map[string]float64{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) == 3 {
				u, _ := strconv.ParseFloat(f[1], 64)
				s, _ := strconv.ParseFloat(f[2], 64)
				ticks[f[0]] = u + s
			}
		}
		return ticks
	}
	spentNS := func(before, after map[string]float64) float64 {
		var d float64
		for pid, t := range after {
			d += t - before[pid]
		}
		return d * 10e6
	}
	rates, perReq := map[string][]float64{}, map[string][]float64{}
	for round := 0; round < 3; round++ {
		for _, mode := range modes {
			// No recycling: an exited worker's CPU would escape the count.
			c.must("sh", "-c", "cp /tmp/env.measure /etc/resync/env && printf '%s\\nRESYNC_MAX_REQUESTS=0\\n' '"+mode.setting+"' >> /etc/resync/env")
			c.must("systemctl", "reload", "resync")
			before := cpu()
			out, err := exec.Command(wrk, "-t2", "-c64", "-d4s", "http://127.0.0.1:8000/api/v1/health/live").CombinedOutput()
			spent := spentNS(before, cpu())
			rate, count := wrkRate.FindSubmatch(out), wrkCount.FindSubmatch(out)
			if err != nil || rate == nil || count == nil {
				t.Fatalf("wrk: %v\n%s", err, out)
			}
			v, _ := strconv.ParseFloat(string(rate[1]), 64)
			n, _ := strconv.ParseFloat(string(count[1]), 64)
			rates[mode.name] = append(rates[mode.name], v)
			perReq[mode.name] = append(perReq[mode.name], spent/n/1000) // µs
		}
	}
	med := func(xs []float64) float64 { sort.Float64s(xs); return xs[len(xs)/2] }
	off, offCPU := med(rates["off"]), med(perReq["off"])
	for _, mode := range []string{"journald", "file"} {
		on, onCPU := med(rates[mode]), med(perReq[mode])
		t.Logf("access log to %s: %.0f req/s vs %.0f off (%.2f); CPU %.1f µs/request vs %.1f off (off/on %.2f)",
			mode, on, off, on/off, onCPU, offCPU, offCPU/onCPU)
	}
}
