// Package feed owns the monitoring event feed inside one worker: the Redis
// stream the poller appends to (read here, appended by internal/poller), the
// one reader per process that follows it (one XREAD BLOCK loop), the hub that
// fans each entry out to this worker's clients, and the two client protocols —
// Server-Sent Events (GET /api/v1/monitoring/events/stream) and the original
// Resync's WebSocket (/api/v1/monitoring/ws).
//
// A client has a bounded buffer in the hub; one that does not keep up is
// disconnected when it overflows, and the others never wait for it. An SSE
// client is told each entry's stream id as the SSE id and resumes from
// Last-Event-ID with an exclusive XRANGE; an id older than the stream retains
// gets a reset event first. On drain the hub closes every feed: SSE clients
// reconnect (to a serving worker) and resume, WebSocket clients get a
// going-away close.
package feed
