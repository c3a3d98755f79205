package procstat

import (
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// readBootTime reads btime from /proc/stat. It never changes, so the Sampler
// reads it once: parsing all of /proc/stat on every tick would be waste.
func readBootTime(fs procfs.FS) (time.Time, error) {
	st, err := fs.Stat()
	if err != nil {
		return time.Time{}, fmt.Errorf("read boot time: %w", err)
	}
	if st.BootTime == 0 {
		return time.Time{}, fmt.Errorf("read boot time: no btime line in stat")
	}
	return time.Unix(int64(st.BootTime), 0), nil
}
