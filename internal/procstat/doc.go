// Package procstat owns resync's view of process and host resources, read from
// /proc through github.com/prometheus/procfs: per-process RSS, memory share,
// CPU share over the last interval, threads, open fds and uptime; host load and
// memory; and the memory limit of the cgroup resync runs in.
//
// The master calls a Sampler on its 1 s tick for itself and each worker; no
// request ever waits on a /proc read. A Sampler is not safe for concurrent use:
// it belongs to the master's single goroutine.
//
// The root passed to New is the proc mount (normally "/proc"). Files outside
// /proc that the cgroup limit needs (the cgroup mounts found in
// <root>/self/mountinfo) are looked up relative to the parent of that root, so
// a fixture tree testdata/x/{proc,sys} stands in for the real one, as in
// node_exporter.
//
// Each /proc source has its own file (stat.go, fd.go, loadavg.go, meminfo.go,
// boottime.go, cgroup.go). A source that fails is reported in the returned
// error, joined with the others, while the sample keeps everything that could
// be read.
package procstat
