// Package worker owns a worker process's life: it serves HTTP on the sockets
// the master passed, tells the master over sd_notify when it is ready, beats
// WATCHDOG=1 with its request counts while its runtime is alive, asks to be
// recycled after its request budget, drains on SIGTERM, and exits when the
// master is gone.
//
// What it sends and when, the signals it answers and its exit codes are the
// master–worker protocol, written down once in package protocol.
package worker

// # Draining without losing a request
//
// A worker retired for any reason — reload (HUP), TTOU, max-requests or
// max-RSS recycling, the master's TERM, systemctl restart or a package
// upgrade — gets SIGTERM and drains (drain in worker.go, conns.go):
//
//  1. It stops accepting: its listeners close; the socket stays open in the
//     master (or in systemd), so the next connection goes to another worker,
//     or waits in the backlog.
//  2. Every request in flight or already arriving on an open connection is
//     served, and every answer whose header goes out from now on carries
//     Connection: close; net/http closes the connection after it. The client, told so, sends nothing
//     more on it.
//  3. A keep-alive connection that is idle — no byte of a request since its
//     last answer — is closed once it has been idle for one second
//     (drainIdle; RESYNC_KEEPALIVE instead when that is shorter, since
//     outside a drain it would be closed then anyway). The idle wait is
//     net/http's own, its read deadline capped; if request bytes arrived just
//     as the cap fired (peeked with MSG_PEEK), the request is served instead.
//     A connection that has not carried a request yet is left to the header
//     timeout (RESYNC_HEADER_TIMEOUT): its client connected to send one and
//     has had no answer to tell it otherwise. Closing it after a second lost
//     fresh GETs of a client starved of CPU between connect and send, at load
//     average 25-37 (TestReloadUnderLoad, 1 run in 5).
//  4. Every close is a half-close: our FIN goes out after the answer, then
//     what the peer still sends (a body the handler did not read, a request
//     that crossed our FIN) is read and discarded until the peer's FIN, for
//     at most 2 s, and only then is the socket closed. A close with unread
//     bytes would send a reset, which can destroy an answer in flight.
//  5. The worker exits when every connection is closed and lingered, or after
//     RESYNC_GRACEFUL_TIMEOUT.
//
// Why one second. A keep-alive client under load sends its next request as
// soon as it has read an answer; the gap the server sees between answer and
// next request, measured in drains here (2 cores shared with the load, wrk or
// tests/loadclient, 32 connections), was at most 37 ms. A client idle for a
// second is between bursts, not mid-send. The one race no server can close
// is a request sent after a second of silence within the one-way delay of our
// FIN: the same race as every HTTP/1.1 keep-alive timeout, left by RFC 9112
// (section 9.3.1) to the client's retry of idempotent requests. A connection
// busy with requests never meets it: it gets its Connection: close answer.
//
// Not http.Server.Shutdown nor SetKeepAlivesEnabled(false): both close idle
// connections at once, including one whose client is sending at that moment;
// measured with 3 workers, two HUPs lost 51 requests to wrk and 46 to
// tests/loadclient, two TTOUs 17 and 10. With this drain: 0.
//
// Each drain logs one line, "drained", with the connections it had, the
// answers sent with Connection: close, the idle connections closed, the
// longest idle gap before a request that still came (max_idle_gap), and how
// long it took.
