package worker

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/httpapi"
	"github.com/resync/resync/internal/logging"
	"github.com/resync/resync/internal/metrics"
	"github.com/resync/resync/internal/syncbuf"
)

// testWorker is a worker with its handler chain's parts and no sockets.
func testWorker(cs *conns, access *logging.AccessLog) *worker {
	w := &worker{cfg: config.Config{Timeout: 10 * time.Second}, log: slog.New(slog.DiscardHandler),
		rec: metrics.NewRecorder(), access: access, conns: cs}
	w.beforeHeader = cs.beforeHeader
	return w
}

var (
	accessStatus = regexp.MustCompile(`"status"[:,](\d+)`)
	accessBytes  = regexp.MustCompile(`"bytes"[:,](\d+)`)
	accessCID    = regexp.MustCompile(`"correlation_id"[:,]"([^"]*)"`)
)

// The chain's order, seen from outside: a 414 from Limits and a panic's 500
// from Recover carry the correlation id Begin set, and both — with every
// other answer — are counted by the metrics and logged by the access log,
// each once and with the same status and bytes, read from one Writer.
func TestChainRecordsEachAnswerOnceForMetricsAndAccessLog(t *testing.T) {
	pipe := &syncbuf.Buffer{}
	wlog := logging.NewWorker(pipe, slog.LevelInfo)
	w := testWorker(newConns(5*time.Second), wlog.AccessLog(config.LogConfig{Access: true}, nil))
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("/bug", func(w http.ResponseWriter, r *http.Request) { panic("handler bug") })
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) { w.(http.Flusher).Flush() })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(w.chain(Options{Handler: mux}))
	defer srv.Close()

	long := "/ok?" + strings.Repeat("q", httpapi.MaxRequestLine)
	paths := []string{"/ok", "/ok", "/empty", "/teapot", "/missing", "/bug", "/abort", "/flush", long}
	wantCodes := map[int]uint64{200: 4, 418: 1, 404: 1, 500: 2, 414: 1, 503: 1}
	for _, p := range paths {
		// POST: the client transparently retries an idempotent GET whose
		// connection was reset (/abort), and it would be counted twice.
		resp, err := http.Post(srv.URL+p, "text/plain", nil)
		if p == "/abort" {
			if err == nil {
				resp.Body.Close()
			}
			continue // the server aborts the connection: that is the point
		}
		if err != nil {
			t.Fatalf("POST %.20s: %v", p, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if (p == long || p == "/bug") && resp.Header.Get(httpapi.HeaderCorrelationID) == "" {
			t.Errorf("%.20s: %d without a correlation id: Begin is not outside Limits and Recover", p, resp.StatusCode)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.Get(srv.URL + "/slow"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	if s := w.rec.Counters(); s.InFlight != 1 || s.Requests != uint64(len(paths)) {
		t.Errorf("while /slow runs: in flight %d, requests %d; want 1, %d", s.InFlight, s.Requests, len(paths))
	}
	close(release)
	<-done
	srv.Close() // every handler has returned
	wlog.Flush()

	s := w.rec.Counters()
	if s.InFlight != 0 || !mapsEqual(s.Codes, wantCodes) {
		t.Errorf("metrics: in flight %d, codes %v; want 0, %v", s.InFlight, s.Codes, wantCodes)
	}
	logged := map[int]uint64{}
	var bytesLogged int64
	for _, line := range strings.Split(strings.TrimSpace(pipe.String()), "\n") {
		m := accessStatus.FindStringSubmatch(line)
		b := accessBytes.FindStringSubmatch(line)
		if m == nil || b == nil || accessCID.FindStringSubmatch(line)[1] == "" {
			t.Fatalf("not an access record with status, bytes and correlation id: %s", line)
		}
		code, _ := strconv.Atoi(m[1])
		n, _ := strconv.ParseInt(b[1], 10, 64)
		logged[code]++
		bytesLogged += n
	}
	if !mapsEqual(logged, s.Codes) {
		t.Errorf("access log statuses %v, metrics %v: not one record each", logged, s.Codes)
	}
	if bytesLogged == 0 {
		t.Error("no body bytes logged")
	}
}

func mapsEqual(a, b map[int]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Streams and upgrades work through the chain's writers: Flush and
// SetWriteDeadline (SSE), Hijack (WebSocket), all by http.ResponseController.
func TestChainKeepsResponseController(t *testing.T) {
	w := testWorker(newConns(5*time.Second), nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/sse", func(rw http.ResponseWriter, r *http.Request) {
		httpapi.Unbounded(rw)
		rc := http.NewResponseController(rw)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			http.Error(rw, "deadline: "+err.Error(), 500)
			return
		}
		io.WriteString(rw, "data: 1\n\n")
		if err := rc.Flush(); err != nil {
			http.Error(rw, "flush: "+err.Error(), 500)
		}
	})
	mux.HandleFunc("/ws", func(rw http.ResponseWriter, r *http.Request) {
		httpapi.Unbounded(rw)
		conn, buf, err := http.NewResponseController(rw).Hijack()
		if err != nil {
			http.Error(rw, "hijack: "+err.Error(), 500)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nhello")
		buf.Flush()
	})
	addr := serveHandler(t, w.conns, w.chain(Options{Handler: mux}))

	resp, err := http.Get("http://" + addr + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "data: 1\n\n" {
		t.Errorf("SSE: %d %q", resp.StatusCode, body)
	}

	c, r := dial(t, addr)
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
	line, _ := r.ReadString('\n')
	if !strings.HasPrefix(line, "HTTP/1.1 101") {
		t.Fatalf("upgrade: %q", line)
	}
	rest, _ := io.ReadAll(bufio.NewReader(r))
	if !bytes.HasSuffix(rest, []byte("hello")) {
		t.Errorf("after the upgrade: %q", rest)
	}
	// The upgraded request is counted when its handler returns, after
	// the client has read all it wrote.
	for deadline := time.Now().Add(10 * time.Second); w.rec.Requests() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // polling interval, not synchronisation
	}
	if s := w.rec.Counters(); s.Requests != 2 || s.Codes[500] != 0 {
		t.Errorf("counted %d requests, codes %v", s.Requests, s.Codes)
	}
}
