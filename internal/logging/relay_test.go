package logging

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
)

func textMaster(t *testing.T) (*Master, *os.File) {
	t.Helper()
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	must(t, err)
	t.Setenv("JOURNAL_STREAM", "")
	m, err := NewMaster(config.LogConfig{Level: "info"}, stderr)
	must(t, err)
	t.Cleanup(func() { m.Close() })
	return m, stderr
}

// Nothing a worker puts on its record pipe is dropped: a line that is not a
// record is relayed verbatim, a record cut by the worker's death is relayed
// marked truncated, and a line longer than maxLine goes out in pieces.
func TestRelayKeepsMalformedInput(t *testing.T) {
	m, stderr := textMaster(t)
	huge := strings.Repeat("x", maxLine+10)
	in := "not a record\n" + huge + "\n" + `{"time":"1970-01-01T00:00:00Z","level":"INFO","msg":"ok"}` + "\n" + `{"level":"INFO","msg":"cut`
	waitDone(t, "relay", m.RelayWorker(9, 2, strings.NewReader(in), nil))
	out := readFile(t, stderr.Name())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%.300s", len(lines), out)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\S+ ERROR not a record stream=records worker_pid=9 generation=2$`),
		regexp.MustCompile(`^\S+ ERROR x+ stream=records truncated=true worker_pid=9 generation=2$`),
		regexp.MustCompile(`^\S+ ERROR x{10} stream=records worker_pid=9 generation=2$`),
		regexp.MustCompile(`^1970-01-01T\S+ INFO ok worker_pid=9 generation=2$`),
		regexp.MustCompile(`^\S+ ERROR \{"level":"INFO","msg":"cut stream=records truncated=true worker_pid=9 generation=2$`),
	}
	if n := strings.Count(lines[1], "x"); n != maxLine {
		t.Errorf("first piece of the long line has %d bytes, want %d", n, maxLine)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d: %.200q", i, lines[i])
		}
	}
}

// A stderr line without a newline from a worker that is still alive is not
// held back: it goes out after the quiet interval.
func TestStderrPartialLineFlushedAfterPause(t *testing.T) {
	m, stderr := textMaster(t)
	pr, pw, err := os.Pipe()
	must(t, err)
	done := m.RelayWorker(5, 1, nil, pr)
	_, err = pw.WriteString("fatal error: no newline")
	must(t, err)
	waitFor(t, "the partial line", 5*time.Second, func() bool {
		return strings.Contains(readFile(t, stderr.Name()), "ERROR fatal error: no newline stream=stderr worker_pid=5")
	})
	pw.Close()
	waitDone(t, "relay", done)
}

// An access record through a worker's pipe and the relay: the client as
// clientip resolves it, the escaped path, the status, the correlation id.
func TestAccessRecordThroughWorkerPipe(t *testing.T) {
	m, stderr := textMaster(t)
	pr, pw, err := os.Pipe()
	must(t, err)
	done := m.RelayWorker(3, 4, pr, nil)
	log := NewWorker(pw, slog.LevelInfo)
	mw := accessMW(log.AccessLog(config.LogConfig{Access: true}, clientip.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})))
	r := httptest.NewRequest("PUT", "/a%20b?q=1", nil)
	r.RemoteAddr = "127.0.0.1:9"
	r.Header.Set("X-Forwarded-For", "198.51.100.4")
	r.Header.Set("X-Correlation-ID", "cid")
	mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})).ServeHTTP(httptest.NewRecorder(), r)
	log.Flush() // access records are written in batches
	pw.Close()
	waitDone(t, "relay", done)
	norm := regexp.MustCompile(`\[[^]]*\]|duration_us=\d+`)
	lines := strings.Split(strings.TrimSpace(norm.ReplaceAllString(readFile(t, stderr.Name()), "X")), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], `198.51.100.4 - - X "PUT /a b?q=1 HTTP/1.1" 418 0 "-" "-" X correlation_id=cid worker_pid=3 generation=4`) {
		t.Errorf("%q", lines)
	}
}
