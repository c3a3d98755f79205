package metrics

import (
	"testing"
	"time"
)

// What the handler chain reports (Begin, Done) is what Counters says: in
// flight until done, then one count of its code and one latency bucket. The
// chain's own test (worker) serves real requests through it.
func TestRecorderCounts(t *testing.T) {
	rec := NewRecorder()
	rec.Begin()
	rec.Begin()
	if s := rec.Counters(); s.InFlight != 2 || s.Requests != 0 {
		t.Errorf("in flight %d, requests %d; want 2, 0", s.InFlight, s.Requests)
	}
	rec.Done(200, time.Millisecond)
	rec.Done(42, 2*time.Millisecond) // out of range: code 0
	s := rec.Counters()
	if s.InFlight != 0 || s.Requests != 2 || rec.Requests() != 2 || s.Codes[200] != 1 || s.Codes[0] != 1 ||
		s.LatencyNanos != uint64(3*time.Millisecond) {
		t.Errorf("after: %+v", s)
	}
}
