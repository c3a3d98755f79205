package logging

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"
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
// It never blocks the caller. When the sinks are slower than the worker, the
// relay goroutines stop reading, the pipe fills and the worker's next log
// write blocks: back-pressure on that worker, no record dropped. A worker
// killed mid-burst loses nothing that reached the pipe: the master holds the
// read end, so what is buffered there is read after the worker is gone.
func (m *Master) RelayWorker(pid, generation int, records, stderr io.Reader) <-chan struct{} {
	done := make(chan struct{})
	tags := []kv{{keyWorkerPID, slog.IntValue(pid)}, {keyGeneration, slog.IntValue(generation)}}
	var wg sync.WaitGroup
	if records != nil {
		wg.Add(1)
		go func() { defer wg.Done(); m.relayRecords(tags, records) }()
	}
	if stderr != nil {
		wg.Add(1)
		go func() { defer wg.Done(); m.relayStderr(tags, stderr) }()
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

func (m *Master) relayRecords(tags []kv, r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			if len(long) >= maxLine {
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
				m.emitWire(tags, line[:len(line)-1])
			} else { // EOF inside a record: the worker died while writing it
				m.emitRaw(tags, line, "records", true)
			}
		}
		if err != nil {
			return
		}
	}
}

// emitWire decodes one wire line; a line that does not decode is relayed
// verbatim as the message instead of being dropped.
func (m *Master) emitWire(tags []kv, line []byte) {
	e := entry{attrs: make([]kv, 0, 16)}
	if err := parseWire(string(line), &e); err != nil {
		m.emitRaw(tags, line, "records", false)
		return
	}
	if e.level < m.level {
		return
	}
	e.attrs = append(e.attrs, tags...)
	e.markAccess()
	m.emit(&e)
}

func timeFromUnixNano(t int64) time.Time {
	if t == 0 {
		return time.Now()
	}
	return time.Unix(0, t)
}

func (m *Master) emitRaw(tags []kv, b []byte, stream string, truncated bool) {
	e := entry{time: time.Now(), level: slog.LevelError, msg: string(bytes.TrimRight(b, "\n"))}
	e.attrs = append(e.attrs, kv{keyStream, slog.StringValue(stream)})
	if truncated {
		e.attrs = append(e.attrs, kv{"truncated", slog.BoolValue(true)})
	}
	e.attrs = append(e.attrs, tags...)
	m.emit(&e)
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
