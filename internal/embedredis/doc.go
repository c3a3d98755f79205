// Package embedredis is the Redis a single host gets when none is installed:
// the master serves github.com/alicebob/miniredis/v2 on a private unix socket
// in its runtime directory, and its workers reach it through the very client
// they would use on a real Redis (internal/redisclient, RESYNC_REDIS_URL =
// unix://…/redis.sock), so rate limits, locks and sessions are exact across
// every worker of the host.
//
// miniredis speaks the protocol and runs the Lua scripts resync sends (GCRA,
// the fenced lock), but it was written for tests, and two of its habits are
// handled here:
//   - it has no unix listener: Store accepts on the socket itself and hands
//     each connection to miniredis' server (ServeConn);
//   - its keys expire only when its clock is driven: a ticker advances every
//     TTL by the time that really passed (FastForward). TIME, which the rate
//     limiter reads, is the wall clock already.
//
// It keeps everything in the master's memory: no persistence (a restart of
// the service forgets limits and sessions), no memory limit, one host only.
// That is the development default; production wants a real Redis.
package embedredis
