// Package ratelimit owns resync's request rate limits: one budget per client
// and route for the whole service, kept in Redis, so that every worker of
// every host counts against the same limit.
//
// The algorithm is GCRA from github.com/go-redis/redis_rate/v10: one Lua
// script on one key, computed with the Redis server's clock (TIME), so
// hosts' clocks never matter; one round trip per request, but for the
// leases below. A limit of N per P
// admits a burst of N at once, then one request every P/N; a client that
// stays away for P has its whole burst again. A refused request costs the
// budget nothing.
//
// Keys are rate:{<client>|<route>}: the client from internal/clientip (the
// one identity function: forwarding headers believed from trusted proxies
// only), the route as the router's path template (/api/v1/tws/jobs/{id}),
// so that ids in a path do not multiply budgets. The braces are a hash tag:
// the script's one key sits in one Cluster slot.
//
// A refusal is remembered by the worker until its retry time: the abusive
// client's next requests are refused without a Redis call. That cannot make
// the limit inexact: GCRA's state only moves forward, and refused requests
// do not move it, so Redis would have refused each of them too, with the
// same retry time.
//
// A worker leases tokens of a hot key (lease.go): one AllowAtMost call
// counts up to 1% of the burst (at most 64) in Redis, and the worker's next
// requests of that key use them without a round trip, for at most 250 ms.
// The limit stays an upper bound: no request is admitted that Redis has not
// counted. Limits with a burst below 200 (the defaults 100/1m and 5/1m
// among them) never lease. The cost is bounded under-admission: tokens not
// used in time are dropped (resync_ratelimit_lease_expired_tokens_total).
//
// When Redis cannot answer (down, or slower than RESYNC_REDIS_READ_TIMEOUT)
// the request is served unlimited (RESYNC_RATE_LIMIT_FAIL=open, the
// default) or refused with 503 (closed); it is counted, and logged once
// when the outage begins and once when it ends.
package ratelimit
