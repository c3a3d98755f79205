package worker

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/tests/loadclient"
)

var jsonBody = []byte(`{"status":"alive","timestamp":"2026-11-30T12:00:00Z"}`)

func jsonHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jsonBody)
	})
}

// observed is h behind the chain's observe step alone (the Writer, the
// metrics; no access log): what counting costs a request.
func observed(h http.Handler) http.Handler {
	return testWorker(newConns(time.Minute), nil).observe(h)
}

// BenchmarkMiddlewareOverhead serves a small JSON answer over loopback HTTP
// with keep-alive (8 loadclient connections), from two servers in one run:
// plain and behind observe. Rounds alternate so drift hits both alike. It
// reports req/s of each and their ratio (the goal: on/off >= 0.95). Use a fixed count,
// e.g. -benchtime=200000x.
func BenchmarkMiddlewareOverhead(b *testing.B) {
	off := httptest.NewServer(jsonHandler())
	defer off.Close()
	on := httptest.NewServer(observed(jsonHandler()))
	defer on.Close()
	run := func(url string, n int) time.Duration {
		took, err := loadclient.Requests(loadclient.Options{Addr: strings.TrimPrefix(url, "http://"), KeepAlive: 8},
			int64(n), time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		return took
	}
	run(off.URL, 1000) // warm both: connections, buffers
	run(on.URL, 1000)
	const rounds = 10
	per := b.N/(2*rounds) + 1
	var tOff, tOn time.Duration
	b.ResetTimer()
	for range rounds {
		tOff += run(off.URL, per)
		tOn += run(on.URL, per)
	}
	offRPS := float64(rounds*per) / tOff.Seconds()
	onRPS := float64(rounds*per) / tOn.Seconds()
	b.ReportMetric(offRPS, "off-req/s")
	b.ReportMetric(onRPS, "on-req/s")
	b.ReportMetric(onRPS/offRPS, "on/off")
}

// BenchmarkMiddlewareInProcess is observe's own cost per request, with
// no network: the handler and a reused ResponseWriter, wrapped or not.
func BenchmarkMiddlewareInProcess(b *testing.B) {
	req := httptest.NewRequest("GET", "/api/v1/health/live", nil)
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"off", jsonHandler()}, {"on", observed(jsonHandler())}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					tc.h.ServeHTTP(w, req)
				}
			})
		})
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
