package logging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Bounds on journald writes. journald that stops reading (stalled, or busy
// rotating on a full disk) must not stop the master: under systemd its loop
// has WatchdogSec to say WATCHDOG=1, and every log call of the master shares
// the sinks' mutex. So nothing under that mutex waits on journald: records
// are handed to one sender goroutine through a queue of bounded size.
const (
	// journalQueueRecords and journalQueueBytes bound the queue: a second or
	// more of a busy master's records, a few MiB of memory at most.
	journalQueueRecords = 8192
	journalQueueBytes   = 4 << 20
	// journalRoomWait is how long a relay waits for room in a full queue
	// before its records are dropped: a slow journald slows the workers down
	// (back-pressure, as a file does), a stalled one costs records, never the
	// master. After one drop nothing waits until the queue has emptied.
	journalRoomWait = time.Second
	// journalSendTimeout is SO_SNDTIMEO on the socket: a send blocked on a
	// full journald returns this often, so the sender sees Close.
	journalSendTimeout = time.Second
	// journalFlushTimeout is how long Close lets the sender drain the queue.
	journalFlushTimeout = 2 * time.Second
)

// jitem is one hand-over to the sender: datagram i is buf[ends[i-1]:ends[i]].
type jitem struct {
	buf  []byte
	ends []int
}

var jitemPool = sync.Pool{New: func() any { return &jitem{buf: make([]byte, 0, 1024)} }}

func newJitem() *jitem { return jitemPool.Get().(*jitem) }

func (it *jitem) add(datagram []byte) {
	it.buf = append(it.buf, datagram...)
	it.ends = append(it.ends, len(it.buf))
}

func (it *jitem) free() {
	if cap(it.buf) <= 256<<10 {
		it.buf, it.ends = it.buf[:0], it.ends[:0]
		jitemPool.Put(it)
	}
}

// journalQueue owns the journald socket once NewMaster opened it: put never
// blocks; one goroutine sends. A record that does not fit is dropped and
// counted, and once the queue has emptied again one warning says how many
// were dropped. If journald refuses records (not running), they go to stderr
// with an sd-daemon "<N>" priority prefix, which the journal stream
// understands, after one error saying so.
type journalQueue struct {
	j      *journal
	stderr *os.File

	mu       sync.Mutex
	items    []*jitem
	records  int
	bytes    int
	stalled  bool  // a record was dropped since the queue was last empty
	dropped  int64 // records dropped since the queue was last empty
	closing  bool
	deadline time.Time     // with closing: when the sender gives up
	room     chan struct{} // closed (and replaced) each time the sender takes an item
	wake     chan struct{} // cap 1: an item or closing
	done     chan struct{} // the sender has exited and closed the socket

	failed bool // sender only: journald refused the last record
}

func newJournalQueue(j *journal, stderr *os.File) *journalQueue {
	q := &journalQueue{j: j, stderr: stderr, room: make(chan struct{}),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go q.run()
	return q
}

func (q *journalQueue) fits(records, bytes int) bool {
	return q.records == 0 ||
		(q.records+records <= journalQueueRecords && q.bytes+bytes <= journalQueueBytes)
}

// waitRoom waits, at most journalRoomWait, until records datagrams of bytes
// would fit. Only relays call it, before they take the sinks' mutex: the
// master's own log calls never wait.
func (q *journalQueue) waitRoom(records, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var timeout <-chan time.Time
	for !q.fits(records, bytes) && !q.stalled && !q.closing {
		if timeout == nil {
			t := time.NewTimer(journalRoomWait)
			defer t.Stop()
			timeout = t.C
		}
		room := q.room
		q.mu.Unlock()
		select {
		case <-room:
			q.mu.Lock()
		case <-timeout:
			q.mu.Lock()
			return
		}
	}
}

// put queues it for the sender, or drops it when it does not fit. It never
// blocks on journald.
func (q *journalQueue) put(it *jitem) {
	if len(it.ends) == 0 {
		it.free()
		return
	}
	q.mu.Lock()
	if q.closing || !q.fits(len(it.ends), len(it.buf)) {
		q.stalled = true
		q.dropped += int64(len(it.ends))
		q.mu.Unlock()
		it.free()
		return
	}
	q.items = append(q.items, it)
	q.records += len(it.ends)
	q.bytes += len(it.buf)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close lets the sender drain the queue for at most journalFlushTimeout
// (plus one send timeout), then waits until it has closed the socket.
func (q *journalQueue) close() {
	q.mu.Lock()
	if !q.closing {
		q.closing = true
		q.deadline = time.Now().Add(journalFlushTimeout)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	<-q.done
}

// run is the sender: one datagram at a time, in queue order.
func (q *journalQueue) run() {
	defer close(q.done)
	defer q.j.close()
	for {
		q.mu.Lock()
		for len(q.items) == 0 && !q.closing {
			q.mu.Unlock()
			<-q.wake
			q.mu.Lock()
		}
		if len(q.items) == 0 {
			q.mu.Unlock()
			return
		}
		it := q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		q.records -= len(it.ends)
		q.bytes -= len(it.buf)
		close(q.room)
		q.room = make(chan struct{})
		var dropped int64
		if len(q.items) == 0 && q.stalled {
			dropped, q.dropped, q.stalled = q.dropped, 0, false
		}
		q.mu.Unlock()

		start := 0
		for _, end := range it.ends {
			q.send(it.buf[start:end])
			start = end
		}
		it.free()
		if dropped > 0 {
			n := &entry{time: time.Now(), level: slog.LevelWarn,
				msg: fmt.Sprintf("journald did not read for a while: %d records dropped", dropped)}
			q.send(appendJournal(nil, n, nil))
		}
	}
}

// send sends one datagram, waiting while journald is full unless Close's
// deadline has passed.
func (q *journalQueue) send(datagram []byte) {
	for {
		err := q.j.send(datagram)
		// EAGAIN: SO_SNDTIMEO passed; EINTR: a signal (Go's preemption)
		// interrupted the wait, which SO_SNDTIMEO makes non-restartable.
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			q.mu.Lock()
			giveUp := q.closing && time.Now().After(q.deadline)
			q.mu.Unlock()
			if giveUp {
				return
			}
			continue
		}
		q.fallback(datagram, err)
		return
	}
}

// fallback reports a change in journald's reachability and, when journald
// refused the datagram, writes its message to stderr.
func (q *journalQueue) fallback(datagram []byte, err error) {
	if err == nil {
		if q.failed {
			q.failed = false
			_, _ = q.stderr.WriteString("<6>journald reachable again\n")
		}
		return
	}
	if !q.failed {
		q.failed = true
		_, _ = fmt.Fprintf(q.stderr, "<3>cannot send to journald; writing to stderr error=%q\n", err.Error())
	}
	_, _ = q.stderr.Write(stderrLine(datagram))
}

// stderrLine is a datagram's MESSAGE and PRIORITY as one line for the journal
// stream: "<priority>message\n". appendJournal writes MESSAGE first, then
// PRIORITY, and MESSAGE carries the attributes too.
func stderrLine(d []byte) []byte {
	var msg []byte
	switch {
	case len(d) > len("MESSAGE=") && string(d[:len("MESSAGE=")]) == "MESSAGE=":
		d = d[len("MESSAGE="):]
		i := 0
		for i < len(d) && d[i] != '\n' {
			i++
		}
		msg, d = d[:i], d[min(i+1, len(d)):]
	case len(d) >= len("MESSAGE\n")+8 && string(d[:len("MESSAGE\n")]) == "MESSAGE\n":
		d = d[len("MESSAGE\n"):]
		n := binary.LittleEndian.Uint64(d)
		d = d[8:]
		if n > uint64(len(d)) {
			n = uint64(len(d))
		}
		msg, d = d[:n], d[n:]
		if len(d) > 0 {
			d = d[1:]
		}
	}
	prio := byte('6')
	if len(d) > len("PRIORITY=") && string(d[:len("PRIORITY=")]) == "PRIORITY=" {
		prio = d[len("PRIORITY=")]
	}
	line := make([]byte, 0, len(msg)+4)
	line = append(line, '<', prio, '>')
	line = append(line, msg...)
	return append(line, '\n')
}
