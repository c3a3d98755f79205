package logging

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
)

// NewWorker returns a worker's logger: it writes each record as one line to
// w, the pipe the master relays with RelayWorker. The line format (the wire
// format between worker and master, private to this package) is
//
//	{"t":<unix ns>,"l":<slog level>,"m":"<message>","a":["key",value,…]}\n
//
// with groups flattened to dotted keys. Records are whole lines written
// under a mutex, never interleaved within the worker; concurrent records are
// committed together in one write(2) (see pipeOut), and a log call returns
// only when its record is in the pipe. POSIX makes only writes of at most
// PIPE_BUF (4096) bytes atomic against other writers of the same pipe; resync
// gives each worker its own pipe, so the one way a line can be cut is the
// worker dying inside a write(2) that did not fit the pipe's free space.
// Every record whose log call had returned is whole before that point; the
// master relays the cut remainder marked truncated=true rather than drop it.
//
// Access records (Worker.AccessLog) go through a second handler on the same
// pipe that does not wait for its write: see writeLater.
func NewWorker(w io.Writer, level slog.Leveler) *Worker {
	out := &pipeOut{w: w}
	return &Worker{Logger: slog.New(&pipeHandler{out: out, level: level}),
		access: slog.New(&pipeHandler{out: out, level: level, later: true}), out: out}
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

// pipeOut commits records to the pipe in groups: a log call appends its
// record to pending, then whoever holds wmu writes everything pending in one
// write(2). A call returns only once its own record has been written (by
// itself or by the goroutine that wrote the group), so "logged" still means
// "in the pipe" and survives a SIGKILL, while concurrent requests share
// syscalls. pending holds at most one record per waiting goroutine.
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

type pipeHandler struct {
	out   *pipeOut
	level slog.Leveler
	later bool // the access log's: pipeOut.writeLater
	scope
}

func (h *pipeHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *pipeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &pipeHandler{out: h.out, level: h.level, later: h.later, scope: h.with(as)}
}

func (h *pipeHandler) WithGroup(name string) slog.Handler {
	return &pipeHandler{out: h.out, level: h.level, later: h.later, scope: h.group(name)}
}

var kvPool = sync.Pool{New: func() any { s := make([]kv, 0, 16); return &s }}

func (h *pipeHandler) Handle(_ context.Context, r slog.Record) error {
	kp := kvPool.Get().(*[]kv)
	attrs := h.flatten((*kp)[:0], r)
	bp := getBuf()
	b := appendWireHead((*bp)[:0], r.Time, r.Level, r.Message)
	for i, a := range attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendWireKV(b, a)
	}
	b = append(b, "]}\n"...)
	var err error
	if h.later {
		h.out.writeLater(b)
	} else {
		err = h.out.write(b)
	}
	*bp = b
	putBuf(bp)
	clear(attrs)
	*kp = attrs[:0]
	kvPool.Put(kp)
	return err
}

func appendWireHead(b []byte, t time.Time, l slog.Level, msg string) []byte {
	b = append(b, `{"t":`...)
	if !t.IsZero() {
		b = strconv.AppendInt(b, t.UnixNano(), 10)
	} else {
		b = append(b, '0')
	}
	b = append(b, `,"l":`...)
	b = strconv.AppendInt(b, int64(l), 10)
	b = append(b, `,"m":`...)
	b = appendJSONString(b, msg)
	return append(b, `,"a":[`...)
}

// appendWireKV appends one flattened attribute: "key",value.
func appendWireKV(b []byte, a kv) []byte {
	b = appendJSONString(b, a.key)
	b = append(b, ',')
	v := a.val
	switch v.Kind() {
	case slog.KindString:
		return appendJSONString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindFloat64:
		if f := v.Float64(); !math.IsNaN(f) && !math.IsInf(f, 0) && f != math.Trunc(f) {
			return strconv.AppendFloat(b, f, 'g', -1, 64)
		}
	case slog.KindTime:
		return appendJSONString(b, v.Time().Format(time.RFC3339Nano))
	}
	// Strings, durations, whole floats (which would decode as ints), errors
	// and anything else travel as their text.
	return appendJSONString(b, string(appendValue(nil, v)))
}
