package protocol

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleCounters() Counters {
	s := Counters{
		InFlight: 3, LatencyNanos: 987654321,
		Codes:   map[int]uint64{200: 1000, 404: 7, 500: 2, 4: 9, 0: 1},
		Buckets: make([]uint64, NumBuckets),
	}
	s.Buckets[0], s.Buckets[3], s.Buckets[7] = 900, 100, 19
	s.Requests = 1019
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, s := range []Counters{sampleCounters(), NewCounters()} {
		line := s.Encode()
		if strings.ContainsAny(line, "\n\r \x00") {
			t.Errorf("Encode() = %q: not one sd_notify-safe line", line)
		}
		got, err := DecodeCounters(line)
		if err != nil {
			t.Fatalf("DecodeCounters(%q): %v", line, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("round trip of %q:\n got %+v\nwant %+v", line, got, s)
		}
	}
}

// TestSnapshotWorstCaseSize: every code seen, every count at its maximum,
// still far below the 8 KiB a heartbeat datagram may carry.
func TestSnapshotWorstCaseSize(t *testing.T) {
	s := NewCounters()
	s.InFlight, s.LatencyNanos = math.MinInt64, math.MaxUint64
	for i := range s.Buckets {
		s.Buckets[i] = math.MaxUint64 / NumBuckets // their sum must not overflow
	}
	for c := 100; c < MaxCode; c++ {
		s.Codes[c] = math.MaxUint64 - uint64(c)
	}
	for c := range 10 {
		s.Codes[c] = math.MaxUint64
	}
	line := s.Encode()
	if len(line) > 2048 {
		t.Errorf("worst-case snapshot encodes to %d bytes, want at most 2048", len(line))
	}
	got, err := DecodeCounters(line)
	if err != nil {
		t.Fatalf("decode worst case: %v", err)
	}
	if len(got.Codes) > maxEncodedCodes+10 {
		t.Errorf("%d codes after folding, want at most %d", len(got.Codes), maxEncodedCodes+10)
	}
	if got.Codes[999] != 0 || got.Codes[9] == 0 {
		t.Errorf("rare code 999 should fold into class 9: 999=%d, 9=%d", got.Codes[999], got.Codes[9])
	}
}

func TestDecodeSnapshotErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "no '='"},
		{"v=2;f=0", "version"},
		{"f=0;v=1", "version"},
		{"v=1;f=x", `"f"`},
		{"v=1;b=1,2,x", `"b"`},
		{"v=1;b=" + strings.Repeat("1,", NumBuckets) + "1", "buckets"},
		{"v=1;c=200", "no ':'"},
		{"v=1;c=42:1", "bad status code"},
		{"v=1;c=1000:1", "bad status code"},
		{"v=1;c=200:1,200:2", "repeated"},
		{"v=1;f=1;f=2", "repeated"},
		{"v=1;b=18446744073709551615,1", "overflow"},
	} {
		_, err := DecodeCounters(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeCounters(%q) error = %v, want one containing %q", tc.in, err, tc.want)
		}
	}
	if _, err := DecodeCounters("v=1;f=0;zz=later-field"); err != nil {
		t.Errorf("unknown field from a newer worker rejected: %v", err)
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(sampleCounters().Encode())
	f.Add("v=1;f=0;s=0;b=;c=")
	f.Add("v=1;c=9:1,0:2")
	f.Fuzz(func(t *testing.T, line string) {
		s, err := DecodeCounters(line)
		if err != nil {
			return
		}
		again, err := DecodeCounters(s.Encode())
		if err != nil {
			t.Fatalf("re-decoding Encode() of an accepted snapshot: %v", err)
		}
		if again.Requests != s.Requests || again.InFlight != s.InFlight ||
			again.LatencyNanos != s.LatencyNanos || !reflect.DeepEqual(again.Buckets, s.Buckets) {
			t.Fatalf("round trip changed counts: %+v -> %+v", s, again)
		}
		if len(s.Codes) <= maxEncodedCodes && !reflect.DeepEqual(again.Codes, withoutZeros(s.Codes)) {
			t.Fatalf("round trip changed codes: %v -> %v", s.Codes, again.Codes)
		}
	})
}

func withoutZeros(m map[int]uint64) map[int]uint64 {
	out := map[int]uint64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func TestBucketOf(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{0, 0},
		{500 * time.Microsecond, 0}, // bounds are inclusive, like Prometheus's le
		{501 * time.Microsecond, 1},
		{200 * time.Millisecond, 8},
		{120 * time.Second, 16},
		{121 * time.Second, 17},
	} {
		if got := BucketOf(tc.d.Seconds()); got != tc.want {
			t.Errorf("BucketOf(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
	if len(LatencyBounds)+1 != NumBuckets {
		t.Fatalf("NumBuckets %d does not match %d bounds", NumBuckets, len(LatencyBounds))
	}
}
