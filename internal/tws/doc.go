// Package tws serves resync's TWS API under /api/v1/tws/: what the HWA
// engine knows (engine, workstations, jobs and their dependencies and logs,
// job streams, resources) and a status summary, each answer cached
// (internal/cache) so that the engine is asked once per key per TTL.
//
// Every JSON answer is {"data": …, "meta": {cached, age_seconds, fetched_at,
// freshness, source}}, the original's meta plus source (memory | redis |
// upstream | stale); lists add count and links (next, previous). Job logs
// are text/plain, their meta in X-Resync-* headers. Engine faults map to
// 502 (credentials refused, malformed answer), 504 (timeout) and 503 with
// Retry-After (breaker open, engine down) when there is nothing stale to
// serve; a full executor is 503 with Retry-After too.
//
// Predecessors and successors are answered from the dependency-graph index
// (graph.go): the whole plan's jobs as flow nodes, one cache key read once
// per dependency-graph TTL, indexed on the bounded executor. It is a lazy
// part (internal/lazy), built on the first dependency request, so a worker
// never asked for dependencies never reads the plan for it.
package tws
