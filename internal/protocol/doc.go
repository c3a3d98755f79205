// Package protocol is the contract between the master and its workers, the
// one place it is written down: how a worker is started, what it says back,
// how it is stopped and what its exit code means. The master (package master,
// with cmd/resync/spawner.go) and the worker (package worker) link here
// rather than repeat it; the constants and message builders below are the
// only spelling of each key.
//
// # Starting a worker
//
// The master execs its own binary (/proc/self/exe, so an upgrade on disk
// cannot mix versions within one master) as `resync worker`, with
// syscall.ForkExec (see package spawn) and PR_SET_PDEATHSIG=SIGKILL, so that
// no worker outlives its master however the master dies. File descriptors:
//
//	0          /dev/null
//	1, 2       one pipe to the master: raw output (a panic, the goroutine
//	           dump of a WORKER TIMEOUT), relayed as records
//	3 … 3+n-1  the n listening sockets, shared by every worker
//	3+n        the records pipe: one JSON line per log record (package logging)
//
// Environment: the master's own, without what belongs to the master alone
// (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID, JOURNAL_STREAM, LISTEN_*,
// and every RESYNC_* it was started with), then:
//
//	RESYNC_*              the master's effective configuration (config.Environ),
//	                      with RESYNC_ENV_FILE empty: a worker reads no file,
//	                      so a reload is the only way settings change
//	RESYNC_LISTEN_FDS     n, and RESYNC_LISTEN_FDNAMES their names (package
//	                      listen; not LISTEN_FDS, whose LISTEN_PID a child
//	                      cannot know before it exists)
//	RESYNC_LOG_FD         3+n, the records pipe
//	RESYNC_GENERATION     the worker's generation (informational: the master
//	                      attributes records by pid and generation itself)
//	NOTIFY_SOCKET         the master's notify socket, not systemd's
//	GOTRACEBACK=all       so the SIGABRT of a timeout dumps every goroutine
//
// # What a worker says
//
// Datagrams on NOTIFY_SOCKET in sd_notify(3) form, newline-separated
// KEY=VALUE. The master knows the sender by SCM_CREDENTIALS, never by what a
// message claims, and ignores pids not in its table. sd_notify(3) reserves
// the X_ prefix for applications; ours are X_RESYNC_*.
//
//	Ready()      READY=1 STATUS=serving      accepting; the master may retire
//	                                         what this worker replaces
//	Heartbeat()  WATCHDOG=1 X_RESYNC_METRICS at least every RESYNC_TIMEOUT/4
//	                                         (at most 1 s apart): alive, and
//	                                         its counts (Counters.Encode)
//	Recycle()    X_RESYNC_RECYCLE=max-requests X_RESYNC_METRICS
//	                                         budget spent: start my replacement
//	                                         (it keeps serving until SIGTERM)
//	Stopping()   STOPPING=1 STATUS=draining  after SIGTERM, listeners closed
//	Final()      X_RESYNC_METRICS            after the drain, just before exit,
//	                                         so no request goes uncounted
//	GCAnswer()   X_RESYNC_GC={json}          answer to SIGUSR2
//
// Counters are the one count of requests: the worker's budget, the master's
// STATUS= line, `resync status` and /api/v1/metrics all read them. They only
// grow over a worker's life; the master keeps the last ones it got, and
// folds them into its retired totals when the worker is reaped.
//
// # Signals to a worker
//
//	SIGTERM   drain without losing a request (package worker says how),
//	          exit within RESYNC_GRACEFUL_TIMEOUT
//	SIGINT, SIGQUIT
//	          close at once (fast shutdown)
//	SIGUSR2   run a full GC, answer X_RESYNC_GC
//	SIGABRT   (+ SIGCONT) sent after RESYNC_TIMEOUT of silence: the Go
//	          runtime dumps every goroutine and exits
//	SIGKILL   a grace (3 s) after SIGABRT or SIGINT, or after the drain's
//	          time: the last word
//	SIGHUP    ignored: the master reloads, and a terminal hang-up must not
//	          kill workers
//
// A worker whose parent changes (the master is gone) drains on its own.
//
// # Exit codes
//
//	0 (ExitOK)    drained cleanly
//	1 (ExitFail)  an error while serving: the master respawns it
//	3 (ExitBoot)  cannot start at all (bad settings, no sockets): respawning
//	              would only loop, so the master gives up at once when nothing
//	              serves, and resync itself exits 3 (gunicorn's
//	              WORKER_BOOT_ERROR)
package protocol
