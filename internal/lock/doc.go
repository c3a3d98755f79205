// Package lock owns resync's distributed locks: mutual exclusion across every
// worker of every host through Redis, with fencing tokens.
//
// A holder gets a fence, a number that strictly increases with every
// acquisition of the same lock, and should stamp whatever it writes with it
// so that a store can refuse a write carrying an older fence: a holder
// paused past its TTL (GC, SIGSTOP, a slow disk) may wake and write after
// another took over, and only the fence tells the two writes apart.
//
// No well-kept Go library hands out fencing tokens (bsm/redislock and
// go-redsync/redsync do not), so the three Lua scripts here are hand-written:
// acquire (SET NX PX of a random token and INCR of the fence counter, in one
// script, so one cannot happen without the other), extend and release
// (both compare the token first, so only the holder can). The lock key and
// its fence counter share a hash tag, so each script touches one Cluster slot.
//
// A held lock renews itself at a third of its TTL. Its holder learns at once
// that it lost it (Lost closes) when a renewal finds another holder or no
// lock, or when the TTL since the last confirmed renewal runs out, which
// covers a Redis it cannot reach and a process paused past the TTL. A fence
// is only as durable as Redis: run it with appendonly yes in production.
package lock
