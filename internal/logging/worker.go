package logging

import (
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
)

// NewWorker returns a worker's logging: each record is one line of
// slog.JSONHandler's output on w, the pipe the master relays with
// RelayWorker (wire.go reads it back). Groups are nested objects. In the
// Logger's records durations travel as their text (1.5s, as the master's own
// records show them) and NaN or infinite floats as text, which JSON has no
// number for (wireValue); the access log's records hold strings and integers
// only and skip that step, which cost more than the encoding itself.
//
// Records are whole lines, one Write each, never interleaved within the
// worker, and a log call returns only when its record is in the pipe. POSIX
// makes only writes of at most PIPE_BUF (4096) bytes atomic against other
// writers of the same pipe; resync gives each worker its own pipe, so the one
// way a line can be cut is the worker dying inside a write(2) that did not
// fit the pipe's free space. Every record whose log call had returned is
// whole before that point; the master relays the cut remainder marked
// truncated=true rather than drop it.
//
// Access records (Worker.AccessLog) go through a second handler on the same
// pipe that does not wait for its write: see writeLater.
func NewWorker(w io.Writer, level slog.Leveler) *Worker {
	out := &pipeOut{w: w}
	return &Worker{
		Logger: slog.New(slog.NewJSONHandler(syncWriter{out}, &slog.HandlerOptions{Level: level, ReplaceAttr: wireValue})),
		access: slog.New(slog.NewJSONHandler(laterWriter{out}, &slog.HandlerOptions{Level: level})),
		out:    out,
	}
}

// wireValue: see NewWorker.
func wireValue(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindDuration:
		a.Value = slog.StringValue(a.Value.Duration().String())
	case slog.KindFloat64:
		if f := a.Value.Float64(); math.IsNaN(f) || math.IsInf(f, 0) {
			a.Value = slog.StringValue(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	return a
}

// syncWriter and laterWriter are the two ways into pipeOut: the Logger's
// records wait for their write(2), the access log's do not.
type (
	syncWriter  struct{ *pipeOut }
	laterWriter struct{ *pipeOut }
)

func (w syncWriter) Write(rec []byte) (int, error) { return len(rec), w.write(rec) }

func (w laterWriter) Write(rec []byte) (int, error) {
	w.writeLater(rec)
	return len(rec), nil
}

// NewTextWorker is a worker's logging without a master: text lines to w
// (a worker started by hand logs to stderr).
func NewTextWorker(w io.Writer, level slog.Leveler) *Worker {
	l := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	return &Worker{Logger: l, access: l, out: &pipeOut{w: w}}
}

// Worker is a worker process's logging: Logger for its own records, and
// AccessLog for the access log, both into its records pipe.
type Worker struct {
	Logger *slog.Logger
	access *slog.Logger // batched: AccessLog's records
	out    *pipeOut
}

// Flush writes out the access records still held; call it before the
// worker exits.
func (w *Worker) Flush() { w.out.flush() }

// pipeOut commits records to the pipe in groups: a record is appended to
// pending, then whoever holds wmu writes everything pending in one write(2).
// A synchronous write returns only once its own record has been written, so
// "logged" still means "in the pipe" and survives a SIGKILL; access records
// pending meanwhile go out with it, in order.
type pipeOut struct {
	w io.Writer

	mu      sync.Mutex // guards pending and queued
	pending []byte
	queued  uint64 // records ever appended to pending

	wmu     sync.Mutex // held while writing; guards written, err, spare
	written uint64     // records ever written
	err     error      // result of the last group write
	spare   []byte

	armed bool // a flush of pending is scheduled (guarded by mu)
}

// Access records do not wait for their write: they are appended to pending
// and written within accessFlushEvery, or as soon as accessFlushBytes gather,
// or with the next ordinary record (order is kept). A request thus costs no
// write(2) of its own; the price is that a worker killed outright loses at
// most the last accessFlushEvery of access records. Ordinary records keep
// the guarantee above.
const (
	accessFlushEvery = 5 * time.Millisecond
	accessFlushBytes = 32 << 10
)

func (o *pipeOut) writeLater(rec []byte) {
	o.mu.Lock()
	o.pending = append(o.pending, rec...)
	o.queued++
	full := len(o.pending) >= accessFlushBytes
	if !full && !o.armed {
		o.armed = true
		time.AfterFunc(accessFlushEvery, o.flush)
	}
	o.mu.Unlock()
	if full {
		o.flush()
	}
}

// flush writes whatever is pending.
func (o *pipeOut) flush() {
	o.mu.Lock()
	o.armed = false
	mine := o.queued
	o.mu.Unlock()
	_ = o.commit(mine)
}

func (o *pipeOut) write(rec []byte) error {
	o.mu.Lock()
	o.pending = append(o.pending, rec...)
	o.queued++
	mine := o.queued
	o.mu.Unlock()

	return o.commit(mine)
}

// commit returns once record number mine is written: by an earlier group
// write, or by writing everything pending now.
func (o *pipeOut) commit(mine uint64) error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	if o.written >= mine {
		return o.err
	}
	o.mu.Lock()
	group, upto := o.pending, o.queued
	o.pending = o.spare[:0]
	o.mu.Unlock()
	_, o.err = o.w.Write(group)
	o.written = upto
	if cap(group) <= 64<<10 {
		o.spare = group
	} else {
		o.spare = nil
	}
	return o.err
}
