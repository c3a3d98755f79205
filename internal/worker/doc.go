// Package worker owns a worker process's life: it serves HTTP on the sockets
// the master passed, tells the master over sd_notify when it is ready, beats
// WATCHDOG=1 while its runtime is alive, asks to be recycled after its request
// budget, drains on SIGTERM, and exits when the master is gone.
//
// Messages a worker sends on NOTIFY_SOCKET (the master's socket):
//
//	READY=1                           serving; the master may retire what it replaces
//	WATCHDOG=1 X_RESYNC_REQUESTS=n    heartbeat, at least every RESYNC_TIMEOUT/2,
//	  X_RESYNC_METRICS=…              with the request counters (package metrics)
//	X_RESYNC_RECYCLE=max-requests     budget spent; start my replacement
//	STOPPING=1                        draining after SIGTERM
//	X_RESYNC_REQUESTS, _METRICS       once more after the drain, just before exit,
//	                                  so no request goes uncounted
//	X_RESYNC_GC={json}                answer to SIGUSR2: a forced GC's RSS before/after
package worker
