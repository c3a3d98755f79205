package logging

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"192.0.2.1:80", nil, "192.0.2.1"},
		{"192.0.2.1:80", []string{"203.0.113.7"}, "192.0.2.1"},                     // untrusted peer: XFF ignored
		{"10.0.0.1:80", []string{"203.0.113.7"}, "203.0.113.7"},                    // trusted proxy
		{"10.0.0.1:80", []string{"6.6.6.6, 203.0.113.7, 10.9.9.9"}, "203.0.113.7"}, // spoofed left part ignored
		{"10.0.0.1:80", []string{"6.6.6.6", "203.0.113.7"}, "203.0.113.7"},         // several headers
		{"10.0.0.1:80", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},                // all trusted: leftmost
		{"10.0.0.1:80", []string{"203.0.113.7, garbage"}, "10.0.0.1"},              // garbage: stop at the proxy
		{"10.0.0.1:80", nil, "10.0.0.1"},
		{"[::1]:80", []string{"2001:db8::1"}, "2001:db8::1"},
		{"[::ffff:192.0.2.1]:80", nil, "192.0.2.1"},
		{"@", []string{"203.0.113.7"}, "-"}, // unix socket peer
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, x := range c.xff {
			r.Header.Add("X-Forwarded-For", x)
		}
		if got := clientAddr(r, trusted); got != c.want {
			t.Errorf("remote %s xff %q: client %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestAccessLogConfig(t *testing.T) {
	if _, err := AccessLog(slog.Default(), config.LogConfig{Access: true, TrustedProxies: []string{"10.0.0.0/33"}}); err == nil ||
		!strings.Contains(err.Error(), "10.0.0.0/33") {
		t.Errorf("bad CIDR: err %v", err)
	}
	var buf bytes.Buffer
	mw, err := AccessLog(NewWorker(&buf, slog.LevelInfo), config.LogConfig{Access: false})
	if err != nil {
		t.Fatal(err)
	}
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
	mw, err := AccessLog(wlog, config.LogConfig{Access: true})
	must(t, err)
	r := httptest.NewRequest("POST", `/x"y`, nil)
	r.Header.Set("User-Agent", "ua\nforged")
	r.Header.Set("Referer", "https://ref/")
	r.Header.Set("X-Correlation-ID", "req-9")
	mw(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), r)
	FlushWorker(wlog)
	pw.Close()
	waitDone(t, "relay", done)
	if out := readFile(t, stderr.Name()); !combined.MatchString(out) {
		t.Errorf("not one combined line:\n%s", out)
	}
}

// A handler that panics still gets its access record, as a 500, and the
// panic still reaches the server.
func TestAccessLogsPanickingHandler(t *testing.T) {
	var buf bytes.Buffer
	wlog := NewWorker(&buf, slog.LevelInfo)
	mw, err := AccessLog(wlog, config.LogConfig{Access: true})
	must(t, err)
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("handler bug") }))
	func() {
		defer func() {
			if p := recover(); p != "handler bug" {
				t.Errorf("panic %v did not reach the caller", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
	}()
	FlushWorker(wlog)
	var e entry
	must(t, parseWire(strings.TrimSuffix(buf.String(), "\n"), &e))
	if v, _ := e.lookup(keyStatus); v.Int64() != 500 {
		t.Errorf("status %v, want 500: %s", v, buf.String())
	}
}

// Access records reach the pipe on their own within accessFlushEvery, and an
// ordinary record written after them follows them.
func TestAccessRecordsFlushByThemselvesInOrder(t *testing.T) {
	out := &lockedBuf{}
	wlog := NewWorker(out, slog.LevelInfo)
	mw, err := AccessLog(wlog, config.LogConfig{Access: true})
	must(t, err)
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
	wlog.Info("after the requests")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.Contains(lines[3], `"/b"`) || !strings.Contains(lines[4], "after the requests") {
		t.Fatalf("order: %q", lines)
	}
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
	mw, err := AccessLog(wlog, config.LogConfig{Access: true})
	must(t, err)
	mw(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/only-in-file", nil))
	wlog.Info("worker says hello")
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
