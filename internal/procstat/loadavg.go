package procstat

import (
	"fmt"

	"github.com/prometheus/procfs"
)

// readLoad reads /proc/loadavg.
func readLoad(fs procfs.FS) (l1, l5, l15 float64, err error) {
	la, err := fs.LoadAvg()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("read loadavg: %w", err)
	}
	return la.Load1, la.Load5, la.Load15, nil
}
