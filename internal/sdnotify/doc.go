// Package sdnotify owns resync's side of the sd_notify protocol (sd_notify(3)):
// sending states to the socket named by NOTIFY_SOCKET, and — because systemd's
// NotifyAccess=main will not accept messages from worker processes — receiving
// them on a socket of the master's own, where the sender is identified by the
// kernel-supplied SCM_CREDENTIALS rather than by anything it claims.
//
// A message is a datagram of newline-separated KEY=VALUE assignments. Besides
// the standard keys (READY, RELOADING, STOPPING, STATUS, WATCHDOG,
// MONOTONIC_USEC) workers send X_RESYNC_* keys of ours (package protocol):
// the sd_notify(3) man page reserves the X_ prefix for application-specific
// variables.
package sdnotify
