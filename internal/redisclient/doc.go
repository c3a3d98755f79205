// Package redisclient owns resync's connection to Redis: the one go-redis
// UniversalClient a process uses, built from RESYNC_REDIS_URL (one server,
// TLS, unix socket, Sentinel or Cluster) with pool sizes and timeouts fit for
// a request path, and the readiness probe that reports on it.
//
// Every Redis user in resync (rate limits, locks, sessions, the HWA cache,
// the event stream) takes the client from here; none dials on its own.
//
// Timeouts: go-redis defaults to 5 s reads and 3 retries, so a stalled Redis
// would hold a request for up to 20 s. Here reads and writes time out after
// RESYNC_REDIS_READ_TIMEOUT / _WRITE_TIMEOUT (200 ms), a request's own
// deadline also stops a command (ContextTimeoutEnabled), and go-redis never
// retries: a retried rate-limit call can count a request twice, and callers
// that can safely retry (a lock renewal) do so on their own schedule.
//
// Connections: at most RESYNC_REDIS_POOL_MAX_SIZE per worker (and no separate
// pipeline pool), at least RESYNC_REDIS_POOL_MIN_SIZE kept idle; a host opens
// at most workers × RESYNC_REDIS_POOL_MAX_SIZE, plus one per worker to each
// sentinel with Sentinel.
package redisclient
