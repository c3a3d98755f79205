package tws_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"

	"github.com/resync/resync/internal/httpapi"
)

// BenchmarkCachedStatus is a cached /api/v1/tws/status through the routes
// (httpapi.New; the worker's chain adds the same cost to both) and the
// operator guard, beside /api/v1/health/live: what a cache hit costs over
// the cheapest route ("Done when" asks ≥ 0.8 of its requests/s; this is
// where to look when it is not).
func BenchmarkCachedStatus(b *testing.B) {
	e := setup(b, nil)
	h := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Routes: []func(*mux.Router, httpapi.Guards){func(r *mux.Router, g httpapi.Guards) { e.svc.Mount(r, g.Operator) }}})
	for _, path := range []string{"/api/v1/tws/status", "/api/v1/health/live"} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			req.RemoteAddr = "127.0.0.1:40000"
			w := httptest.NewRecorder()
			if h.ServeHTTP(w, req); w.Code != 200 {
				b.Fatalf("%s: %d %s", path, w.Code, w.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
