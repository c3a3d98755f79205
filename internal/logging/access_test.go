package logging

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/syncbuf"
)

func TestAccessLogOff(t *testing.T) {
	var buf bytes.Buffer
	mw := accessMW(NewWorker(&buf, slog.LevelInfo).AccessLog(config.LogConfig{Access: false}, nil))
	mw(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if buf.Len() != 0 {
		t.Errorf("access log off still logged %q", buf.String())
	}
}

var combined = regexp.MustCompile(`^192\.0\.2\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "POST /x\\"y HTTP/1\.1" 404 19 "https://ref/" "ua\\nforged" duration_us=\d+ correlation_id=req-9 worker_pid=7 generation=1\n$`)

// In text, one access record relayed from a worker is one gunicorn combined
// line; a client cannot break the line or the quoting with its headers.
func TestAccessCombinedText(t *testing.T) {
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	must(t, err)
	t.Setenv("JOURNAL_STREAM", "")
	m, err := NewMaster(config.LogConfig{Level: "info"}, stderr)
	must(t, err)
	defer m.Close()
	pr, pw, err := os.Pipe()
	must(t, err)
	done := m.RelayWorker(7, 1, pr, nil)
	wlog := NewWorker(pw, slog.LevelInfo)
	mw := accessMW(wlog.AccessLog(config.LogConfig{Access: true}, nil))
	r := httptest.NewRequest("POST", `/x"y`, nil)
	r.Header.Set("User-Agent", "ua\nforged")
	r.Header.Set("Referer", "https://ref/")
	r.Header.Set("X-Correlation-ID", "req-9")
	mw(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), r)
	wlog.Flush()
	pw.Close()
	waitDone(t, "relay", done)
	if out := readFile(t, stderr.Name()); !combined.MatchString(out) {
		t.Errorf("not one combined line:\n%s", out)
	}
}

// Access records reach the pipe on their own within accessFlushEvery, and an
// ordinary record written after them follows them.
func TestAccessRecordsFlushByThemselvesInOrder(t *testing.T) {
	out := &syncbuf.Buffer{}
	wlog := NewWorker(out, slog.LevelInfo)
	mw := accessMW(wlog.AccessLog(config.LogConfig{Access: true}, nil))
	h := mw(http.NotFoundHandler())
	for i := 0; i < 3; i++ {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/a", nil))
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "\n") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("access records not written within 5 s: %q", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/b", nil))
	wlog.Logger.Info("after the requests")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.Contains(lines[3], `"/b"`) || !strings.Contains(lines[4], "after the requests") {
		t.Fatalf("order: %q", lines)
	}
}

// With RESYNC_ACCESS_LOG_FILE set, access records go to that file alone and
// every other record to stderr (or journald).
func TestAccessFileTakesAccessRecordsAlone(t *testing.T) {
	dir := t.TempDir()
	stderr, err := os.CreateTemp(dir, "stderr")
	must(t, err)
	t.Setenv("JOURNAL_STREAM", "")
	accessPath := dir + "/access.log"
	m, err := NewMaster(config.LogConfig{Level: "info", AccessFile: accessPath, MaxSizeMB: 10}, stderr)
	must(t, err)
	defer m.Close()
	pr, pw, err := os.Pipe()
	must(t, err)
	done := m.RelayWorker(5, 1, pr, nil)
	wlog := NewWorker(pw, slog.LevelInfo)
	mw := accessMW(wlog.AccessLog(config.LogConfig{Access: true}, nil))
	mw(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/only-in-file", nil))
	wlog.Logger.Info("worker says hello")
	pw.Close()
	waitDone(t, "relay", done)
	m.Logger().Info("master says hello")

	errOut, access := readFile(t, stderr.Name()), readFile(t, accessPath)
	if strings.Contains(errOut, "/only-in-file") || !strings.Contains(errOut, "worker says hello") || !strings.Contains(errOut, "master says hello") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if !strings.Contains(access, `"GET /only-in-file HTTP/1.1" 404`) || strings.Contains(access, "hello") {
		t.Errorf("access file:\n%s", access)
	}
}
