package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRecorderOverHTTP serves real requests through the middleware and checks
// what the snapshot says about them.
func TestRecorderOverHTTP(t *testing.T) {
	rec := NewRecorder()
	release := make(chan struct{})
	entered := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush() // streaming handlers must still see a Flusher
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(rec.Middleware(mux))
	defer srv.Close()

	get := func(path string) {
		t.Helper()
		// POST for /panic: the client transparently retries an idempotent GET
		// whose connection was reset, and the panic would be counted twice.
		send := http.Get
		if path == "/panic" {
			send = func(u string) (*http.Response, error) { return http.Post(u, "text/plain", nil) }
		}
		resp, err := send(srv.URL + path)
		if err != nil {
			if path == "/panic" {
				return // the server aborts the connection: that is the point
			}
			t.Fatalf("GET %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for _, p := range []string{"/ok", "/ok", "/empty", "/teapot", "/missing", "/panic", "/flush"} {
		get(p)
	}
	done := make(chan struct{})
	go func() { get("/slow"); close(done) }()
	<-entered
	if s := rec.Counters(); s.InFlight != 1 || s.Requests != 7 {
		t.Errorf("while /slow runs: in flight %d, requests %d; want 1, 7", s.InFlight, s.Requests)
	}
	close(release)
	<-done

	s := rec.Counters()
	want := map[int]uint64{200: 4, 418: 1, 404: 1, 500: 1, 503: 1}
	if len(s.Codes) != len(want) {
		t.Errorf("codes = %v, want %v", s.Codes, want)
	}
	for c, n := range want {
		if s.Codes[c] != n {
			t.Errorf("code %d counted %d, want %d (all: %v)", c, s.Codes[c], n, s.Codes)
		}
	}
	if s.InFlight != 0 || s.Requests != 8 {
		t.Errorf("after: in flight %d, requests %d; want 0, 8", s.InFlight, s.Requests)
	}
	if s.LatencyNanos == 0 {
		t.Error("latency sum is 0 after 8 requests")
	}
}

// TestInterimCode: a 103 Early Hints before the real answer is not the status.
func TestInterimCode(t *testing.T) {
	rec := NewRecorder()
	h := rec.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusCreated)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", strings.NewReader("")))
	if s := rec.Counters(); s.Codes[201] != 1 || s.Codes[103] != 0 {
		t.Errorf("codes = %v, want one 201", s.Codes)
	}
}
