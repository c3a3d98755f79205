package procstat

import (
	"fmt"

	"github.com/prometheus/procfs"
)

// readFDCount counts the entries of /proc/<pid>/fd. Another user's process
// needs CAP_SYS_PTRACE; that failure is reported, not fatal.
func readFDCount(fs procfs.FS, pid int) (int, error) {
	p, err := fs.Proc(pid)
	if err != nil {
		return 0, fmt.Errorf("count fds of pid %d: %w", pid, err)
	}
	n, err := p.FileDescriptorsLen()
	if err != nil {
		return 0, fmt.Errorf("count fds of pid %d: %w", pid, err)
	}
	return n, nil
}
