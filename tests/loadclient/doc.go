// Package loadclient is the tests' load generator: HTTP/1.1 on raw TCP (or
// unix) connections, one request at a time per connection, and never a retry.
//
// Why not net/http's Transport: it silently sends an idempotent request again
// when a reused connection closes before the first response byte, so a server
// that drops requests during a reload looks perfect through it. wrk, a proxy
// with retries off, and every POST get no such second chance. Here a request
// is sent once, and anything but a complete answer with the expected status is
// a failure: a refused or reset connection, EOF before or in the middle of the
// answer, a body shorter than its Content-Length, a timeout, another status.
//
// Requests are written by hand (a few fixed lines); answers are parsed with
// net/http's ReadResponse, which is a parser and does no transport. A client
// whose answer says "Connection: close" closes and dials again for its next
// request, as a well-behaved client does; that is not a failure.
//
// The load mixes three kinds of client (see Options):
//
//	keep-alive GET    many requests on one connection
//	fresh GET         a new connection per request (Connection: close)
//	keep-alive POST   requests with a body on one connection
//
// Each failure is recorded with its client, its kind (refused, reset, eof,
// short, timeout, status, …), whether the connection had already carried an
// answer (reused) and when it happened, so a test can say which failures a
// scenario allows — for example, connections refused after the last process
// holding the listening socket exited.
package loadclient
