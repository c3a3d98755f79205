package ratelimit

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/redisclient"
	"github.com/resync/resync/internal/redistest"
	"github.com/resync/resync/internal/syncbuf"
)

func newClient(t testing.TB, url string) redis.UniversalClient {
	t.Helper()
	rdb, err := redisclient.New(config.RedisConfig{URL: url, PoolMax: 20,
		DialTimeout: time.Second, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// handler is a router with a limited route, the way httpapi mounts it.
func handler(l *Limiter) http.Handler {
	r := mux.NewRouter()
	r.Use(l.Middleware)
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }
	r.HandleFunc("/api/v1/things/{id}", ok)
	r.HandleFunc("/api/v1/auth/login", ok)
	r.HandleFunc("/api/v1/health/live", ok)
	return r
}

func do(h http.Handler, path, peer string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = peer
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestWindowEdges: N/P admits a burst of N, then one more every P/N; the
// answers carry the original's headers; a refusal's Retry-After is enough.
func TestWindowEdges(t *testing.T) {
	srv := redistest.Start(t)
	l := New(newClient(t, srv.URL()), Options{Default: config.Rate{N: 3, Per: 3 * time.Second},
		Auth: config.Rate{N: 1, Per: time.Minute}, FailOpen: true})
	h := handler(l)
	for i := range 3 {
		w := do(h, "/api/v1/things/"+strconv.Itoa(i), "192.0.2.1:5000") // ids share the route's budget
		if w.Code != 200 || w.Header().Get("X-RateLimit-Limit") != "3" || w.Header().Get("X-RateLimit-Window") != "3" ||
			w.Header().Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Fatalf("request %d: %d %v", i, w.Code, w.Header())
		}
	}
	w := do(h, "/api/v1/things/9", "192.0.2.1:5000")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || w.Header().Get("X-RateLimit-Reset") != "1" ||
		w.Header().Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("4th: %d %v", w.Code, w.Header())
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["detail"] != "Rate limit exceeded" || body["retry_after"] != 1.0 || len(body) != 2 {
		t.Fatalf("429 body %s", w.Body)
	}
	// Another client, the health probe, and the auth route keep their own budgets.
	if w := do(h, "/api/v1/things/1", "192.0.2.2:5000"); w.Code != 200 {
		t.Errorf("another client: %d", w.Code)
	}
	for range 5 {
		if w := do(h, "/api/v1/health/live", "192.0.2.1:5000"); w.Code != 200 || w.Header().Get("X-RateLimit-Limit") != "" {
			t.Fatalf("health is limited: %d %v", w.Code, w.Header())
		}
	}
	if do(h, "/api/v1/auth/login", "192.0.2.1:5000").Code != 200 || do(h, "/api/v1/auth/login", "192.0.2.1:5000").Code != 429 {
		t.Error("the auth limit 1/1m does not hold")
	}
	// After one emission interval (P/N = 1 s) exactly one more is admitted.
	time.Sleep(1100 * time.Millisecond)
	if w := do(h, "/api/v1/things/1", "192.0.2.1:5000"); w.Code != 200 {
		t.Fatalf("after 1.1 s: %d", w.Code)
	}
	if w := do(h, "/api/v1/things/1", "192.0.2.1:5000"); w.Code != 429 {
		t.Fatalf("second after 1.1 s: %d", w.Code)
	}
}

// TestExactUnderConcurrency: many goroutines, several Limiters (workers) on
// one Redis, and remembered refusals: never more than the limit admitted,
// and no more refused than the limit requires.
func TestExactUnderConcurrency(t *testing.T) {
	srv := redistest.Start(t)
	var limiters []http.Handler
	for range 3 {
		limiters = append(limiters, handler(New(newClient(t, srv.URL()), Options{Default: config.Rate{N: 50, Per: time.Hour}, FailOpen: true})))
	}
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := limiters[i%3]
			for range 20 {
				switch do(h, "/api/v1/things/x", "198.51.100.7:1").Code {
				case 200:
					ok.Add(1)
				case 429:
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 50 || refused.Load() != 550 {
		t.Errorf("admitted %d, refused %d of 600 with a limit of 50", ok.Load(), refused.Load())
	}
}

// TestSpoofedForwardedFor: an untrusted peer's X-Forwarded-For changes
// nothing; a trusted proxy's names the client.
func TestSpoofedForwardedFor(t *testing.T) {
	srv := redistest.Start(t)
	proxy := netip.MustParsePrefix("10.0.0.2/32")
	h := handler(New(newClient(t, srv.URL()), Options{Default: config.Rate{N: 2, Per: time.Hour}, FailOpen: true,
		Clients: clientip.New([]netip.Prefix{proxy})}))
	codes := ""
	for i := range 4 {
		codes += strconv.Itoa(do(h, "/api/v1/things/1", "203.0.113.9:1", "X-Forwarded-For", "198.18.0."+strconv.Itoa(i)).Code) + " "
	}
	if codes != "200 200 429 429 " {
		t.Errorf("spoofing X-Forwarded-For from an untrusted peer: %s", codes)
	}
	codes = ""
	for i := range 4 {
		codes += strconv.Itoa(do(h, "/api/v1/things/1", "10.0.0.2:1", "X-Forwarded-For", "198.18.0."+strconv.Itoa(i)).Code) + " "
	}
	if codes != "200 200 200 200 " {
		t.Errorf("distinct clients behind a trusted proxy: %s", codes)
	}
}

// TestRedisDown: fail open serves and counts, fail closed answers 503; the
// outage is logged once, its end once.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv.URL())
	var logBuf syncbuf.Buffer
	open := New(rdb, Options{Default: config.Rate{N: 100, Per: time.Minute}, FailOpen: true,
		Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	closed := New(rdb, Options{Default: config.Rate{N: 100, Per: time.Minute}})
	srv.Kill()
	for range 5 {
		if w := do(handler(open), "/api/v1/things/1", "192.0.2.1:1"); w.Code != 200 {
			t.Fatalf("fail open: %d", w.Code)
		}
		if w := do(handler(closed), "/api/v1/things/1", "192.0.2.1:1"); w.Code != 503 || w.Header().Get("Retry-After") == "" {
			t.Fatalf("fail closed: %d %v", w.Code, w.Header())
		}
	}
	if n := open.stats.failedOpen.Load(); n != 5 {
		t.Errorf("failed open %d times, want 5", n)
	}
	if !open.outage.down.Load() {
		t.Error("outage not noticed")
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for do(handler(open), "/api/v1/things/1", "192.0.2.1:1").Header().Get("X-RateLimit-Limit") == "" {
		if time.Now().After(deadline) {
			t.Fatal("limits did not return with Redis")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if open.outage.down.Load() {
		t.Error("outage not ended")
	}
	logs := logBuf.String()
	if strings.Count(logs, "redis unavailable") != 1 || strings.Count(logs, "redis is back") != 1 {
		t.Errorf("want one line for the outage and one for its end:\n%s", logs)
	}
}
