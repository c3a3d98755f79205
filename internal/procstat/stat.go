package procstat

import (
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// userHZ is USER_HZ, the unit of utime, stime and starttime in /proc/<pid>/stat.
// It is 100 on every Linux ABI Go supports; procfs assumes the same.
const userHZ = 100

type statFields struct {
	ticks      uint64 // utime + stime
	startTicks uint64 // since boot
	threads    int
	rssBytes   uint64
}

// readStat reads /proc/<pid>/stat.
func readStat(fs procfs.FS, pid int) (statFields, error) {
	p, err := fs.Proc(pid)
	if err != nil {
		return statFields{}, fmt.Errorf("read stat of pid %d: %w", pid, err)
	}
	st, err := p.Stat()
	if err != nil {
		return statFields{}, fmt.Errorf("read stat of pid %d: %w", pid, err)
	}
	rss := st.ResidentMemory()
	if rss < 0 {
		rss = 0
	}
	return statFields{
		ticks:      uint64(st.UTime) + uint64(st.STime),
		startTicks: st.Starttime,
		threads:    st.NumThreads,
		rssBytes:   uint64(rss),
	}, nil
}

// cpuPercent turns a CPU tick delta over a wall interval into percent of one core.
func cpuPercent(prevTicks, ticks uint64, wall time.Duration) float64 {
	if wall <= 0 || ticks < prevTicks {
		return 0
	}
	return 100 * (float64(ticks-prevTicks) / userHZ) / wall.Seconds()
}

func startTime(boot time.Time, startTicks uint64) time.Time {
	return boot.Add(time.Duration(startTicks) * (time.Second / userHZ))
}
