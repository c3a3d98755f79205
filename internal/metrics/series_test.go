package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/protocol"
)

func TestSeries(t *testing.T) {
	RegisterSeries(Series{Name: "test_hits_total", Help: "Test hits."},
		Series{Name: "test_bytes", Help: "Test bytes."},
		Series{Name: "test_load_seconds", Help: "Test load.", Scale: 1e-6})
	counters := func(hits, bytes int64) protocol.Counters {
		c := protocol.NewCounters()
		c.Extra = map[string]int64{"test_hits_total": hits, "test_bytes": bytes, "test_load_seconds": 1500}
		got, err := protocol.DecodeCounters(c.Encode())
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	retired := protocol.NewCounters()
	retired.Add(counters(5, 100)) // a worker gone: its counter stays, its gauge goes
	table := control.Snapshot{Retired: retired, Workers: []control.Worker{{PID: 2, Counters: counters(7, 200)}}}
	r := Build(table, Stats{}, time.Now())
	if r.Totals.Extra["test_hits_total"] != 12 || r.Totals.Extra["test_bytes"] != 200 {
		t.Fatalf("extra %v: counters over all workers, gauges over live ones", r.Totals.Extra)
	}
	var buf bytes.Buffer
	if err := WritePrometheus(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# TYPE resync_test_hits_total counter", "resync_test_hits_total 12",
		"# TYPE resync_test_bytes gauge", "resync_test_bytes 200", "resync_test_load_seconds 0.0015"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("no %q in\n%s", want, buf.String())
		}
	}
	if _, err := protocol.DecodeCounters("v=1;x=Bad-Name:1"); err == nil {
		t.Error("a malformed series decoded")
	}
}
