package procstat

import (
	"errors"
	"runtime"
)

// HostSample is the host's (or the cgroup's) state at one instant.
type HostSample struct {
	CPUs                 int // usable by this process
	Load1, Load5, Load15 float64
	MemTotalBytes        uint64
	MemAvailableBytes    uint64
	// MemLimitBytes is the cgroup memory limit of the current process, 0 when
	// none is set. MemoryPercent of every ProcSample divides by it when set.
	MemLimitBytes uint64
}

// Host reads load averages, memory and the cgroup memory limit. Failing
// sources are returned joined; the sample holds the rest. It also refreshes the
// base of ProcSample.MemoryPercent, so the master calls it once per tick.
func (s *Sampler) Host() (HostSample, error) {
	h := HostSample{CPUs: runtime.NumCPU()}
	if s.fsErr != nil {
		return h, s.fsErr
	}
	var errs []error
	var err error
	if h.Load1, h.Load5, h.Load15, err = readLoad(s.fs); err != nil {
		errs = append(errs, err)
	}
	if h.MemTotalBytes, h.MemAvailableBytes, err = readMeminfo(s.fs); err != nil {
		errs = append(errs, err)
	}
	if s.limits == nil {
		files, err := readCgroupLimitFiles(s.fs)
		if err != nil {
			errs = append(errs, err)
		} else {
			s.limits = append([]string{}, files...) // non-nil: resolved, maybe to none
		}
	}
	if h.MemLimitBytes, err = readCgroupLimit(s.root, s.limits); err != nil {
		errs = append(errs, err)
	}
	s.memBase = h.MemTotalBytes
	if h.MemLimitBytes != 0 && (s.memBase == 0 || h.MemLimitBytes < s.memBase) {
		s.memBase = h.MemLimitBytes
	}
	return h, errors.Join(errs...)
}
