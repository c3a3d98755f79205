// Package logging owns how resync's records reach operators: journald (native
// protocol) or stderr, optional log files rotated by lumberjack, the relay of
// worker output through the master, and the HTTP access log.
//
// # Wiring
//
// Master, once at start-up:
//
//	m, err := logging.NewMaster(cfg.Log, os.Stderr) // bad level/format only
//	log := m.Logger()
//	// on SIGUSR1: m.Reopen()        // lumberjack rotation
//	// at exit:    m.Close()
//
// For each worker it spawns, the master makes two pipes, passes the write
// ends to the child (records pipe as an extra fd, stderr pipe as Stderr),
// closes its copies of the write ends, and calls
//
//	done := m.RelayWorker(pid, generation, recordsReadEnd, stderrReadEnd)
//
// which returns at once; done closes once the worker's output is drained
// (after the worker exited), so "worker exited" can be logged after the
// worker's last records. The master's main loop never reads a pipe itself.
//
// Worker:
//
//	lvl, _ := logging.ParseLevel(cfg.Log.Level)
//	log := logging.NewWorker(recordsPipe, lvl)
//	mw, err := logging.AccessLog(log, cfg.Log) // wraps the HTTP handler
//
// Workers write no files and never talk to journald. Their JOURNAL_STREAM
// should be removed from their environment (it describes the master's
// stderr, not theirs).
//
// # Where records go
//
// When JOURNAL_STREAM names stderr's device and inode, every record is sent
// to journald natively: MESSAGE, PRIORITY (debug 7, info 6, warn 4, error 3,
// LevelCritical 2), SYSLOG_IDENTIFIER=resync, and each attribute as a field
// whose name is the key in upper case with other characters as '_'
// (worker_pid → WORKER_PID, generation, correlation_id, method, path,
// status, bytes, duration_us, client, …). Otherwise records go to stderr as
// one text line each ("time LEVEL message key=value …"), or JSON lines with
// Format "json". Access records in text use gunicorn's combined format plus
// duration_us and correlation_id.
//
// Files (cfg.File, cfg.AccessFile) get the text or JSON form. Access records
// go to AccessFile if set, else to File. Only the master writes them
// (lumberjack assumes a single writer). A file that cannot be written costs
// one error record on journald/stderr saying why; the file is retried at most
// once a second on the next record, and when it works again an info record
// says how many records it missed. Records never stop flowing to
// journald/stderr meanwhile.
//
// # Ordering and back-pressure
//
// All sinks are written under one mutex, one whole record at a time, so
// lines never tear or interleave. Writes are synchronous: a slow journald or
// disk slows the writer down, and for workers that means their pipe fills
// and their log call blocks. Nothing is queued in memory beyond the relay's
// bounded buffers, and nothing is dropped.
package logging
