package protocol

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Counters are one worker's request counts since it started, as its heartbeat
// carries them (X_RESYNC_METRICS). They are the one count of requests: the
// worker's request budget, the master's STATUS= and `resync status`, and
// /api/v1/metrics all read them.
type Counters struct {
	Requests uint64 // completed requests, the sum of Buckets
	InFlight int64
	// Codes counts responses by status code. Keys 1-9 stand for "other codes
	// of class N" (Encode folds rare codes there to stay small); key 0 for
	// codes outside 100-999.
	Codes        map[int]uint64
	Buckets      []uint64 // latency counts per bucket (not cumulative), +Inf last
	LatencyNanos uint64   // sum of all latencies
	// Extra are named numbers the worker's packages report (the TWS cache's
	// hits, say), field x: names ending in _total are counters, added up
	// across workers and kept when they retire; the others are gauges.
	Extra map[string]int64
}

// LatencyBounds are the latency histogram's upper bounds in seconds, fixed so
// that workers' histograms add up; a last bucket (+Inf) follows them. They span
// a cached answer (sub-millisecond) to RESYNC_TIMEOUT's default (120 s).
// Read only.
var LatencyBounds = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

// NumBuckets is len(LatencyBounds) + 1, for +Inf.
const NumBuckets = 18

// MaxCode bounds the status codes counted one by one; net/http accepts 100-999.
const MaxCode = 1000

// BucketOf is the index of the bucket a latency falls in.
func BucketOf(seconds float64) int {
	for i, b := range LatencyBounds {
		if seconds <= b {
			return i
		}
	}
	return len(LatencyBounds)
}

// NewCounters returns zero counts.
func NewCounters() Counters {
	return Counters{Codes: map[int]uint64{}, Buckets: make([]uint64, NumBuckets)}
}

// Add adds the monotonic counts of s to c (made with NewCounters); in-flight
// is a gauge and is not added.
func (c *Counters) Add(s Counters) {
	c.Requests += s.Requests
	c.LatencyNanos += s.LatencyNanos
	for i, n := range s.Buckets {
		if i < len(c.Buckets) {
			c.Buckets[i] += n
		}
	}
	for code, n := range s.Codes {
		c.Codes[code] += n
	}
	for name, n := range s.Extra {
		if IsCounter(name) {
			c.AddExtra(name, n)
		}
	}
}

// IsCounter reports whether an Extra name is a counter (…_total).
func IsCounter(name string) bool { return strings.HasSuffix(name, "_total") }

// AddExtra adds n to the Extra value name.
func (c *Counters) AddExtra(name string, n int64) {
	if c.Extra == nil {
		c.Extra = map[string]int64{}
	}
	c.Extra[name] += n
}

// maxEncodedCodes bounds how many exact codes Encode writes; the rarest of the
// rest fold into their class, so the line stays under 2 KiB whatever happens.
const maxEncodedCodes = 48

const countersVersion = "1"

// Encode renders s as one line for an sd_notify field, e.g.
//
//	v=1;f=2;s=51234000;b=10,40,3;c=200:50,404:3
//
// f is in flight, s the latency sum in ns, b the buckets (trailing zeros
// dropped), c the codes. Requests is not sent: it is the sum of b.
func (s Counters) Encode() string {
	var sb strings.Builder
	sb.Grow(128)
	sb.WriteString("v=" + countersVersion + ";f=")
	sb.WriteString(strconv.FormatInt(s.InFlight, 10))
	sb.WriteString(";s=")
	sb.WriteString(strconv.FormatUint(s.LatencyNanos, 10))
	sb.WriteString(";b=")
	last := len(s.Buckets)
	for last > 0 && s.Buckets[last-1] == 0 {
		last--
	}
	for i, n := range s.Buckets[:last] {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatUint(n, 10))
	}
	sb.WriteString(";c=")
	for i, c := range foldCodes(s.Codes) {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(c.code))
		sb.WriteByte(':')
		sb.WriteString(strconv.FormatUint(c.n, 10))
	}
	if len(s.Extra) > 0 {
		sb.WriteString(";x=")
		for i, name := range slices.Sorted(maps.Keys(s.Extra)) {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(name)
			sb.WriteByte(':')
			sb.WriteString(strconv.FormatInt(s.Extra[name], 10))
		}
	}
	return sb.String()
}

type codeCount struct {
	code int
	n    uint64
}

// foldCodes keeps the maxEncodedCodes most frequent exact codes and adds the
// rest to their class keys; the result is sorted by code.
func foldCodes(codes map[int]uint64) []codeCount {
	var exact []codeCount
	classes := map[int]uint64{}
	for c, n := range codes {
		if n == 0 {
			continue
		}
		if c < 100 {
			classes[c] += n
		} else {
			exact = append(exact, codeCount{c, n})
		}
	}
	if len(exact) > maxEncodedCodes {
		slices.SortFunc(exact, func(a, b codeCount) int {
			return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.code, b.code))
		})
		for _, c := range exact[maxEncodedCodes:] {
			classes[c.code/100] += c.n
		}
		exact = exact[:maxEncodedCodes]
	}
	for c, n := range classes {
		exact = append(exact, codeCount{c, n})
	}
	slices.SortFunc(exact, func(a, b codeCount) int { return cmp.Compare(a.code, b.code) })
	return exact
}

// DecodeCounters parses what Encode wrote. Unknown keys are skipped, so a
// newer worker can add fields; anything malformed is an error naming it.
func DecodeCounters(line string) (Counters, error) {
	s := NewCounters()
	seen := map[string]bool{}
	for i, field := range strings.Split(line, ";") {
		key, val, ok := strings.Cut(field, "=")
		if !ok {
			return Counters{}, fmt.Errorf("decode counters: field %q has no '='", field)
		}
		if i == 0 && (key != "v" || val != countersVersion) {
			return Counters{}, fmt.Errorf("decode counters: want version %s first, got %q", countersVersion, field)
		}
		if seen[key] {
			return Counters{}, fmt.Errorf("decode counters: field %q repeated", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "f":
			s.InFlight, err = strconv.ParseInt(val, 10, 64)
		case "s":
			s.LatencyNanos, err = strconv.ParseUint(val, 10, 64)
		case "b":
			err = decodeBuckets(val, s.Buckets)
		case "c":
			err = decodeCodes(val, s.Codes)
		case "x":
			err = decodeExtra(val, &s)
		}
		if err != nil {
			return Counters{}, fmt.Errorf("decode counters field %q: %w", key, err)
		}
	}
	for _, n := range s.Buckets {
		if s.Requests+n < s.Requests {
			return Counters{}, fmt.Errorf("decode counters: bucket counts overflow")
		}
		s.Requests += n
	}
	return s, nil
}

func decodeBuckets(val string, into []uint64) error {
	if val == "" {
		return nil
	}
	parts := strings.Split(val, ",")
	if len(parts) > len(into) {
		return fmt.Errorf("%d buckets, at most %d", len(parts), len(into))
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return err
		}
		into[i] = n
	}
	return nil
}

func decodeCodes(val string, into map[int]uint64) error {
	if val == "" {
		return nil
	}
	for p := range strings.SplitSeq(val, ",") {
		cs, ns, ok := strings.Cut(p, ":")
		if !ok {
			return fmt.Errorf("code entry %q has no ':'", p)
		}
		c, err := strconv.Atoi(cs)
		if err != nil || (c > 9 && c < 100) || c < 0 || c >= MaxCode {
			return fmt.Errorf("bad status code %q", cs)
		}
		n, err := strconv.ParseUint(ns, 10, 64)
		if err != nil {
			return err
		}
		if _, dup := into[c]; dup {
			return fmt.Errorf("status code %d repeated", c)
		}
		into[c] = n
	}
	return nil
}

// decodeExtra reads "name:value,…" (names of [a-z0-9_]).
func decodeExtra(val string, into *Counters) error {
	if val == "" {
		return nil
	}
	for _, kv := range strings.Split(val, ",") {
		name, v, ok := strings.Cut(kv, ":")
		if !ok || name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return fmt.Errorf("bad series %q", kv)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("bad series %q", kv)
		}
		into.AddExtra(name, n)
	}
	return nil
}
