package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// served is New behind the middleware the worker's handler chain puts around
// it (worker.chain), in the same order.
func served(o Options, timeout, bodyTimeout time.Duration) http.Handler {
	return Begin(timeout, bodyTimeout, Limits(Recover(o.Logger, New(o))))
}

// BenchmarkLive is httpapi's middleware and router on the cheapest
// endpoint, against a bare handler writing the same body: the per-request
// cost resync adds before any real work.
func BenchmarkLive(b *testing.B) {
	h := served(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, time.Minute, 0)
	bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"alive","timestamp":"2026-11-30T13:00:00.000000000Z"}`+"\n")
	})
	for name, handler := range map[string]http.Handler{"resync": h, "bare": bare} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/api/v1/health/live", nil)
			b.ReportAllocs()
			for b.Loop() {
				handler.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
