package procstat

import (
	"fmt"

	"github.com/prometheus/procfs"
)

// readMeminfo reads MemTotal and MemAvailable from /proc/meminfo, in bytes.
func readMeminfo(fs procfs.FS) (total, available uint64, err error) {
	mi, err := fs.Meminfo()
	if err != nil {
		return 0, 0, fmt.Errorf("read meminfo: %w", err)
	}
	if mi.MemTotalBytes == nil || *mi.MemTotalBytes == 0 {
		return 0, 0, fmt.Errorf("read meminfo: no MemTotal")
	}
	total = *mi.MemTotalBytes
	if mi.MemAvailableBytes != nil {
		available = *mi.MemAvailableBytes
	} else if mi.MemFreeBytes != nil { // kernels before 3.14
		available = *mi.MemFreeBytes
	}
	return total, available, nil
}
