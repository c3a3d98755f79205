package metrics

import (
	"encoding/json"
	"os"
	"testing"
)

var garbage [][]byte

// TestFreeMemory: 128 MiB of touched garbage goes back to the OS.
func TestFreeMemory(t *testing.T) {
	for range 128 {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = 1
		}
		garbage = append(garbage, b)
	}
	garbage = nil
	w, err := FreeMemory()
	if err != nil {
		t.Fatalf("FreeMemory: %v", err)
	}
	if w.PID != os.Getpid() {
		t.Errorf("pid %d, want %d", w.PID, os.Getpid())
	}
	if w.FreedMB < 64 || w.RSSBeforeMB-w.RSSAfterMB != w.FreedMB {
		t.Errorf("FreeMemory = %+v, want at least 64 MiB freed of 128 MiB garbage", w)
	}
}

func TestGCResultJSON(t *testing.T) {
	var r GCResult
	r.Add(GCWorker{PID: 1, RSSBeforeMB: 50, RSSAfterMB: 30, FreedMB: 20})
	r.Add(GCWorker{PID: 2, RSSBeforeMB: 40, RSSAfterMB: 35, FreedMB: 5})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"workers":[{"pid":1,"rss_before_mb":50,"rss_after_mb":30,"freed_mb":20},` +
		`{"pid":2,"rss_before_mb":40,"rss_after_mb":35,"freed_mb":5}],"total_freed_mb":25}`
	if string(b) != want {
		t.Errorf("GCResult JSON =\n %s\nwant\n %s", b, want)
	}
}
