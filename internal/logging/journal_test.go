package logging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/journaldtest"
)

// fakeJournald listens where the master sends native-protocol datagrams and
// parses them as journald does: plain "NAME=value" lines, the binary-safe
// "NAME\n<le64 length><data>\n" form, and an empty datagram carrying one
// sealed memfd. Anything journald would reject fails the test.
type fakeJournald struct {
	*journaldtest.Server
	t       *testing.T
	mu      sync.Mutex
	entries []jentry
	errs    []error
	parsed  int // datagrams parsed into entries or errs
}

// update parses the datagrams received since the last call. Called with j.mu held.
func (j *fakeJournald) update() {
	for _, d := range j.Since(j.parsed) {
		j.parsed++
		e, err := parseDatagram(d.Data, d.OOB)
		if err != nil {
			j.errs = append(j.errs, err)
		} else {
			j.entries = append(j.entries, e)
		}
	}
}

type jentry struct {
	fields map[string][]string
	memfd  bool
}

func (e jentry) get(name string) string {
	if v := e.fields[name]; len(v) == 1 {
		return v[0]
	}
	return fmt.Sprintf("<%d values of %s>", len(e.fields[name]), name)
}

func startFakeJournald(t *testing.T) *fakeJournald {
	path := filepath.Join(t.TempDir(), "journal.sock")
	old := journalSocket
	journalSocket = path
	t.Cleanup(func() { journalSocket = old })
	return listenFakeJournald(t, path)
}

// listenFakeJournald is a fake journald on path.
func listenFakeJournald(t *testing.T, path string) *fakeJournald {
	return &fakeJournald{Server: journaldtest.Listen(t, path), t: t}
}

// messages returns the MESSAGE of every entry received so far.
func (j *fakeJournald) messages() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.update()
	out := make([]string, len(j.entries))
	for i, e := range j.entries {
		out[i] = e.get("MESSAGE")
	}
	return out
}

// sync returns every entry sent before it: datagrams on a unix socket keep
// their order, so once a marker arrives, all before it have too.
func (j *fakeJournald) sync(m *Master) []jentry {
	j.t.Helper()
	m.Logger().Info("sync-marker")
	var out []jentry
	waitFor(j.t, "the sync marker", 10*time.Second, func() bool {
		j.mu.Lock()
		defer j.mu.Unlock()
		j.update()
		if len(j.errs) > 0 {
			j.t.Fatalf("journald would reject a datagram: %v", j.errs[0])
		}
		n := len(j.entries)
		if n == 0 || j.entries[n-1].get("MESSAGE") != "sync-marker" {
			return false
		}
		out = append([]jentry(nil), j.entries[:n-1]...)
		return true
	})
	return out
}

func parseDatagram(p, oob []byte) (jentry, error) {
	e := jentry{fields: map[string][]string{}}
	if len(oob) > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob)
		if err != nil {
			return e, err
		}
		if len(msgs) != 1 {
			return e, fmt.Errorf("want one control message, got %d", len(msgs))
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil {
			return e, err
		}
		for _, fd := range fds[1:] {
			unix.Close(fd)
		}
		f := os.NewFile(uintptr(fds[0]), "memfd")
		defer f.Close()
		if len(fds) != 1 || len(p) != 0 {
			return e, fmt.Errorf("fd datagram must carry one fd and no payload: %d fds, %d bytes", len(fds), len(p))
		}
		seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
		want := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
		if err != nil || seals&want != want {
			return e, fmt.Errorf("memfd not sealed: seals %#x, err %v", seals, err)
		}
		fi, err := f.Stat()
		if err != nil {
			return e, err
		}
		p = make([]byte, fi.Size())
		if _, err := f.ReadAt(p, 0); err != nil {
			return e, fmt.Errorf("read memfd: %w", err)
		}
		e.memfd = true
	}
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			return e, errors.New("field without trailing newline")
		}
		line := p[:nl]
		if eq := bytes.IndexByte(line, '='); eq >= 0 {
			name := string(line[:eq])
			if err := validField(name); err != nil {
				return e, err
			}
			e.fields[name] = append(e.fields[name], string(line[eq+1:]))
			p = p[nl+1:]
			continue
		}
		name := string(line)
		if err := validField(name); err != nil {
			return e, err
		}
		p = p[nl+1:]
		if len(p) < 8 {
			return e, fmt.Errorf("field %s: short length", name)
		}
		l := binary.LittleEndian.Uint64(p)
		p = p[8:]
		if uint64(len(p)) < l+1 || p[l] != '\n' {
			return e, fmt.Errorf("field %s: length %d does not fit or lacks newline", name, l)
		}
		e.fields[name] = append(e.fields[name], string(p[:l]))
		p = p[l+1:]
	}
	if len(e.fields["MESSAGE"]) != 1 || len(e.fields["PRIORITY"]) != 1 {
		return e, fmt.Errorf("entry needs exactly one MESSAGE and PRIORITY: %v", e.fields)
	}
	return e, nil
}

// validField is journald's rule for fields a client may set.
func validField(name string) error {
	if name == "" || len(name) > 64 || name[0] == '_' || (name[0] >= '0' && name[0] <= '9') {
		return fmt.Errorf("invalid field name %q", name)
	}
	for _, c := range []byte(name) {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("invalid field name %q", name)
		}
	}
	return nil
}

// journalMaster makes a master whose stderr is the journal stream.
func journalMaster(t *testing.T, cfg config.LogConfig) (*Master, *fakeJournald, *os.File) {
	t.Helper()
	j := startFakeJournald(t)
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(stderr.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
	m, err := NewMaster(cfg, stderr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if m.journal == nil {
		t.Fatal("JOURNAL_STREAM matches stderr but the master did not choose journald")
	}
	return m, j, stderr
}

func TestJournalPrioritiesAndFields(t *testing.T) {
	m, j, stderr := journalMaster(t, config.LogConfig{Level: "info"})
	// This machine's wmem_max lets an 8 MiB datagram through; cap the buffer
	// as Debian's default wmem_max (208 KiB) does, so 1 MiB takes the memfd.
	if err := unix.SetsockoptInt(m.journal.fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 212992); err != nil {
		t.Fatal(err)
	}
	log := m.Logger()
	multi := "first line\nsecond line\n\nfourth = line with = signs"
	huge := strings.Repeat("0123456789abcdef", 1<<16) + "\nend" // 1 MiB: beyond a datagram

	log.Debug("filtered out at level info")
	log.Info("hello", "worker_pid", 42, "generation", 7, "correlation_id", "c-1")
	log.Warn("careful", "req.path", "/x")
	log.WithGroup("req").Error("failed", "method", "GET", "error", errors.New("disk on fire"))
	log.Log(t.Context(), LevelCritical, "WORKER TIMEOUT (pid:1234)")
	log.Info(multi, "detail", "a\nb", "message", "not a second MESSAGE", "_PID", "spoof")
	log.Info(huge)

	es := j.sync(m)
	// MESSAGE carries the attributes as the text format shows them.
	want := []struct{ msg, prio string }{
		{"hello worker_pid=42 generation=7 correlation_id=c-1", "6"}, {"careful req.path=/x", "4"},
		{`failed req.method=GET req.error="disk on fire"`, "3"},
		{"WORKER TIMEOUT (pid:1234)", "2"}, {multi + ` detail="a\nb" message="not a second MESSAGE" _PID=spoof`, "6"}, {huge, "6"},
	}
	if len(es) != len(want) {
		t.Fatalf("got %d entries, want %d", len(es), len(want))
	}
	for i, w := range want {
		if got := es[i].get("MESSAGE"); got != w.msg {
			t.Errorf("entry %d: MESSAGE %.60q, want %.60q", i, got, w.msg)
		}
		if got := es[i].get("PRIORITY"); got != w.prio {
			t.Errorf("entry %d (%.20s): PRIORITY %s, want %s", i, w.msg, got, w.prio)
		}
		if got := es[i].get("SYSLOG_IDENTIFIER"); got != "resync" {
			t.Errorf("entry %d: SYSLOG_IDENTIFIER %q", i, got)
		}
	}
	for name, v := range map[string]string{"WORKER_PID": "42", "GENERATION": "7", "CORRELATION_ID": "c-1"} {
		if got := es[0].get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if got := es[1].get("REQ_PATH"); got != "/x" {
		t.Errorf("REQ_PATH = %q", got)
	}
	if es[2].get("REQ_METHOD") != "GET" || es[2].get("REQ_ERROR") != "disk on fire" {
		t.Errorf("group fields: %v", es[2].fields)
	}
	if got := es[4].get("DETAIL"); got != "a\nb" {
		t.Errorf("multi-line DETAIL = %q", got)
	}
	if got := es[4].get("F_MESSAGE"); got != "not a second MESSAGE" {
		t.Errorf("colliding attribute: F_MESSAGE = %q", got)
	}
	if got := es[4].get("PID"); got != "spoof" {
		t.Errorf("attribute _PID must lose its underscore (trusted fields are journald's): PID = %q", got)
	}
	if es[4].memfd || !es[5].memfd {
		t.Errorf("memfd used for small=%v huge=%v; want only the huge entry", es[4].memfd, es[5].memfd)
	}
	if fi, _ := stderr.Stat(); fi.Size() != 0 {
		t.Errorf("stderr got %d bytes; records belong to journald", fi.Size())
	}
}

// A worker's records, including an access record from the middleware,
// reach journald with the worker's pid and generation and the access fields.
func TestJournalRelaysWorkerAccessRecord(t *testing.T) {
	m, j, _ := journalMaster(t, config.LogConfig{Level: "info"})
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := m.RelayWorker(4242, 3, pr, nil)
	wlog := NewWorker(pw, slog.LevelInfo)
	mw := accessMW(wlog.AccessLog(config.LogConfig{Access: true}, clientip.New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})))
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-ID", "cid-1")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte("hello"))
	}))
	req := httptest.NewRequest("GET", "/api/v1/plan/job?status=ABEND", nil)
	req.RemoteAddr = "10.1.2.3:5555"
	req.Header.Set("X-Forwarded-For", "198.51.100.9, 203.0.113.7, 10.0.0.2")
	req.Header.Set("User-Agent", `curl/8 "quoted"`)
	h.ServeHTTP(httptest.NewRecorder(), req)
	wlog.Logger.Error("upstream failed", "correlation_id", "cid-2")
	pw.Close()
	waitDone(t, "relay", done)

	es := j.sync(m)
	if len(es) != 2 {
		t.Fatalf("got %d entries, want 2", len(es))
	}
	a := es[0]
	for name, v := range map[string]string{
		"METHOD": "GET", "PATH": "/api/v1/plan/job", "QUERY": "status=ABEND", "STATUS": "201",
		"BYTES": "5", "CLIENT": "203.0.113.7", "CORRELATION_ID": "cid-1", "WORKER_PID": "4242",
		"GENERATION": "3", "PRIORITY": "6", "KIND": "access", "USER_AGENT": `curl/8 "quoted"`,
	} {
		if got := a.get(name); got != v {
			t.Errorf("access %s = %q, want %q", name, got, v)
		}
	}
	if _, err := strconv.ParseInt(a.get("DURATION_US"), 10, 64); err != nil {
		t.Errorf("DURATION_US = %q: %v", a.get("DURATION_US"), err)
	}
	msg := a.get("MESSAGE")
	if !strings.HasPrefix(msg, "203.0.113.7 - - [") ||
		!strings.Contains(msg, `] "GET /api/v1/plan/job?status=ABEND HTTP/1.1" 201 5 "-" "curl/8 \"quoted\"" duration_us=`) ||
		!strings.Contains(msg, "correlation_id=cid-1") {
		t.Errorf("access MESSAGE not in combined format: %s", msg)
	}
	if es[1].get("PRIORITY") != "3" || es[1].get("WORKER_PID") != "4242" || es[1].get("CORRELATION_ID") != "cid-2" {
		t.Errorf("worker error entry: %v", es[1].fields)
	}
}

// A real worker panics: its record and its whole traceback arrive, the
// traceback as one multi-line entry at PRIORITY=3 attributed to the worker.
func TestJournalWorkerPanic(t *testing.T) {
	m, j, _ := journalMaster(t, config.LogConfig{Level: "info"})
	c := spawn(t, "panic", nil)
	done := m.RelayWorker(c.cmd.Process.Pid, 1, c.records, c.stderr)
	waitDone(t, "relay", done)
	_ = c.cmd.Wait()

	pid := strconv.Itoa(c.cmd.Process.Pid)
	var record, trace []jentry
	for _, e := range j.sync(m) {
		if e.get("WORKER_PID") != pid {
			t.Errorf("entry without the worker's pid: %v", e.fields)
		}
		if e.get("STREAM") == "stderr" {
			trace = append(trace, e)
		} else {
			record = append(record, e)
		}
	}
	if len(record) != 1 || !strings.HasPrefix(record[0].get("MESSAGE"), "about to panic worker_pid=") {
		t.Errorf("worker records: %v", record)
	}
	// One entry, unless the dying worker paused for stderrQuiet mid-traceback
	// (a loaded CI machine): then a few, in order.
	if len(trace) == 0 || len(trace) > 3 {
		t.Fatalf("traceback became %d entries, want 1", len(trace))
	}
	var parts []string
	for _, e := range trace {
		parts = append(parts, e.get("MESSAGE"))
		if e.get("PRIORITY") != "3" {
			t.Errorf("traceback PRIORITY %s, want 3", e.get("PRIORITY"))
		}
	}
	msg := strings.Join(parts, "\n")
	if !strings.HasPrefix(msg, "panic: boom") ||
		!strings.Contains(msg, "\ngoroutine 1 [running]:\n") || strings.Count(msg, "\ngoroutine ") < 4 {
		t.Errorf("traceback:\n%s", msg)
	}
}

// 2500 stderr lines written one by one become a few entries of at most
// stderrMaxLines lines that, joined, are exactly the output in order.
func TestJournalStderrGrouping(t *testing.T) {
	m, j, _ := journalMaster(t, config.LogConfig{Level: "info"})
	c := spawn(t, "dump", nil)
	done := m.RelayWorker(c.cmd.Process.Pid, 1, c.records, c.stderr)
	waitDone(t, "relay", done)

	es := j.sync(m)
	var all []string
	for _, e := range es {
		lines := strings.Split(e.get("MESSAGE"), "\n")
		if len(lines) > stderrMaxLines {
			t.Errorf("entry of %d lines", len(lines))
		}
		all = append(all, lines...)
	}
	if len(es) < 3 || len(es) > 10 {
		t.Errorf("2500 lines became %d entries; want a few (3 at %d lines each)", len(es), stderrMaxLines)
	}
	if len(all) != 2500 {
		t.Fatalf("got %d lines, want 2500", len(all))
	}
	for i, l := range all {
		if l != fmt.Sprintf("dump line %d", i) {
			t.Fatalf("line %d is %q: lost or out of order", i, l)
		}
	}
}

// A journald that stops reading costs records, never the master: log calls
// return although nothing is read, the queue drops what does not fit, and
// once journald reads again one warning says how many records were lost.
func TestJournaldStalledDropsAndCounts(t *testing.T) {
	m, j, _ := journalMaster(t, config.LogConfig{Level: "info"})
	j.Pause()
	const total = 3 * journalQueueRecords
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		for i := range total {
			m.Logger().Info("stalled", "seq", i)
		}
	}()
	// Liveness, not speed: with blocking sends this never finishes.
	waitDone(t, "log calls while journald does not read", logged)
	j.Resume()
	var dropped int
	waitFor(t, "the dropped-records warning", 30*time.Second, func() bool {
		for _, msg := range j.messages() {
			if n, err := fmt.Sscanf(msg, "journald did not read for a while: %d records dropped", &dropped); n == 1 && err == nil {
				return true
			}
		}
		return false
	})
	sent := j.sync(m)
	var got, warnings int
	for _, e := range sent {
		switch msg := e.get("MESSAGE"); {
		case strings.HasPrefix(msg, "stalled "):
			got++
		case strings.HasPrefix(msg, "journald did not read"):
			warnings++
		}
	}
	if warnings != 1 || dropped == 0 || got+dropped != total {
		t.Errorf("%d records delivered + %d dropped, want %d; %d warnings, want 1", got, dropped, total, warnings)
	}
}
