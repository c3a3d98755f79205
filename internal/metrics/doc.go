// Package metrics owns resync's request accounting across worker processes and
// the documents built from it: the /api/v1/metrics JSON, the Prometheus text
// exposition at /metrics, and the forced-GC result of /api/v1/metrics/gc.
//
// How it is wired:
//
//   - Each worker wraps its handler with a Recorder (NewRecorder, then
//     Middleware): atomics only, no locks and no allocation beyond one small
//     response-writer wrapper per request. Once a second the worker puts
//     rec.Snapshot().Encode() into its sd_notify heartbeat as one field (say
//     X_RESYNC_METRICS=); the encoding is one line of [0-9a-z=;:,-], about
//     100 bytes typically and never over 2 KiB (rare status codes fold into
//     their class).
//   - The master decodes it (DecodeSnapshot) and feeds an Aggregator from its
//     single goroutine: Observe on every heartbeat, Retire when a worker is
//     reaped (reason exit, recycle, timeout, reload or stop). Retire folds the
//     worker's last counts into the totals, so totals never go backwards
//     across recycling and reloads. Requests a worker served after its last
//     heartbeat (at most one second's worth) are not counted.
//   - On its 1 s tick the master samples itself and each worker with
//     internal/procstat and builds the document with Aggregator.Report(Stats).
//     Report may run on another goroutine (a control-socket query, say).
//   - Whichever worker answers /api/v1/metrics asks the master for the Report
//     and serves it as JSON; /metrics serves WritePrometheus of the same
//     Report (Content-Type "text/plain; version=0.0.4; charset=utf-8"), so
//     both are identical whichever worker answers.
//   - POST /api/v1/metrics/gc: the master asks each worker to run FreeMemory
//     and collects the answers into a GCResult with Add.
package metrics
