package procstat

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// noLimit is where a cgroup limit stops being a limit. cgroup v1 writes
// "unlimited" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages);
// no machine has 4 EiB, so anything this large means none.
const noLimit = 1 << 62

// readCgroupLimitFiles finds, from /proc/self/cgroup and /proc/self/mountinfo,
// the files that may hold this process's memory limit: memory.max and
// memory.high on cgroup v2, memory.limit_in_bytes on v1, in its own cgroup and
// every ancestor (a limit on a parent slice binds too). Paths are host paths.
func readCgroupLimitFiles(pfs procfs.FS) ([]string, error) {
	self, err := pfs.Self()
	if err != nil {
		return nil, fmt.Errorf("find cgroup: %w", err)
	}
	cgs, err := self.Cgroups()
	if err != nil {
		return nil, fmt.Errorf("find cgroup: %w", err)
	}
	mounts, err := self.MountInfo()
	if err != nil {
		return nil, fmt.Errorf("find cgroup mounts: %w", err)
	}
	return cgroupLimitFiles(cgs, mounts), nil
}

// cgroupLimitFiles resolves the limit files for a process placed in cgs. The v1
// memory controller wins over v2 (on a hybrid host memory is accounted there).
// No memory cgroup at all yields no files: no limit.
func cgroupLimitFiles(cgs []procfs.Cgroup, mounts []*procfs.MountInfo) []string {
	for _, cg := range cgs {
		if !slices.Contains(cg.Controllers, "memory") {
			continue
		}
		for _, m := range mounts {
			if _, ok := m.SuperOptions["memory"]; ok && m.FSType == "cgroup" {
				return ancestors(m, cg.Path, "memory.limit_in_bytes")
			}
		}
	}
	for _, cg := range cgs {
		if cg.HierarchyID != 0 || len(cg.Controllers) != 0 {
			continue
		}
		for _, m := range mounts {
			if m.FSType == "cgroup2" {
				return ancestors(m, cg.Path, "memory.max", "memory.high")
			}
		}
	}
	return nil
}

// ancestors lists names in the cgroup directory of cgPath under mount m and in
// each parent up to the mount point, leaf first.
func ancestors(m *procfs.MountInfo, cgPath string, names ...string) []string {
	rel := cgPath
	if m.Root != "/" && strings.HasPrefix(cgPath, m.Root) {
		rel = strings.TrimPrefix(cgPath, m.Root) // a container sees its own cgroup as the mount root
	}
	var files []string
	for dir := path.Clean("/" + rel); ; dir = path.Dir(dir) {
		for _, n := range names {
			files = append(files, path.Join(m.MountPoint, dir, n))
		}
		if dir == "/" {
			return files
		}
	}
}

// parseCgroupLimit parses the contents of a memory limit file. "max" (v2) and
// absurdly large values (v1's "unlimited") mean no limit: ok is false.
func parseCgroupLimit(s string) (limit uint64, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return 0, false, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("parse memory limit %q: %w", s, err)
	}
	if v >= noLimit || v == 0 {
		return 0, false, nil
	}
	return v, true, nil
}

// readCgroupLimit reads the files (host paths, looked up under root) and
// returns the smallest limit, 0 for none. A missing file is no limit: the root
// cgroup has none of them.
func readCgroupLimit(root string, files []string) (uint64, error) {
	var limit uint64
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("read cgroup limit: %w", err))
			continue
		}
		v, ok, err := parseCgroupLimit(string(b))
		if err != nil {
			errs = append(errs, fmt.Errorf("read cgroup limit %s: %w", f, err))
			continue
		}
		if ok && (limit == 0 || v < limit) {
			limit = v
		}
	}
	return limit, errors.Join(errs...)
}

// MemoryLimit is the memory limit in force on the cgroup of process pid (not
// necessarily this process: `resync doctor` asks about the master), the
// smallest over its cgroup and every ancestor; 0 for none. Mount points come
// from this process's mountinfo. procRoot is /proc outside tests.
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
		return 0, fmt.Errorf("find cgroup mounts: %w", err)
	}
	mounts, err := self.MountInfo()
	if err != nil {
		return 0, fmt.Errorf("find cgroup mounts: %w", err)
	}
	return readCgroupLimit(filepath.Dir(filepath.Clean(procRoot)), cgroupLimitFiles(cgs, mounts))
}
