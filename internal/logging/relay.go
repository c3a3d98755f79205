package logging

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Limits of the relay. A record line longer than maxLine (a runaway worker)
// is relayed in maxLine pieces marked truncated=true, not held whole.
const (
	maxLine        = 1 << 20
	stderrQuiet    = 100 * time.Millisecond
	stderrMaxLines = 1000
	stderrMaxBytes = 128 << 10
)

// RelayWorker relays one worker's output until EOF on both readers and
// returns at once; the returned channel is closed when both are drained and
// every record has been written. records is the pipe the worker's NewWorker
// logger writes; stderr is the worker's raw stderr (panics, goroutine dumps).
// Either may be nil. Every record is tagged worker_pid and generation.
//
// RelayWorker owns the readers: an *os.File is closed when relayed to EOF
// (the records pipe at once: see blockingPipe).
//
// It never blocks the caller. When the sinks are slower than the worker, the
// relay goroutines stop reading, the pipe fills and the worker's next log
// write blocks: back-pressure on that worker, no record dropped. A worker
// killed mid-burst loses nothing that reached the pipe: the master holds the
// read end, so what is buffered there is read after the worker is gone.
func (m *Master) RelayWorker(pid, generation int, records, stderr io.Reader) <-chan struct{} {
	done := make(chan struct{})
	tags := []kv{{keyWorkerPID, slog.IntValue(pid)}, {keyGeneration, slog.IntValue(generation)}}
	var wg sync.WaitGroup
	closeFile := func(r io.Reader) {
		if f, ok := r.(*os.File); ok {
			_ = f.Close() // already closed if blockingPipe took it over
		}
	}
	if records != nil {
		wg.Add(1)
		go func() { defer wg.Done(); defer closeFile(records); m.relayRecords(tags, records) }()
	}
	if stderr != nil {
		wg.Add(1)
		go func() { defer wg.Done(); defer closeFile(stderr); m.relayStderr(tags, stderr) }()
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

// relayRecords reads record lines and emits them in batches of what is
// already buffered (up to relayBatch), so that a burst costs the master one
// write per batch rather than one per record; a lone record goes out at once.
func (m *Master) relayRecords(tags []kv, r io.Reader) {
	if f, ok := r.(*os.File); ok {
		if b, err := blockingPipe(f); err == nil {
			defer b.Close()
			r = b
		}
	}
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	var long []byte
	batch := make([]*entry, 0, relayBatch)
	// Entries are reused batch after batch: emitBatch keeps no reference.
	var pool [relayBatch]entry
	for i := range pool {
		pool[i].attrs = make([]kv, 0, 16)
	}
	flush := func() {
		if len(batch) > 0 {
			m.emitBatch(batch, true)
			batch = batch[:0]
		}
	}
	for {
		if len(batch) == relayBatch || !lineBuffered(br) {
			flush()
		}
		if br.Buffered() == 0 && cr.last < 16<<10 {
			// Caught up (the last read was small): let records gather in the
			// pipe before reading again, so that a busy worker costs the
			// master one wake-up and one write per relayCoalesce instead of
			// per record. Records wait in the kernel meanwhile, safe from a
			// worker's death. After a big read the relay is behind: no pause.
			time.Sleep(relayCoalesce)
		}
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			if len(long) >= maxLine {
				flush()
				m.emitRaw(tags, long, "records", true)
				long = long[:0]
			}
			continue
		}
		if len(long) > 0 {
			line = append(long, line...)
			long = long[:0]
		}
		if len(line) > 0 {
			if line[len(line)-1] == '\n' {
				if e := m.decodeWire(tags, line[:len(line)-1], &pool[len(batch)]); e != nil {
					batch = append(batch, e)
				}
			} else { // EOF inside a record: the worker died while writing it
				flush()
				m.emitRaw(tags, line, "records", true)
			}
		}
		if err != nil {
			flush()
			return
		}
	}
}

type countingReader struct {
	r    io.Reader
	last int // bytes returned by the last Read
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.last = n
	return n, err
}

const (
	relayBatch    = 256
	relayCoalesce = 5 * time.Millisecond
	pipeSize      = 1 << 20
)

// blockingPipe moves a worker's record pipe out of Go's netpoller: it dups
// the fd, closes f (which removes it from epoll) and sets the copy blocking.
// Registered with epoll, every record a worker writes would wake the
// master's scheduler even while the relay deliberately waits; a blocking
// read costs one parked thread per worker instead. The pipe is also grown
// (F_SETPIPE_SZ; 64 KiB by default, up to fs.pipe-max-size, 1 MiB by default)
// so that the worker does not block while records gather.
func blockingPipe(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	_ = f.Close()
	if err := unix.SetNonblock(nfd, false); err != nil {
		unix.Close(nfd)
		return nil, err
	}
	_, _ = unix.FcntlInt(uintptr(nfd), unix.F_SETPIPE_SZ, pipeSize)
	return os.NewFile(uintptr(nfd), "worker records"), nil
}

// lineBuffered reports whether a whole line is already buffered, so that
// reading it will not block.
func lineBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// decodeWire decodes one wire line. A line that does not decode is still
// relayed (verbatim, as the message) rather than dropped.
func (m *Master) decodeWire(tags []kv, line []byte, e *entry) *entry {
	*e = entry{attrs: e.attrs[:0]}
	if err := parseWire(string(line), e); err != nil {
		return m.rawEntry(tags, line, "records", false)
	}
	if e.level < m.cur.Load().level {
		return nil
	}
	e.attrs = append(e.attrs, tags...)
	e.markAccess()
	return e
}

func (m *Master) emitRaw(tags []kv, b []byte, stream string, truncated bool) {
	m.emitBatch([]*entry{m.rawEntry(tags, b, stream, truncated)}, true)
}

func (m *Master) rawEntry(tags []kv, b []byte, stream string, truncated bool) *entry {
	e := &entry{time: time.Now(), level: slog.LevelError, msg: string(bytes.TrimRight(b, "\n"))}
	e.attrs = append(e.attrs, kv{keyStream, slog.StringValue(stream)})
	if truncated {
		e.attrs = append(e.attrs, kv{"truncated", slog.BoolValue(true)})
	}
	e.attrs = append(e.attrs, tags...)
	return e
}

// relayStderr groups a worker's raw stderr into records: output that arrives
// without a pause of stderrQuiet, up to stderrMaxLines lines or
// stderrMaxBytes, becomes one record (level error, stream=stderr) whose
// message keeps its newlines, cut at a line boundary. A Go panic or a
// SIGABRT goroutine dump of hundreds of lines therefore becomes one journal
// entry, or a few consecutive ones in order, instead of hundreds of entries
// interleaved with other output. A partial last line is flushed after the
// pause or at EOF, so nothing waits forever for its newline.
func (m *Master) relayStderr(tags []kv, r io.Reader) {
	chunks := make(chan []byte, 4) // with the pending buffer, bounds memory per worker
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := r.Read(buf)
			if n > 0 {
				chunks <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	var pending []byte
	lines := 0
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	flush := func(n int) {
		if n > 0 {
			m.emitRaw(tags, pending[:n], "stderr", false)
			pending = append(pending[:0], pending[n:]...)
			lines = bytes.Count(pending, []byte{'\n'})
		}
	}
	for {
		select {
		case c, ok := <-chunks:
			if !ok {
				flush(len(pending))
				return
			}
			pending = append(pending, c...)
			lines += bytes.Count(c, []byte{'\n'})
			for lines >= stderrMaxLines || len(pending) >= stderrMaxBytes {
				flush(cutPoint(pending))
			}
			quiet.Reset(stderrQuiet)
		case <-quiet.C:
			flush(len(pending))
		}
	}
}

// cutPoint is where a full group ends: after the stderrMaxLines-th newline or
// the last newline within stderrMaxBytes, or at stderrMaxBytes for a line
// longer than that.
func cutPoint(b []byte) int {
	limit := min(len(b), stderrMaxBytes)
	n, cut := 0, 0
	for i := 0; i < limit; i++ {
		if b[i] == '\n' {
			cut = i + 1
			if n++; n == stderrMaxLines {
				return cut
			}
		}
	}
	if cut == 0 {
		return limit
	}
	return cut
}
