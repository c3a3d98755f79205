package metrics

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/resync/resync/internal/httpstatus"
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

// Middleware counts every request next serves: in flight while it runs, then
// its status code and latency. A handler that panics counts as a 500.
func (rec *Recorder) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec.inFlight.Add(1)
		sw, release := httpstatus.Wrap(w)
		defer func() {
			code := sw.Status
			p := recover()
			if p != nil {
				code = http.StatusInternalServerError
			} else if code == 0 {
				code = http.StatusOK
			}
			rec.observe(code, time.Since(start))
			rec.inFlight.Add(-1)
			release()
			if p != nil {
				panic(p) // net/http logs it and, for ErrAbortHandler, stays quiet
			}
		}()
		next.ServeHTTP(sw, r)
	})
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
