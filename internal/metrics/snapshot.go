package metrics

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Snapshot is one worker's counts at one instant, as carried in its heartbeat.
type Snapshot struct {
	Requests uint64 // completed requests, the sum of Buckets
	InFlight int64
	// Codes counts responses by status code. Keys 1-9 stand for "other codes
	// of class N" (Encode folds rare codes there to stay small); key 0 for
	// codes outside 100-999.
	Codes        map[int]uint64
	Buckets      []uint64 // latency counts per bucket (not cumulative), +Inf last
	LatencyNanos uint64   // sum of all latencies
}

// maxEncodedCodes bounds how many exact codes Encode writes; the rarest of the
// rest fold into their class, so the line stays under 2 KiB whatever happens.
const maxEncodedCodes = 48

const snapshotVersion = "1"

// Encode renders s as one line for an sd_notify field, e.g.
//
//	v=1;f=2;s=51234000;b=10,40,3;c=200:50,404:3
//
// f is in flight, s the latency sum in ns, b the buckets (trailing zeros
// dropped), c the codes. Requests is not sent: it is the sum of b.
func (s Snapshot) Encode() string {
	var sb strings.Builder
	sb.Grow(128)
	sb.WriteString("v=" + snapshotVersion + ";f=")
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

// DecodeSnapshot parses what Encode wrote. Unknown keys are skipped, so a
// newer worker can add fields; anything malformed is an error naming it.
func DecodeSnapshot(line string) (Snapshot, error) {
	s := Snapshot{Codes: map[int]uint64{}, Buckets: make([]uint64, numBuckets)}
	seen := map[string]bool{}
	for i, field := range strings.Split(line, ";") {
		key, val, ok := strings.Cut(field, "=")
		if !ok {
			return Snapshot{}, fmt.Errorf("decode snapshot: field %q has no '='", field)
		}
		if i == 0 && (key != "v" || val != snapshotVersion) {
			return Snapshot{}, fmt.Errorf("decode snapshot: want version %s first, got %q", snapshotVersion, field)
		}
		if seen[key] {
			return Snapshot{}, fmt.Errorf("decode snapshot: field %q repeated", key)
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
		}
		if err != nil {
			return Snapshot{}, fmt.Errorf("decode snapshot field %q: %w", key, err)
		}
	}
	for _, n := range s.Buckets {
		if s.Requests+n < s.Requests {
			return Snapshot{}, fmt.Errorf("decode snapshot: bucket counts overflow")
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
		if err != nil || (c > 9 && c < 100) || c < 0 || c >= maxCode {
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

// codeLabel names a Codes key: "404", or "4xx" for a folded class, "other" for 0.
func codeLabel(c int) string {
	switch {
	case c == 0:
		return "other"
	case c < 10:
		return strconv.Itoa(c) + "xx"
	default:
		return strconv.Itoa(c)
	}
}

// sortedCodes returns the keys of m in order.
func sortedCodes(m map[int]uint64) []int { return slices.Sorted(maps.Keys(m)) }
