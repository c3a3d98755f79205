package procstat

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/prometheus/procfs"
)

// ProcSample is one process's resource use at one instant.
type ProcSample struct {
	PID      int
	RSSBytes uint64
	// MemoryPercent is RSS as a share of the cgroup memory limit when one is
	// set (and below the host's memory), else of the host's MemTotal.
	MemoryPercent float64
	// CPUPercent is user+system CPU time over wall time since the previous
	// Sample of the same process, in percent of one core (two busy cores read
	// 200). It is 0 on the first sample.
	CPUPercent float64
	CPUSeconds float64 // user+system CPU time since the process started
	Threads    int
	FDs        int // -1 when the fd directory could not be read
	StartedAt  time.Time
	Uptime     time.Duration
}

// MemoryMB is RSS in mebibytes, the unit of RESYNC_WORKER_MAX_RSS_MB.
func (s ProcSample) MemoryMB() float64 { return float64(s.RSSBytes) / (1 << 20) }

// Sampler reads /proc under one root and remembers, per pid, the CPU time of
// the previous sample so that CPUPercent is a delta. Not safe for concurrent use.
type Sampler struct {
	fs       procfs.FS
	fsErr    error
	root     string // parent of the proc root: where the cgroup mounts live
	now      func() time.Time
	prev     map[int]cpuMark
	bootTime time.Time // zero until read
	memBase  uint64    // bytes MemoryPercent divides by; 0 until known
	limits   []string  // cgroup memory limit files, resolved once
}

// cpuMark is the CPU time seen at one sample; start tells a reused pid apart.
type cpuMark struct {
	ticks uint64
	start uint64
	at    time.Time
}

// New returns a Sampler reading the proc filesystem mounted at procRoot
// (normally "/proc"). A bad root is reported by every later call.
func New(procRoot string) *Sampler {
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		err = fmt.Errorf("open procfs %s: %w", procRoot, err)
	}
	return &Sampler{
		fs:    fs,
		fsErr: err,
		root:  filepath.Dir(filepath.Clean(procRoot)),
		now:   time.Now,
		prev:  make(map[int]cpuMark),
	}
}

// Sample reads pid's resources. It fails outright only when the process's
// stat cannot be read (it is gone); other failing sources are returned as an
// error alongside a sample holding the rest.
func (s *Sampler) Sample(pid int) (ProcSample, error) {
	out := ProcSample{PID: pid, FDs: -1}
	if s.fsErr != nil {
		return out, s.fsErr
	}
	now := s.now()
	st, err := readStat(s.fs, pid)
	if err != nil {
		delete(s.prev, pid)
		return out, err
	}
	out.RSSBytes = st.rssBytes
	out.Threads = st.threads
	out.CPUSeconds = float64(st.ticks) / userHZ
	mark := cpuMark{ticks: st.ticks, start: st.startTicks, at: now}
	if p, ok := s.prev[pid]; ok && p.start == mark.start {
		out.CPUPercent = cpuPercent(p.ticks, mark.ticks, now.Sub(p.at))
	}
	s.prev[pid] = mark

	var errs []error
	if n, err := readFDCount(s.fs, pid); err != nil {
		errs = append(errs, err)
	} else {
		out.FDs = n
	}
	if bt, err := s.boot(); err != nil {
		errs = append(errs, err)
	} else {
		out.StartedAt = startTime(bt, st.startTicks)
		out.Uptime = now.Sub(out.StartedAt)
	}
	if s.memBase == 0 {
		if _, err := s.Host(); err != nil {
			errs = append(errs, err)
		}
	}
	out.MemoryPercent = percentOf(out.RSSBytes, s.memBase)
	return out, errors.Join(errs...)
}

// Forget drops what the Sampler remembers about pid; call it when a worker is reaped.
func (s *Sampler) Forget(pid int) { delete(s.prev, pid) }

func (s *Sampler) boot() (time.Time, error) {
	if s.bootTime.IsZero() {
		bt, err := readBootTime(s.fs)
		if err != nil {
			return time.Time{}, err
		}
		s.bootTime = bt
	}
	return s.bootTime, nil
}

func percentOf(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}
