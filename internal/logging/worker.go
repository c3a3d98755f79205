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
// with groups flattened to dotted keys. Each record is a single Write call
// under a mutex, so records never interleave within the worker. A pipe
// write of at most PIPE_BUF (4096) bytes is also atomic against other
// processes; a larger record can only be split if several processes share
// the pipe, which resync never does (one pipe per worker), or if the worker
// dies in the middle of it: the master then relays the part it got, marked
// truncated=true, rather than drop it.
func NewWorker(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(&pipeHandler{out: &pipeOut{w: w}, level: level})
}

type pipeOut struct {
	mu sync.Mutex
	w  io.Writer
}

type pipeHandler struct {
	out    *pipeOut
	level  slog.Leveler
	pre    []byte // encoded WithAttrs attributes, each starting with ','
	prefix string
}

func (h *pipeHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *pipeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.pre = append([]byte(nil), h.pre...)
	for _, a := range as {
		h2.pre = appendWireAttr(h2.pre, h.prefix, a)
	}
	return &h2
}

func (h *pipeHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

func (h *pipeHandler) Handle(_ context.Context, r slog.Record) error {
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, r.Time.UnixNano(), 10)
	b = append(b, `,"l":`...)
	b = strconv.AppendInt(b, int64(r.Level), 10)
	b = append(b, `,"m":`...)
	b = appendJSONString(b, r.Message)
	b = append(b, `,"a":[`...)
	mark := len(b)
	b = append(b, h.pre...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendWireAttr(b, h.prefix, a)
		return true
	})
	if len(b) > mark { // drop the leading ',' of the first attribute
		copy(b[mark:], b[mark+1:])
		b = b[:len(b)-1]
	}
	b = append(b, "]}\n"...)
	h.out.mu.Lock()
	_, err := h.out.w.Write(b)
	h.out.mu.Unlock()
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		bufPool.Put(bp)
	}
	return err
}

func appendWireAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p = prefix + a.Key + "."
		}
		for _, g := range a.Value.Group() {
			b = appendWireAttr(b, p, g)
		}
		return b
	}
	b = append(b, ',')
	if prefix == "" {
		b = appendJSONString(b, a.Key)
	} else {
		b = appendJSONString(b, prefix+a.Key)
	}
	b = append(b, ',')
	v := a.Value
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
