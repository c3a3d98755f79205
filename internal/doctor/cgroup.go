package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// MemoryLimit returns the memory limit in force on the cgroup of process pid
// (the master), the smallest of memory.max and memory.high (cgroup v2) or
// memory.limit_in_bytes (v1) on its cgroup and every ancestor; 0 for none.
// procRoot is /proc; cgroup mount points come from this process's mountinfo,
// since the master may run in its own mount namespace.
func MemoryLimit(procRoot string, pid int) (uint64, error) {
	pfs, err := procfs.NewFS(procRoot)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", procRoot, err)
	}
	p, err := pfs.Proc(pid)
	if err != nil {
		return 0, fmt.Errorf("read cgroup of pid %d: %w", pid, err)
	}
	cgs, err := p.Cgroups()
	if err != nil {
		return 0, fmt.Errorf("read cgroup of pid %d: %w", pid, err)
	}
	self, err := pfs.Self()
	if err != nil {
		return 0, fmt.Errorf("read mounts: %w", err)
	}
	mounts, err := self.MountInfo()
	if err != nil {
		return 0, fmt.Errorf("read mounts: %w", err)
	}
	return smallestLimit(limitFiles(cgs, mounts))
}

// limitFiles lists the limit files of the cgroup and its ancestors. The v1
// memory controller wins on a hybrid host, where memory is accounted there.
func limitFiles(cgs []procfs.Cgroup, mounts []*procfs.MountInfo) []string {
	for _, cg := range cgs {
		for _, c := range cg.Controllers {
			if c != "memory" {
				continue
			}
			for _, m := range mounts {
				if _, ok := m.SuperOptions["memory"]; ok && m.FSType == "cgroup" {
					return upward(m, cg.Path, "memory.limit_in_bytes")
				}
			}
		}
	}
	for _, cg := range cgs {
		if cg.HierarchyID != 0 {
			continue
		}
		for _, m := range mounts {
			if m.FSType == "cgroup2" {
				return upward(m, cg.Path, "memory.max", "memory.high")
			}
		}
	}
	return nil
}

func upward(m *procfs.MountInfo, cgPath string, names ...string) []string {
	rel := strings.TrimPrefix(cgPath, strings.TrimSuffix(m.Root, "/"))
	var files []string
	for dir := path.Clean("/" + rel); ; dir = path.Dir(dir) {
		for _, n := range names {
			files = append(files, filepath.Join(m.MountPoint, dir, n))
		}
		if dir == "/" {
			return files
		}
	}
}

// smallestLimit reads the files; "max", 0 and v1's huge "unlimited" value are
// no limit, and so is a missing file (the root cgroup has none).
func smallestLimit(files []string) (uint64, error) {
	var limit uint64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read memory limit: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			continue
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read memory limit %s: %q is not a number", f, s)
		}
		if v != 0 && v < 1<<62 && (limit == 0 || v < limit) {
			limit = v
		}
	}
	return limit, nil
}
