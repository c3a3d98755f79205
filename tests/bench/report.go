package main

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// notes.md holds what the figures mean — causes, choices — written by hand
// and copied into docs/benchmarks.md under the generated tables.
//
//go:embed notes.md
var notes string

// machine describes where the run happened.
type machine struct {
	cpu, kernel, wrk string
	cpus             int
	memGB            float64
	loadBefore       string
	loadAfter        string
	when             time.Time
}

func describeMachine() machine {
	m := machine{cpus: cpus(), when: time.Now().UTC(), loadBefore: loadavg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		fmt.Sscanf(string(b), "MemTotal: %f kB", &kb)
		m.memGB = kb / (1 << 20)
	}
	out, _ := exec.Command("wrk", "-v").CombinedOutput()
	m.wrk = strings.Fields(string(out) + " wrk")[1]
	return m
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Figures of a steady run, for med.
func rps(s steadyResult) float64          { return s.rps() }
func p50(s steadyResult) float64          { return float64(s.p50) }
func p99(s steadyResult) float64          { return float64(s.p99) }
func maxLat(s steadyResult) float64       { return float64(s.maxLat) }
func cpuReq(s steadyResult) float64       { return float64(s.cpuPerReq) }
func masterShare(s steadyResult) float64  { return s.masterShare }
func masterIdle(s steadyResult) float64   { return s.idle.master }
func workerIdle(s steadyResult) float64   { return s.idle.workerMax }
func masterLoaded(s steadyResult) float64 { return s.loaded.master }
func workerLoaded(s steadyResult) float64 { return s.loaded.workerMax }
func spreadOf(s steadyResult) float64     { return s.spread }
func failedOf(s steadyResult) float64     { return float64(s.failed + s.connectErrors) }

// med is the median of one figure over the rounds.
func med(rs []steadyResult, f func(steadyResult) float64) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	return median(xs)
}

func spanOf(rs []steadyResult, f func(steadyResult) float64) (lo, hi float64) {
	for i, r := range rs {
		v := f(r)
		if i == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	return lo, hi
}

// roundRatios are a figure's ratio a ÷ b within each round, and their
// median: on a shared machine the load drifts between rounds, and a ratio
// taken within one round (the systems measured seconds apart) is steadier
// than a ratio of medians taken from different rounds.
func roundRatios(a, b []steadyResult, f func(steadyResult) float64) (each []string, medRatio float64) {
	var xs []float64
	for i := range min(len(a), len(b)) {
		x := ratio(f(a[i]), f(b[i]))
		xs = append(xs, x)
		each = append(each, fmt.Sprintf("%.2f", x))
	}
	return each, median(xs)
}

func usDur(ns float64) string       { return fmt.Sprintf("%.1f µs", ns/1e3) }
func msDur(ns float64) string       { return fmt.Sprintf("%.2f ms", ns/1e6) }
func mb(v float64) string           { return fmt.Sprintf("%.1f MB", v) }
func splitFields(s string) []string { return strings.Fields(s) }

func (r *results) medFirst(key string) float64 {
	xs := make([]float64, len(r.first[key]))
	for i, d := range r.first[key] {
		xs[i] = float64(d)
	}
	return median(xs)
}

// markdown is docs/benchmarks.md.
func (r *results) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	R, P, G := r.steady["resync"], r.steady["plain"], r.steady["gunicorn"]
	m := r.machine
	w("# Benchmarks\n\n")
	w("Written by `make bench` (the harness is [tests/bench](../tests/bench)) on %s UTC. ", m.when.Format("2006-01-02 15:04"))
	w("Three systems serve `GET %s` with the same JSON answer, side by side in one session:\n\n", livePath)
	for _, s := range r.systems {
		w("- **%s**\n", s.name)
	}
	w("\nresync runs on its defaults (%d workers here, GOMAXPROCS=%s each, set by the master) except `RESYNC_ACCESS_LOG=off`: "+
		"gunicorn logs no access by default and the plain server has no log (the access log's own cost is in the README). "+
		"Every figure is the median of %d rounds alternating between the systems, %s of load each after a 1 s warm-up; "+
		"ratios are against the plain server of the same run.\n\n", workersOf(R), procsOf(R), r.rounds, r.duration)
	w("**Machine:** %s, %d CPUs, %.0f GB, Linux %s, %s; load from wrk %s (%d threads, %d connections, never retrying) on the same CPUs. ",
		m.cpu, m.cpus, m.memGB, m.kernel, runtime.Version(), m.wrk, 2, 64)
	w("Load average %s at the start, %s at the start of each round, and %s at the end", m.loadBefore, strings.Join(r.loads, "; "), m.loadAfter)
	if shared(m.loadBefore) {
		w(": **the machine was shared** with other builds and tests during the run, so absolute figures are noisy; ratios within a round are steadier")
	}
	w(".\n\n")

	w("## Steady load\n\n![req/s and CPU per request](benchmarks.svg)\n\n")
	w("| | resync | plain net/http | gunicorn + uvicorn | resync ÷ plain | resync ÷ gunicorn |\n|---|---|---|---|---|---|\n")
	row := func(name string, f func(steadyResult) float64, format func(float64) string) {
		w("| %s | %s | %s | %s | %.2f | %.2f |\n", name, format(med(R, f)), format(med(P, f)), format(med(G, f)),
			ratio(med(R, f), med(P, f)), ratio(med(R, f), med(G, f)))
	}
	row("requests/s", rps, func(v float64) string { return fmt.Sprintf("%.0f", v) })
	w("| requests/s, range over rounds | %s | %s | %s | | |\n", rangeOf(R, rps), rangeOf(P, rps), rangeOf(G, rps))
	row("latency p50", p50, msDur)
	row("latency p99", p99, msDur)
	row("latency max", maxLat, msDur)
	row("CPU per request (process tree)", cpuReq, usDur)
	w("| CPU per request, range | %s | %s | %s | | |\n", rangeUs(R), rangeUs(P), rangeUs(G))
	w("| master's share of that CPU | %.1f %% | — | %.1f %% | | |\n", 100*med(R, masterShare), 100*med(G, masterShare))
	w("| RSS idle: master (the process) | %s | %s | %s | | |\n", mb(med(R, masterIdle)), mb(med(P, masterIdle)), mb(med(G, masterIdle)))
	w("| RSS idle: largest worker | %s | — | %s | | |\n", mb(med(R, workerIdle)), mb(med(G, workerIdle)))
	w("| RSS loaded: master (the process) | %s | %s | %s | | |\n", mb(med(R, masterLoaded)), mb(med(P, masterLoaded)), mb(med(G, masterLoaded)))
	w("| RSS loaded: largest worker | %s | — | %s | | |\n", mb(med(R, workerLoaded)), mb(med(G, workerLoaded)))
	w("| failed requests + connect errors | %.0f | %.0f | %.0f | | |\n", med(R, failedOf), med(P, failedOf), med(G, failedOf))
	w("| requests per worker, busiest ÷ idlest | %.2f | — | — | | |\n", med(R, spreadOf))
	fr, fp, fg := r.medFirst("resync"), r.medFirst("plain"), r.medFirst("gunicorn")
	w("| first response after socket activation | %s | %s | %s | %.2f | %.2f |\n", msDur(fr), msDur(fp), msDur(fg), ratio(fr, fp), ratio(fr, fg))
	if fe := r.medFirst("resync-engine"); fe > 0 {
		w("| the same with `RESYNC_TWS_URL` set (no embedded simulator) | %s | | | %.2f | |\n", msDur(fe), ratio(fe, fp))
	}
	w("\nWithin each round (the load drifts between rounds on a shared machine), resync ÷ plain:")
	for _, f := range []struct {
		name string
		f    func(steadyResult) float64
	}{{"requests/s", rps}, {"CPU per request", cpuReq}, {"p99", p99}} {
		each, m := roundRatios(R, P, f.f)
		w(" %s %s (median %.2f);", f.name, strings.Join(each, ", "), m)
	}
	gEach, gMed := roundRatios(R, G, rps)
	w(" resync ÷ gunicorn, requests/s %s (median %.2f).\n\n", strings.Join(gEach, ", "), gMed)
	if T := r.tws; len(T["resync"]) > 0 {
		TR, TP, TG := T["resync"], T["plain"], T["gunicorn"]
		w("### The cached TWS status, `GET %s`\n\n", twsPath)
		w("resync answers from its cache in front of the embedded HWA simulator (development mode), with "+
			"`RESYNC_RATE_LIMIT_DEFAULT=0/1m`: its default limit, 100 requests a minute per client and route, would refuse almost all "+
			"of one load client's requests; the plain server and the FastAPI app "+
			"serve the %d-byte answer resync gave, from memory: for them it costs nothing to compute.\n\n", r.twsBytes)
		w("| | resync | plain net/http | gunicorn + uvicorn | resync ÷ plain | resync ÷ gunicorn |\n|---|---|---|---|---|---|\n")
		trow := func(name string, f func(steadyResult) float64, format func(float64) string) {
			w("| %s | %s | %s | %s | %.2f | %.2f |\n", name, format(med(TR, f)), format(med(TP, f)), format(med(TG, f)),
				ratio(med(TR, f), med(TP, f)), ratio(med(TR, f), med(TG, f)))
		}
		trow("requests/s", rps, func(v float64) string { return fmt.Sprintf("%.0f", v) })
		trow("latency p50", p50, msDur)
		trow("latency p99", p99, msDur)
		trow("latency max", maxLat, msDur)
		trow("CPU per request (process tree)", cpuReq, usDur)
		w("| failed requests + connect errors | %.0f | %.0f | %.0f | | |\n\n", med(TR, failedOf), med(TP, failedOf), med(TG, failedOf))
	} else {
		w("The TWS status endpoint (`%s`) did not answer 200 when this ran; it is not measured.\n\n", twsPath)
	}

	w("## Disturbances under load\n\n")
	w("Each for %s under the same wrk load, on a socket the harness holds (as systemd holds it). "+
		"*Failed* is what wrk counts as read, write and timeout errors and non-2xx answers: a request sent and not answered well. "+
		"*Connect errors* are connections refused.\n\n", r.faultD)
	w("| disturbance | resync: requests | failed | connect errors | gunicorn: requests | failed | connect errors |\n|---|---|---|---|---|---|---|\n")
	for _, f := range faults {
		fr, fg := r.faults[f.key]["resync"], r.faults[f.key]["gunicorn"]
		w("| %s | %.0f | %d | %d | %.0f | %d | %d |\n", f.name, fr.requests, fr.failed, fr.connectErrors, fg.requests, fg.failed, fg.connectErrors)
	}
	w("\n## Goals\n\nMeasured is the ratio of the medians; in brackets the median of the per-round ratios.\n\n")
	w("| goal | measured | met |\n|---|---|---|\n")
	goal := func(name string, measured string, ok bool) {
		mark := "yes"
		if !ok {
			mark = "**no**"
		}
		w("| %s | %s | %s |\n", name, measured, mark)
	}
	tr, tg := ratio(med(R, rps), med(P, rps)), ratio(med(R, rps), med(G, rps))
	cr, cg := ratio(med(R, cpuReq), med(P, cpuReq)), ratio(med(R, cpuReq), med(G, cpuReq))
	lr := ratio(med(R, p99), med(P, p99))
	both := func(v float64, a, b []steadyResult, f func(steadyResult) float64) string {
		_, m := roundRatios(a, b, f)
		return fmt.Sprintf("%.2f× (%.2f×)", v, m)
	}
	goal("throughput ≥ 1.0× plain", both(tr, R, P, rps), tr >= 1.0)
	goal("throughput ≥ 2× gunicorn", both(tg, R, G, rps), tg >= 2)
	goal("CPU per request ≤ 1.1× plain", both(cr, R, P, cpuReq), cr <= 1.1)
	goal("CPU per request ≤ 0.4× gunicorn", both(cg, R, G, cpuReq), cg <= 0.4)
	goal("p99 ≤ 1.5× plain", both(lr, R, P, p99), lr <= 1.5)
	goal("worker idle RSS ≤ 15 MB", mb(med(R, workerIdle)), med(R, workerIdle) <= 15)
	goal("first response ≤ 50 ms after socket activation", msDur(fr), fr <= float64(50*time.Millisecond))
	goal("per-worker spread max/min ≤ 1.5", fmt.Sprintf("%.2f", med(R, spreadOf)), med(R, spreadOf) > 0 && med(R, spreadOf) <= 1.5)
	w("\n%s", notes)
	return b.String()
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func rangeOf(rs []steadyResult, f func(steadyResult) float64) string {
	lo, hi := spanOf(rs, f)
	return fmt.Sprintf("%.0f–%.0f", lo, hi)
}

func rangeUs(rs []steadyResult) string {
	lo, hi := spanOf(rs, cpuReq)
	return fmt.Sprintf("%.1f–%.1f µs", lo/1e3, hi/1e3)
}

func workersOf(rs []steadyResult) int {
	if len(rs) == 0 {
		return 0
	}
	return rs[0].idle.workers
}

func procsOf(rs []steadyResult) string {
	if len(rs) == 0 || rs[0].procs == "" {
		return "?"
	}
	return rs[0].procs
}

// shared reports whether the load average before the run says other work
// was running: the harness had loaded nothing yet.
func shared(load string) bool {
	var one float64
	fmt.Sscanf(load, "%f", &one)
	return one > 1
}
