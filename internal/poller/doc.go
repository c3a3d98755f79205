// Package poller owns the one TWS poller of a deployment: elected among every
// worker of every host with a fenced Redis lock, it snapshots the plan each
// interval, stores the snapshot in Redis, warms the cache, diffs the
// snapshot against the previous one (internal/events) and appends the events
// to the Redis stream the workers' feeds follow (internal/feed).
//
// Fencing. Every write is one Lua script that first compares the writer's
// token with the highest token that ever wrote (the fence key) and refuses
// an older one — the compare and the write are atomic. A new holder's first
// act is a fenced claim, so from then on the old holder, however late it
// wakes up, writes nothing.
//
// Exactly once across a hand-over. A poll is written in three steps, each
// fenced: begin (the new snapshot becomes "pending", written = 0), append
// (a batch of events XADDed and written += n, in one script), commit
// (pending becomes current). Diff is a pure function, so a new holder that
// finds a pending snapshot recomputes the same events from current and
// pending, appends those past written, and commits: nothing is lost, nothing
// is appended twice.
//
// Keys (one hash tag, so that a Redis Cluster keeps them in one slot):
//
//	resync:{tws}:fence      highest token that wrote
//	resync:{tws}:current    the last committed snapshot (JSON)
//	resync:{tws}:pending    the snapshot of the poll being written
//	resync:{tws}:written    events of the pending poll already appended
//	resync:{tws}:meta       hash: holder, token, seq, polls, errors, events,
//	                        last poll time and duration, last error, the
//	                        fence's accepted and refused writes
//	resync:{tws}:events     the event stream (MAXLEN ~ retention)
//
// The election is internal/lock's fenced lock named resync:{tws}:poller: its
// fence is the token every write above carries.
package poller
