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
// worker's last records. RelayWorker owns the two read ends and closes them.
// The master's main loop never reads a pipe itself.
//
// Worker:
//
//	lvl, _ := logging.ParseLevel(cfg.Log.Level)
//	w := logging.NewWorker(recordsPipe, lvl) // w.Logger for its records
//	access := w.AccessLog(cfg.Log, clients) // nil when off; clients: clientip
//	// the worker's handler chain calls access.Log once per request
//	defer w.Flush()                          // access records go in batches
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
// go to AccessFile alone if it is set (not to journald or stderr: a busy
// access log would otherwise cost journald an entry per request), else to
// File and journald/stderr like every record. Only the master writes them
// (lumberjack assumes a single writer). A file that cannot be written costs
// one error record on journald/stderr saying why; the file is retried at most
// once a second on the next record, and when it works again an info record
// says how many records it missed. Records never stop flowing to
// journald/stderr meanwhile.
//
// # Worker pipe
//
// A worker writes one JSON line per record: slog.JSONHandler's (see
// NewWorker; parseWire reads it back). A log call returns only once its
// record is in the pipe, so a worker killed at any moment loses no record
// whose call had returned (access records excepted: they go in batches,
// see writeLater): the master holds the read end and reads what is buffered after
// the worker is gone. A record cut by the kill is relayed marked
// truncated=true; a line that does not decode is relayed verbatim; nothing
// is dropped.
//
// The relay reads the records pipe with blocking reads outside Go's
// netpoller and, once caught up, waits relayCoalesce (5 ms) before reading
// again, with the pipe grown to 1 MiB. A busy worker thus costs the master
// one wake-up, one read and one write per 5 ms rather than per record; the
// price is up to 5 ms of delay before a record appears. Raw stderr is grouped
// into records: see relayStderr.
//
// # Ordering and back-pressure
//
// All sinks are written under one mutex, whole records only, so lines never
// tear or interleave; records of one worker keep their order. File and
// stderr writes are synchronous: a slow disk slows the relay down, the
// worker's pipe fills, and the worker's log calls block. Nothing is dropped.
//
// journald is the exception, because the master must outlive a journald that
// stops reading (WatchdogSec would kill a master stuck in a log call): under
// the mutex, records are only handed to a bounded queue (journalQueue) that
// one goroutine sends. A relay waits up to a second for room, so a slow
// journald still slows workers down; a full queue drops records, and when it
// has emptied one warning says how many. The master's own log calls never
// wait on journald.
package logging
