package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// accessAttrs is a typical access record's attributes.
var accessAttrs = []slog.Attr{slog.String(keyClient, "203.0.113.7"), slog.String(keyMethod, "GET"),
	slog.String(keyPath, "/api/v1/plan/job"), slog.String(keyQuery, ""), slog.String(keyProto, "HTTP/1.1"),
	slog.Int(keyStatus, 200), slog.Int64(keyBytes, 1234), slog.Int64(keyDurationUS, 456),
	slog.String(keyUserAgent, "curl/8.5.0"), slog.String(keyReferer, ""), slog.String(keyCorrelationID, "3f2a9c4e-1b2d-4c3e-9f8a-7b6c5d4e3f2a")}

// BenchmarkWorkerEncode: a worker's cost to encode one record of an access
// record's shape and hand it to the pipe (here io.Discard): through the
// access log's handler, and through the Logger's (wireValue on every
// attribute).
func BenchmarkWorkerEncode(b *testing.B) {
	w := NewWorker(io.Discard, slog.LevelInfo)
	for name, log := range map[string]*slog.Logger{"access": w.access, "logger": w.Logger} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				log.LogAttrs(ctx, slog.LevelInfo, "request", accessAttrs...)
			}
			b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
	w.Flush()
}

// BenchmarkWireDecode: the master's cost to decode one such line.
func BenchmarkWireDecode(b *testing.B) {
	line := strings.TrimSuffix(string(wireLine(b)), "\n")
	e := &entry{}
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		*e = entry{attrs: e.attrs[:0]}
		if err := parseWire(line, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
