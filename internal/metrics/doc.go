// Package metrics owns resync's request accounting across worker processes and
// the documents built from it: the /api/v1/metrics JSON, the Prometheus text
// exposition at /metrics, and the forced-GC result of /api/v1/metrics/gc.
//
// How it is wired:
//
//   - Each worker counts its requests in a Recorder (Begin, Done), called by
//     its handler chain (worker.chain): atomics only, no locks, no
//     allocation. Its Counters go to the master in
//     every heartbeat (package protocol): the one count of requests.
//   - The master keeps each worker's last Counters in its table, and folds
//     them into its retired totals when the worker is reaped, with the
//     reason (control.Depart*), so totals never go backwards across
//     recycling and reloads. Requests a worker served after its last message
//     are not counted; its last message follows its drain.
//   - Once a second the master hands its table to the monitor (package
//     monitor), which samples /proc with internal/procstat and builds the
//     document with Build.
//   - Whichever worker answers /api/v1/metrics asks the master for the Report
//     and serves it as JSON; /metrics serves WritePrometheus of the same
//     Report (Content-Type "text/plain; version=0.0.4; charset=utf-8"), so
//     both are identical whichever worker answers.
//   - /api/v1/metrics/gc: the master asks each worker to run FreeMemory
//     and collects the answers into a GCResult with Add.
package metrics
