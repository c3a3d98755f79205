// Package master owns the supervisor: one goroutine that holds every fact about
// the workers and changes them only in its loop, in the shape of gunicorn's
// arbiter.
//
// # The loop
//
// Run selects over five inputs — signals, worker exits, notify messages from
// workers, control-socket calls and a 100 ms tick — handles the one that came,
// then on every pass:
//
//	murder   a worker with no WATCHDOG=1 for RESYNC_TIMEOUT (or no READY=1 within
//	         it) is logged as "[CRITICAL] WORKER TIMEOUT (pid:N)", sent SIGABRT
//	         (plus SIGCONT, so a stopped one wakes to dump its goroutines) and,
//	         a grace later, SIGKILL
//	manage   start workers until the current generation has its target count
//	         (exponential backoff after boot failures)
//	retire   SIGTERM replaced workers — older generations, recycled ones,
//	         surplus after TTOU — oldest first, but only while the ready
//	         workers left would still be at least the target: capacity never dips
//	report   READY=1 / RELOADING=1 / STATUS= / WATCHDOG=1 to systemd
//
// Once a second the monitor samples /proc for every worker (see package
// monitor); a worker over RESYNC_WORKER_MAX_RSS_MB is recycled like one that
// spent its request budget.
//
// # Generations
//
// Every reload starts a generation with the configuration read anew; the old
// one is retired as the new one becomes ready. A reload whose file does not
// validate starts nothing and is reported as failed; a generation none of whose
// workers can boot is abandoned and the old one goes on serving.
//
// # What workers send (see package worker)
//
//	READY=1                        ready to serve
//	WATCHDOG=1, X_RESYNC_REQUESTS  heartbeat and requests served so far
//	X_RESYNC_METRICS=…             counters for the monitor (/api/v1/metrics)
//	X_RESYNC_RECYCLE=reason        replace me (request budget spent)
//	X_RESYNC_GC={json}             answer to the SIGUSR2 of a forced GC
//	STOPPING=1, STATUS=…           informational
//
// Senders are identified by SCM_CREDENTIALS; messages from unknown pids are
// ignored.
package master
