// Package monitoring owns the live TWS monitoring of a worker: it starts the
// worker's candidate for the one poller (internal/poller) and its one feed
// reader (internal/feed), and serves the original Resync's monitoring API
// from what the poller stored in Redis — never a call to HWA per request:
//
//	GET /api/v1/monitoring/status[?brief=1]           poller metrics and the snapshot (brief: no lists)
//	GET /api/v1/monitoring/status/workstations        workstations and online/offline counts
//	GET /api/v1/monitoring/status/jobs?status=&limit= jobs (limit 1..500, default 100)
//	GET /api/v1/monitoring/events?hours=&severity=&event_type=&limit=
//	GET /api/v1/monitoring/events/stream              Server-Sent Events
//	GET /api/v1/monitoring/ws                         the original's WebSocket
//	GET /dashboard/tws                                the live page (internal/dashboard/twspage)
//
// every one behind the operator guard. It also exposes the plan to
// Prometheus (collector.go): jobs and job streams per state, workstations
// linked and unlinked, ABENDs in the plan, the age of the last good poll, and
// the poller's counts — labels from bounded sets only, never a job name.
package monitoring
