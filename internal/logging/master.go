package logging

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/resync/resync/internal/config"
)

// Master owns every log sink of the process tree: journald or stderr, and the
// optional files. Its Logger is safe for concurrent use; records of relayed
// workers go through the same path.
type Master struct {
	level   slog.Level
	json    bool
	stderr  *os.File
	journal *journal // nil unless stderr is the journal stream
	file    *fileSink
	access  *fileSink // nil: access records go to file

	mu            sync.Mutex // serialises sink writes: whole records, one at a time
	closed        bool
	journalFailed bool

	logger *slog.Logger
}

// NewMaster builds the master's sinks from cfg. Errors are configuration
// errors only: an unwritable log file is reported through the logger and
// retried, it never fails start-up.
func NewMaster(cfg config.LogConfig, stderr *os.File) (*Master, error) {
	lvl, err := ParseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("configure logging: %w", err)
	}
	m := &Master{level: lvl, stderr: stderr}
	switch cfg.Format {
	case "", "text":
	case "json":
		m.json = true
	default:
		return nil, fmt.Errorf("configure logging: log format %q: want text or json", cfg.Format)
	}
	if stderrIsJournal(stderr) {
		if m.journal, err = openJournal(journalSocket); err != nil {
			return nil, fmt.Errorf("configure logging: %w", err)
		}
	}
	if cfg.File != "" {
		m.file = newFileSink(cfg.File, cfg.MaxSizeMB, cfg.MaxBackups, cfg.MaxAgeDays, cfg.Compress)
	}
	if cfg.AccessFile != "" {
		m.access = newFileSink(cfg.AccessFile, cfg.MaxSizeMB, cfg.MaxBackups, cfg.MaxAgeDays, cfg.Compress)
	}
	m.logger = slog.New(&masterHandler{m: m})
	// Open the files now, so that a bad path is reported at start-up.
	m.mu.Lock()
	now := time.Now()
	for _, f := range []*fileSink{m.file, m.access} {
		if f != nil {
			m.notify(f, f.write(nil, now))
		}
	}
	m.mu.Unlock()
	return m, nil
}

// Logger is the master's own logger.
func (m *Master) Logger() *slog.Logger { return m.logger }

// Reopen rotates the log files (USR1): lumberjack renames the current file
// with a timestamp and opens a new one. A file that is failing is left to its
// retry.
func (m *Master) Reopen() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	for _, f := range []*fileSink{m.file, m.access} {
		if f != nil {
			m.notify(f, f.rotate(time.Now()))
		}
	}
}

// Close closes the files and the journald socket. Records logged afterwards
// (for instance by relays still draining) go to stderr.
func (m *Master) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	var first error
	for _, f := range []*fileSink{m.file, m.access} {
		if f != nil {
			if err := f.close(); err != nil && first == nil {
				first = fmt.Errorf("close log file: %w", err)
			}
		}
	}
	if m.journal != nil {
		if err := m.journal.close(); err != nil && first == nil {
			first = fmt.Errorf("close journald socket: %w", err)
		}
	}
	return first
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(p *[]byte) {
	if cap(*p) <= 256<<10 {
		*p = (*p)[:0]
		bufPool.Put(p)
	}
}

// emit writes one record; see emitBatch.
func (m *Master) emit(e *entry) {
	es := [1]*entry{e}
	m.emitBatch(es[:])
}

// emitBatch formats records outside the lock, then writes them to every sink
// under the lock, so that records are whole and in one order everywhere.
// Consecutive records for the same stream or file go out in one write(2);
// journald gets one datagram per record. A slow sink makes this slow;
// relays then stop reading their pipe and the worker blocks in write:
// back-pressure, never loss.
func (m *Master) emitBatch(es []*entry) {
	tp, jp, sp := getBuf(), getBuf(), getBuf()
	defer func() { putBuf(tp); putBuf(jp); putBuf(sp) }()
	// ends[i] is where record i ends in the text and journal buffers.
	var endsArr [relayBatch][2]int
	ends := endsArr[:0]
	text, jour := (*tp)[:0], (*jp)[:0]
	var keptArr [relayBatch]*entry
	kept := keptArr[:0]
	// With journald and no file, text is only needed if journald fails;
	// writeMain formats it then.
	needText := m.journal == nil || m.file != nil || m.access != nil
	for _, e := range es {
		if e.level < m.level {
			continue
		}
		if needText {
			text = m.format(text, e)
		}
		if m.journal != nil {
			jour = appendJournal(jour, e, (*sp)[:0])
		}
		ends = append(ends, [2]int{len(text), len(jour)})
		kept = append(kept, e)
	}
	*tp, *jp = text, jour
	if len(kept) == 0 {
		return
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.journal != nil {
		tstart, jstart := 0, 0
		for i, e := range kept {
			var t []byte
			if needText {
				t = text[tstart:ends[i][0]]
			}
			if !m.fileOnly(e) {
				m.writeMain(e, t, jour[jstart:ends[i][1]])
			}
			tstart, jstart = ends[i][0], ends[i][1]
		}
	} else {
		_, _ = m.stderr.Write(m.mainText(kept, text, ends)) // nowhere left to report a stderr failure
	}
	if m.closed || (m.file == nil && m.access == nil) {
		return
	}
	// Runs of records bound for the same file go out together.
	now := time.Now()
	start := 0
	for i := range kept {
		f := m.fileFor(kept[i])
		if i+1 < len(kept) && m.fileFor(kept[i+1]) == f {
			continue
		}
		if f != nil {
			m.notify(f, f.write(text[start:ends[i][0]], now))
		}
		start = ends[i][0]
	}
}

// fileOnly: with RESYNC_ACCESS_LOG_FILE set, access records go to that file
// alone, as an access log does; journald and stderr keep the rest.
func (m *Master) fileOnly(e *entry) bool { return e.access && m.access != nil }

// mainText is text without the file-only records (text itself when none).
func (m *Master) mainText(kept []*entry, text []byte, ends [][2]int) []byte {
	if m.access == nil {
		return text
	}
	out := make([]byte, 0, len(text))
	start := 0
	for i, e := range kept {
		if !m.fileOnly(e) {
			out = append(out, text[start:ends[i][0]]...)
		}
		start = ends[i][0]
	}
	return out
}

func (m *Master) fileFor(e *entry) *fileSink {
	if e.access && m.access != nil {
		return m.access
	}
	return m.file
}

func (m *Master) format(b []byte, e *entry) []byte {
	if m.json {
		return appendJSON(b, e)
	}
	return appendText(b, e)
}

// writeMain writes to journald when stderr is the journal stream, else to
// stderr. If journald cannot be reached, the record goes to stderr with an
// sd-daemon "<N>" priority prefix (which the journal stream understands) and
// the failure is reported once.
func (m *Master) writeMain(e *entry, text, jour []byte) {
	if m.journal != nil && !m.closed {
		err := m.journal.send(jour)
		if err == nil {
			if m.journalFailed {
				m.journalFailed = false
				m.writeStderr(&entry{time: time.Now(), level: slog.LevelInfo, msg: "journald reachable again"}, nil)
			}
			return
		}
		if !m.journalFailed {
			m.journalFailed = true
			m.writeStderr(&entry{time: time.Now(), level: slog.LevelError,
				msg: "cannot send to journald; writing to stderr", attrs: []kv{{"error", slog.StringValue(err.Error())}}}, nil)
		}
		m.writeStderr(e, text)
		return
	}
	if m.journal != nil {
		m.writeStderr(e, text)
		return
	}
	_, _ = m.stderr.Write(text) // nowhere left to report a stderr failure
}

func (m *Master) writeStderr(e *entry, text []byte) {
	if text == nil {
		text = m.format(nil, e)
	}
	if m.journal != nil {
		text = append([]byte{'<', priority(e.level), '>'}, text...)
	}
	_, _ = m.stderr.Write(text)
}

// notify emits a file sink's notice to journald/stderr and, when the file
// has just recovered, to that file too. Called with m.mu held.
func (m *Master) notify(f *fileSink, n *entry) {
	if n == nil {
		return
	}
	text := m.format(nil, n)
	var jour []byte
	if m.journal != nil {
		jour = appendJournal(nil, n, nil)
	}
	m.writeMain(n, text, jour)
	if !f.failing {
		f.write(text, n.time)
	}
}

// masterHandler is the slog.Handler behind Master.Logger.
type masterHandler struct {
	m      *Master
	attrs  []kv
	prefix string
}

func (h *masterHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.m.level }

func (h *masterHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]kv(nil), h.attrs...)
	for _, a := range as {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

func (h *masterHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

func (h *masterHandler) Handle(_ context.Context, r slog.Record) error {
	e := entry{time: r.Time, level: r.Level, msg: r.Message}
	if e.time.IsZero() {
		e.time = time.Now()
	}
	e.attrs = make([]kv, 0, len(h.attrs)+r.NumAttrs())
	e.attrs = append(e.attrs, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		e.attrs = appendAttr(e.attrs, h.prefix, a)
		return true
	})
	e.markAccess()
	h.m.emit(&e)
	return nil
}
