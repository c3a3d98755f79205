package metrics

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/procfs"
)

// GCResult is the /api/v1/metrics/gc answer.
type GCResult struct {
	Workers      []GCWorker `json:"workers"`
	TotalFreedMB float64    `json:"total_freed_mb"`
}

// GCWorker is one worker's RSS around a forced collection.
type GCWorker struct {
	PID         int     `json:"pid"`
	RSSBeforeMB float64 `json:"rss_before_mb"`
	RSSAfterMB  float64 `json:"rss_after_mb"`
	FreedMB     float64 `json:"freed_mb"`
	Error       string  `json:"error,omitempty"` // set by the master when a worker did not answer
}

// Add appends one worker's result and keeps the total current.
func (r *GCResult) Add(w GCWorker) {
	r.Workers = append(r.Workers, w)
	r.TotalFreedMB += w.FreedMB
}

// FreeMemory runs a full garbage collection in this process and returns freed
// memory to the OS (debug.FreeOSMemory), measuring RSS before and after. It is
// what a worker runs for POST /api/v1/metrics/gc. It blocks for the length of
// a full GC, so run it off the request path or accept that one request waits.
func FreeMemory() (GCWorker, error) {
	before, err := selfRSS()
	if err != nil {
		return GCWorker{}, err
	}
	runtime.GC() // FreeOSMemory collects too; the first pass lets finalizers queue
	debug.FreeOSMemory()
	after, err := selfRSS()
	if err != nil {
		return GCWorker{}, err
	}
	return GCWorker{
		PID: before.pid, RSSBeforeMB: mb(before.rss), RSSAfterMB: mb(after.rss),
		FreedMB: mb(before.rss) - mb(after.rss),
	}, nil
}

type rssAt struct {
	pid int
	rss uint64
}

func selfRSS() (rssAt, error) {
	p, err := procfs.Self()
	if err != nil {
		return rssAt{}, fmt.Errorf("read own rss: %w", err)
	}
	st, err := p.Stat()
	if err != nil {
		return rssAt{}, fmt.Errorf("read own rss: %w", err)
	}
	return rssAt{pid: p.PID, rss: uint64(max(st.ResidentMemory(), 0))}, nil
}
