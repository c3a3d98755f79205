package logging

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resync/resync/internal/config"
)

// Master owns every log sink of the process tree: journald or stderr, and the
// optional files. Its Logger is safe for concurrent use; records of relayed
// workers go through the same path.
type Master struct {
	stderr  *os.File
	journal *journal              // nil unless stderr is the journal stream
	jq      *journalQueue         // with journal: the only writer of its socket
	cur     atomic.Pointer[sinks] // what a reload may change

	mu     sync.Mutex // serialises sink writes: whole records, one at a time
	closed bool

	logger *slog.Logger
}

// sinks are the settings a reload may change. A batch formats with one
// snapshot; file writes use the snapshot current under the lock, so a file a
// reload closed is never written again.
type sinks struct {
	level  slog.Level
	json   bool
	file   *fileSink
	access *fileSink // nil: access records go to file
	key    [2]string // what each file was opened with, to keep it across reloads
}

func newSinks(cfg config.LogConfig) (*sinks, error) {
	lvl, err := ParseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("configure logging: %w", err)
	}
	s := &sinks{level: lvl}
	switch cfg.Format {
	case "", "text":
	case "json":
		s.json = true
	default:
		return nil, fmt.Errorf("configure logging: log format %q: want text or json", cfg.Format)
	}
	rotation := fmt.Sprint(cfg.MaxSizeMB, cfg.MaxBackups, cfg.MaxAgeDays, cfg.Compress)
	if cfg.File != "" {
		s.file = newFileSink(cfg.File, cfg.MaxSizeMB, cfg.MaxBackups, cfg.MaxAgeDays, cfg.Compress)
		s.key[0] = cfg.File + " " + rotation
	}
	if cfg.AccessFile != "" {
		s.access = newFileSink(cfg.AccessFile, cfg.MaxSizeMB, cfg.MaxBackups, cfg.MaxAgeDays, cfg.Compress)
		s.key[1] = cfg.AccessFile + " " + rotation
	}
	return s, nil
}

func (s *sinks) files() []*fileSink { return []*fileSink{s.file, s.access} }

// NewMaster builds the master's sinks from cfg. Errors are configuration
// errors only: an unwritable log file is reported through the logger and
// retried, it never fails start-up.
func NewMaster(cfg config.LogConfig, stderr *os.File) (*Master, error) {
	s, err := newSinks(cfg)
	if err != nil {
		return nil, err
	}
	m := &Master{stderr: stderr}
	if stderrIsJournal(stderr) {
		if m.journal, err = openJournal(journalSocket); err != nil {
			return nil, fmt.Errorf("configure logging: %w", err)
		}
		m.jq = newJournalQueue(m.journal, stderr)
	}
	m.cur.Store(s)
	m.logger = slog.New(&masterHandler{m: m})
	// Open the files now, so that a bad path is reported at start-up.
	m.mu.Lock()
	m.open(s.files())
	m.mu.Unlock()
	return m, nil
}

func (m *Master) open(files []*fileSink) {
	now := time.Now()
	for _, f := range files {
		if f != nil {
			m.notify(f, f.write(nil, now))
		}
	}
}

// Reconfigure applies a reloaded configuration: level, format, files and
// their rotation. A file whose path and rotation did not change stays open.
func (m *Master) Reconfigure(cfg config.LogConfig) error {
	next, err := newSinks(cfg)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	old := m.cur.Load()
	var opened, closing []*fileSink
	for i, pair := range [][2]**fileSink{{&old.file, &next.file}, {&old.access, &next.access}} {
		was, now := pair[0], pair[1]
		switch {
		case *was != nil && old.key[i] == next.key[i]:
			*now = *was
		default:
			closing = append(closing, *was)
			opened = append(opened, *now)
		}
	}
	m.cur.Store(next)
	for _, f := range closing {
		if f != nil {
			_ = f.close()
		}
	}
	m.open(opened)
	return nil
}

// Logger is the master's own logger.
func (m *Master) Logger() *slog.Logger { return m.logger }

// Reopen rotates the log files (USR1): lumberjack renames the current file
// with a timestamp and opens a new one. A file that is failing is left to its
// retry. A file whose backup name is taken this millisecond is rotated in
// the next; the wait happens outside the sinks' mutex.
func (m *Master) Reopen() {
	pending := m.cur.Load().files()
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return
		}
		var busy []*fileSink
		cur := m.cur.Load()
		for _, f := range pending {
			if f == nil || (f != cur.file && f != cur.access) {
				continue // a reload closed it meanwhile
			}
			n, again := f.rotate(time.Now())
			m.notify(f, n)
			if again {
				busy = append(busy, f)
			}
		}
		m.mu.Unlock()
		if len(busy) == 0 {
			return
		}
		pending = busy
		time.Sleep(time.Millisecond)
	}
}

// Close closes the files and, once the records queued for it are sent (for
// at most a few seconds), the journald socket. Records logged afterwards (for
// instance by relays still draining) go to stderr.
func (m *Master) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	if m.jq != nil {
		m.jq.close()
	}
	var first error
	for _, f := range m.cur.Load().files() {
		if f != nil {
			if err := f.close(); err != nil && first == nil {
				first = fmt.Errorf("close log file: %w", err)
			}
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

// batch is a group of records formatted for every sink; ends[i] is where
// record i ends in text and jour.
type batch struct {
	text, jour []byte
	ends       [][2]int
	kept       []*entry
	needText   bool
}

// formatBatch formats the records at or above s's level. With journald and
// no file, no text is needed.
func (m *Master) formatBatch(s *sinks, es []*entry, b *batch, scratch []byte) {
	b.needText = m.journal == nil || s.file != nil || s.access != nil
	for _, e := range es {
		if e.level < s.level {
			continue
		}
		if b.needText {
			b.text = s.format(b.text, e)
		}
		if m.journal != nil {
			b.jour = appendJournal(b.jour, e, scratch[:0])
		}
		b.ends = append(b.ends, [2]int{len(b.text), len(b.jour)})
		b.kept = append(b.kept, e)
	}
}

// emit writes one record; see emitBatch. It never waits for journald.
func (m *Master) emit(e *entry) {
	es := [1]*entry{e}
	m.emitBatch(es[:], false)
}

// emitBatch formats records outside the lock, then writes them to every sink
// under the lock, so that records are whole and in one order everywhere.
// Consecutive records for the same stream or file go out in one write(2);
// journald gets one datagram per record, through its queue. A slow file makes
// this slow; relays then stop reading their pipe and the worker blocks in
// write: back-pressure, never loss. Journald is never waited on under the
// lock: a relay (wait) first waits, for a bounded time, for room in its queue.
func (m *Master) emitBatch(es []*entry, wait bool) {
	tp, jp, sp := getBuf(), getBuf(), getBuf()
	defer func() { putBuf(tp); putBuf(jp); putBuf(sp) }()
	var endsArr [relayBatch][2]int
	var keptArr [relayBatch]*entry
	snap := m.cur.Load()
	b := batch{text: (*tp)[:0], jour: (*jp)[:0], ends: endsArr[:0], kept: keptArr[:0]}
	m.formatBatch(snap, es, &b, *sp)
	defer func() { *tp, *jp = b.text, b.jour }()
	if len(b.kept) == 0 {
		return
	}

	if wait && m.jq != nil {
		m.jq.waitRoom(len(b.kept), len(b.jour))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if now := m.cur.Load(); now != snap {
		// A reload swapped the sinks while this batch was formatted (rare):
		// format again, so that nothing goes to a file it closed.
		snap = now
		b = batch{text: b.text[:0], jour: b.jour[:0], ends: b.ends[:0], kept: b.kept[:0]}
		m.formatBatch(snap, es, &b, *sp)
	}
	s, text, jour, ends, kept, needText := snap, b.text, b.jour, b.ends, b.kept, b.needText
	if m.journal != nil {
		it := newJitem()
		tstart, jstart := 0, 0
		for i, e := range kept {
			switch {
			case s.fileOnly(e):
			case m.closed:
				var t []byte
				if needText {
					t = text[tstart:ends[i][0]]
				}
				m.writeStderr(e, t)
			default:
				it.add(jour[jstart:ends[i][1]])
			}
			tstart, jstart = ends[i][0], ends[i][1]
		}
		m.jq.put(it)
	} else {
		_, _ = m.stderr.Write(s.mainText(kept, text, ends)) // nowhere left to report a stderr failure
	}
	if m.closed || (s.file == nil && s.access == nil) {
		return
	}
	// Runs of records bound for the same file go out together.
	now := time.Now()
	start := 0
	for i := range kept {
		f := s.fileFor(kept[i])
		if i+1 < len(kept) && s.fileFor(kept[i+1]) == f {
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
func (s *sinks) fileOnly(e *entry) bool { return e.access && s.access != nil }

// mainText is text without the file-only records (text itself when none).
func (s *sinks) mainText(kept []*entry, text []byte, ends [][2]int) []byte {
	if s.access == nil {
		return text
	}
	out := make([]byte, 0, len(text))
	start := 0
	for i, e := range kept {
		if !s.fileOnly(e) {
			out = append(out, text[start:ends[i][0]]...)
		}
		start = ends[i][0]
	}
	return out
}

func (s *sinks) fileFor(e *entry) *fileSink {
	if e.access && s.access != nil {
		return s.access
	}
	return s.file
}

func (s *sinks) format(b []byte, e *entry) []byte {
	if s.json {
		return appendJSON(b, e)
	}
	return appendText(b, e)
}

// writeMain writes one record the master made itself to journald when
// stderr is the journal stream, else to stderr. Called with m.mu held.
func (m *Master) writeMain(e *entry, text, jour []byte) {
	if m.journal == nil {
		_, _ = m.stderr.Write(text) // nowhere left to report a stderr failure
		return
	}
	if m.closed {
		m.writeStderr(e, text)
		return
	}
	it := newJitem()
	it.add(jour)
	m.jq.put(it)
}

// format renders a record the master writes on its own (notices, fallbacks).
func (m *Master) format(b []byte, e *entry) []byte { return m.cur.Load().format(b, e) }

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
	m *Master
	scope
}

func (h *masterHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.m.cur.Load().level
}

func (h *masterHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &masterHandler{m: h.m, scope: h.with(as)}
}

func (h *masterHandler) WithGroup(name string) slog.Handler {
	return &masterHandler{m: h.m, scope: h.group(name)}
}

func (h *masterHandler) Handle(_ context.Context, r slog.Record) error {
	e := entry{time: r.Time, level: r.Level, msg: r.Message}
	if e.time.IsZero() {
		e.time = time.Now()
	}
	e.attrs = h.flatten(make([]kv, 0, len(h.attrs)+r.NumAttrs()), r)
	e.markAccess()
	h.m.emit(&e)
	return nil
}
