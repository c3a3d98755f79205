// Package cache keeps the engine's answers so that resync asks HWA once per
// key per TTL however many clients, workers and hosts ask it (the guide's
// MemoryEfficientCache, then Redis).
//
//   - Tier 1 (memory.go) is per worker: a bounded LRU (hashicorp/golang-lru)
//     holding encoded answers, bounded by item count and by the real byte
//     size of what it holds (the bytes themselves, their key and a fixed
//     per-entry overhead), not a shallow estimate.
//   - Tier 2 (Shared) is shared by every worker and host, Redis in practice;
//     it is an interface here so that the cache works without one (a single
//     worker, tests).
//   - Get coalesces: identical concurrent misses in a worker share one fill
//     (x/sync/singleflight), and while an expired entry is refreshed the
//     other callers are served it (stale) instead of waiting; across
//     workers and hosts, one holder of the key's fill lock in tier 2 asks
//     the engine while the others serve what they have (stale) or wait
//     briefly for the fresh entry to appear.
//   - Stale-if-error: when a fill fails, an entry up to StaleMax past its TTL
//     is served instead, with its age, and Result says so.
//
// Values are opaque bytes (encoded JSON or text): the cache never decodes,
// and the API writes cached bytes out as they are.
package cache
