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
// # Workers
//
// How a worker is started, what it sends, the signals it gets and what its
// exit codes mean is package protocol's, written there once. Workers that
// cannot boot are respawned with exponential back-off (100 ms doubling to
// 10 s). After five failures in a row, or one exit with protocol.ExitBoot, a
// reload's new generation is abandoned (the old one goes on serving); with
// nobody serving, the master gives up and Run returns protocol.ErrBoot.
//
// The master's table of workers is the only list of them: `resync status`
// prints it, and the monitor is handed it on every sample, so
// /api/v1/metrics lists a worker from the moment it is started.
package master
