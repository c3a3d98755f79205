package procstat

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseCgroupLimit(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    uint64
		ok, err bool
	}{
		{in: "max\n"},
		{in: "536870912\n", want: 536870912, ok: true},
		{in: "9223372036854771712\n"}, // v1 "unlimited"
		{in: "0\n"},
		{in: "", err: true},
		{in: "12k", err: true},
		{in: "-1", err: true},
	} {
		got, ok, err := parseCgroupLimit(tc.in)
		if got != tc.want || ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("parseCgroupLimit(%q) = %d, %v, %v; want %d, %v, err %v", tc.in, got, ok, err, tc.want, tc.ok, tc.err)
		}
	}
}

const mib = 1 << 20

func TestHostFixtures(t *testing.T) {
	for _, tc := range []struct {
		root    string
		limit   uint64
		load1   float64
		wantErr string
	}{
		{root: "v2", limit: 512 * mib, load1: 0.52},        // memory.high of the leaf beats the slice's memory.max
		{root: "v1", limit: 256 * mib, load1: 0.52},        // hybrid host: the v1 memory controller wins
		{root: "container", limit: 100 * mib, load1: 0.52}, // cgroup namespace: mount root is our cgroup
		{root: "nolimit", limit: 0, wantErr: "loadavg"},    // loadavg missing: reported, memory still read
	} {
		t.Run(tc.root, func(t *testing.T) {
			s := New(filepath.Join("testdata", tc.root, "proc"))
			h, err := s.Host()
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Host: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Host error = %v, want one naming %q", err, tc.wantErr)
			}
			if h.MemLimitBytes != tc.limit {
				t.Errorf("MemLimitBytes = %d, want %d", h.MemLimitBytes, tc.limit)
			}
			if h.MemTotalBytes != 16*1024*mib || h.MemAvailableBytes != 8*1024*mib {
				t.Errorf("memory = %d/%d, want 16 GiB total, 8 GiB available", h.MemTotalBytes, h.MemAvailableBytes)
			}
			if h.Load1 != tc.load1 {
				t.Errorf("Load1 = %v, want %v", h.Load1, tc.load1)
			}
		})
	}
}

func TestSampleFixture(t *testing.T) {
	s := New("testdata/v2/proc")
	got, err := s.Sample(4242)
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	rss := uint64(25600 * os.Getpagesize())
	want := ProcSample{
		PID: 4242, RSSBytes: rss, CPUSeconds: 2, Threads: 7, FDs: 5,
		MemoryPercent: 100 * float64(rss) / (512 * mib),
		StartedAt:     time.Unix(1700000000+120, 0),
	}
	got.Uptime = 0
	if got != want {
		t.Errorf("Sample(4242) =\n %+v\nwant\n %+v", got, want)
	}
	if _, err := s.Sample(9999); err == nil || !strings.Contains(err.Error(), "9999") {
		t.Errorf("Sample of a missing pid: err = %v, want one naming the pid", err)
	}
}

// TestSampleNoLimit: without a cgroup limit, memory share is of MemTotal.
func TestSampleNoLimit(t *testing.T) {
	s := New("testdata/nolimit/proc")
	got, err := s.Sample(4343)
	if err == nil || !strings.Contains(err.Error(), "loadavg") {
		t.Errorf("Sample err = %v, want the missing loadavg reported", err)
	}
	want := 100 * float64(12800*os.Getpagesize()) / (16 * 1024 * mib)
	if math.Abs(got.MemoryPercent-want) > 1e-9 || got.Threads != 12 || got.FDs != 3 {
		t.Errorf("Sample(4343) = %+v, want MemoryPercent %v, 12 threads, 3 fds", got, want)
	}
}

// TestCPUPercent drives the delta logic on a copied fixture whose stat is
// rewritten between samples, with a fake clock.
func TestCPUPercent(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("testdata/v2")); err != nil {
		t.Fatal(err)
	}
	statPath := filepath.Join(root, "proc/4343/stat")
	orig, err := os.ReadFile(statPath)
	if err != nil {
		t.Fatal(err)
	}
	setStat := func(utime, starttime string) {
		t.Helper()
		// "(resync worker)" is two fields once split: utime is index 14, starttime 22.
		f := strings.Fields(string(orig))
		f[14], f[22] = utime, starttime
		if err := os.WriteFile(statPath, []byte(strings.Join(f, " ")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	clock := time.Unix(1700001000, 0)
	s := New(filepath.Join(root, "proc"))
	s.now = func() time.Time { return clock }
	sample := func() ProcSample {
		t.Helper()
		got, err := s.Sample(4343)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	setStat("30", "13000")
	if got := sample(); got.CPUPercent != 0 {
		t.Errorf("first sample CPUPercent = %v, want 0", got.CPUPercent)
	}
	setStat("130", "13000") // +100 ticks = 1 s of CPU over 2 s
	clock = clock.Add(2 * time.Second)
	if got := sample(); got.CPUPercent != 50 {
		t.Errorf("CPUPercent = %v, want 50", got.CPUPercent)
	}
	setStat("530", "13000") // +4 s over 2 s: two busy cores
	clock = clock.Add(2 * time.Second)
	if got := sample(); got.CPUPercent != 200 {
		t.Errorf("CPUPercent = %v, want 200", got.CPUPercent)
	}
	setStat("900", "99999") // pid reused by a new process: no delta across it
	clock = clock.Add(time.Second)
	if got := sample(); got.CPUPercent != 0 {
		t.Errorf("CPUPercent after pid reuse = %v, want 0", got.CPUPercent)
	}
	s.Forget(4343)
	setStat("1000", "99999")
	clock = clock.Add(time.Second)
	if got := sample(); got.CPUPercent != 0 {
		t.Errorf("CPUPercent after Forget = %v, want 0", got.CPUPercent)
	}
}

func TestBadRoot(t *testing.T) {
	s := New("testdata/does-not-exist/proc")
	if _, err := s.Sample(1); err == nil {
		t.Error("Sample under a missing root: no error")
	}
	if _, err := s.Host(); err == nil {
		t.Error("Host under a missing root: no error")
	}
}
