package config

import (
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// autoWorkers is what RESYNC_WORKERS=auto means: one worker per CPU, at
// least 2 — nginx's worker_processes auto, where each worker runs on one core
// (see WorkerProcs).
//
// Why one per CPU and not the guide's 2×cores+1: that formula is for Python
// workers, where one process runs one request at a time and the spare workers
// cover requests blocked on I/O. A Go worker serves many requests at once on
// goroutines, so extra processes only add memory. At least 2 so that one
// worker dying never leaves nobody accepting (measured in docs/benchmarks.md:
// a SIGKILLed worker costs only its own connections' in-flight requests).
// GOMAXPROCS rather than NumCPU because it honours cgroup CPU limits
// (systemd CPUQuota=) and CPU affinity.
func autoWorkers() int {
	return max(2, runtime.GOMAXPROCS(0))
}

// WorkerProcs is the GOMAXPROCS each of n workers gets: this process's CPUs
// shared out among them, rounded up so that no CPU is left unused. Each Go
// runtime otherwise sizes itself to the whole machine, and n workers bring
// n×CPUs threads to run Go code on the same CPUs. Measured on 2 cores (a
// prefork probe, the same handler in 2 processes on one socket): GOMAXPROCS=2
// each, 23–38 k req/s at 31–60 µs of CPU per request; GOMAXPROCS=1 each,
// 38–40 k at 30–32 µs, as much as one process (docs/benchmarks.md).
func WorkerProcs(n int) int {
	cpus := runtime.GOMAXPROCS(0)
	n = max(n, 1)
	return max(1, (cpus+n-1)/n)
}

// defaultRuntimeDir picks the control socket directory when RESYNC_RUNTIME_DIR
// is empty, from the environment that Load was given:
//   - $RUNTIME_DIRECTORY: systemd's RuntimeDirectory= (colon-separated when
//     several are configured; the first is ours);
//   - /run/resync when running as root outside systemd;
//   - $XDG_RUNTIME_DIR/resync for a user session;
//   - $TMPDIR/resync-<uid> (or /tmp) as a last resort.
func defaultRuntimeDir(getenv func(string) string, euid int) string {
	if first, _, _ := strings.Cut(getenv("RUNTIME_DIRECTORY"), ":"); filepath.IsAbs(first) {
		return first
	}
	if euid == 0 {
		return "/run/resync"
	}
	if xdg := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "resync")
	}
	tmp := getenv("TMPDIR")
	if !filepath.IsAbs(tmp) {
		tmp = "/tmp"
	}
	return filepath.Join(tmp, "resync-"+strconv.Itoa(euid))
}
