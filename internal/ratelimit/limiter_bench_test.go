package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/redistest"
)

// BenchmarkMiddleware is one limited request through the middleware against
// a real redis-server, 16 concurrent per CPU as a worker under wrk: its
// allocations and (with -cpuprofile) where a worker's CPU for a limit goes.
// A measurement, never an assertion.
func BenchmarkMiddleware(b *testing.B) {
	srv := redistest.Start(b)
	rdb := newClient(b, srv.URL())
	for _, tc := range []struct {
		name string
		rate config.Rate
	}{{"hot-1e9-per-1m", config.Rate{N: 1_000_000_000, Per: time.Minute}}} {
		b.Run(tc.name, func(b *testing.B) {
			h := handler(New(rdb, Options{Default: tc.rate, FailOpen: true}))
			b.ReportAllocs()
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/things/1", nil)
				req.RemoteAddr = "192.0.2.1:5000"
				for pb.Next() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != 200 {
						b.Fatalf("status %d", w.Code)
					}
				}
			})
		})
	}
	if os.Getenv("RESYNC_BENCH_COMMANDSTATS") == "1" {
		b.Log(rdb.Info(context.Background(), "commandstats").Val())
	}
}
