package metrics

import (
	"sync/atomic"
	"time"

	"github.com/resync/resync/internal/protocol"
)

// Recorder counts one worker's requests. Its methods are safe for concurrent
// use and take no locks.
type Recorder struct {
	inFlight atomic.Int64
	sumNanos atomic.Uint64
	buckets  [protocol.NumBuckets]atomic.Uint64
	codes    [protocol.MaxCode]atomic.Uint64
}

// NewRecorder returns a Recorder with every count at zero.
func NewRecorder() *Recorder { return &Recorder{} }

// Begin counts a request in flight; Done, once it is answered, moves it to
// the counts of its status code and latency. The worker's handler chain calls
// both (worker.chain), with the status its one httpstatus.Writer recorded.
func (rec *Recorder) Begin() { rec.inFlight.Add(1) }

// Done: see Begin. A code outside 100–599 is counted as code 0.
func (rec *Recorder) Done(code int, d time.Duration) {
	rec.observe(code, d)
	rec.inFlight.Add(-1)
}

func (rec *Recorder) observe(code int, d time.Duration) {
	if code < 100 || code >= protocol.MaxCode {
		code = 0
	}
	rec.codes[code].Add(1)
	rec.buckets[protocol.BucketOf(d.Seconds())].Add(1)
	rec.sumNanos.Add(uint64(max(d, 0)))
}

// Counters reads the counts. Fields are read one by one, not as one atomic
// whole, so counts taken under load may be a request apart between fields.
func (rec *Recorder) Counters() protocol.Counters {
	s := protocol.Counters{
		InFlight:     rec.inFlight.Load(),
		LatencyNanos: rec.sumNanos.Load(),
		Buckets:      make([]uint64, protocol.NumBuckets),
		Codes:        map[int]uint64{},
	}
	for i := range rec.buckets {
		s.Buckets[i] = rec.buckets[i].Load()
		s.Requests += s.Buckets[i]
	}
	for c := range rec.codes {
		if n := rec.codes[c].Load(); n != 0 {
			s.Codes[c] = n
		}
	}
	return s
}

// Requests is how many requests completed: the sum of the latency buckets,
// the same count Counters carries (there is no second counter).
func (rec *Recorder) Requests() uint64 {
	var n uint64
	for i := range rec.buckets {
		n += rec.buckets[i].Load()
	}
	return n
}
