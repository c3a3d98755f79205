package procstat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// MemoryLimit of another process (the master, as `resync doctor` asks it).
// writeProc lays out a fake /proc: <pid>/cgroup for the master, self/mountinfo
// for the doctor, and the cgroup files under root.
func writeProc(t *testing.T, cgroup, mountinfo string, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	proc, root := filepath.Join(dir, "proc"), filepath.Join(dir, "sys")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(proc, "42"), 0o755))
	must(os.MkdirAll(filepath.Join(proc, "7"), 0o755))
	must(os.Symlink("7", filepath.Join(proc, "self")))
	must(os.WriteFile(filepath.Join(proc, "42", "cgroup"), []byte(cgroup), 0o644))
	// Mount points as the host names them; files are looked up under dir.
	must(os.WriteFile(filepath.Join(proc, "7", "mountinfo"), []byte(strings.ReplaceAll(mountinfo, "ROOT", "/sys")), 0o644))
	for name, v := range files {
		p := filepath.Join(root, name)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, []byte(v), 0o644))
	}
	return proc, root
}

func TestMemoryLimit(t *testing.T) {
	const v2 = "30 23 0:26 / ROOT/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw\n"
	const v1 = "31 23 0:27 / ROOT/fs/cgroup/memory rw,nosuid shared:5 - cgroup cgroup rw,memory\n" +
		"32 23 0:28 / ROOT/fs/cgroup/unified rw,nosuid shared:6 - cgroup2 cgroup2 rw\n"
	for _, tc := range []struct {
		name, cgroup, mounts string
		files                map[string]string
		want                 uint64
	}{
		{"v2 memory.max", "0::/system.slice/resync.service\n", v2, map[string]string{
			"fs/cgroup/system.slice/resync.service/memory.max":  "2147483648\n",
			"fs/cgroup/system.slice/resync.service/memory.high": "max\n"}, 2 << 30},
		{"v2 memory.high below max", "0::/system.slice/resync.service\n", v2, map[string]string{
			"fs/cgroup/system.slice/resync.service/memory.max":  "2147483648\n",
			"fs/cgroup/system.slice/resync.service/memory.high": "1073741824\n"}, 1 << 30},
		{"v2 limit on the parent slice", "0::/system.slice/resync.service\n", v2, map[string]string{
			"fs/cgroup/system.slice/resync.service/memory.max": "max\n",
			"fs/cgroup/system.slice/memory.max":                "536870912\n"}, 512 << 20},
		{"v2 none", "0::/system.slice/resync.service\n", v2, map[string]string{
			"fs/cgroup/system.slice/resync.service/memory.max": "max\n"}, 0},
		{"v1 hybrid", "4:memory:/system.slice/resync.service\n0::/system.slice/resync.service\n", v1, map[string]string{
			"fs/cgroup/memory/system.slice/resync.service/memory.limit_in_bytes": "1073741824\n",
			"fs/cgroup/memory/memory.limit_in_bytes":                             "9223372036854771712\n"}, 1 << 30},
	} {
		proc, _ := writeProc(t, tc.cgroup, tc.mounts, tc.files)
		got, err := MemoryLimit(proc, 42)
		if err != nil || got != tc.want {
			t.Errorf("%s: MemoryLimit = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
	proc, _ := writeProc(t, "0::/x\n", v2, map[string]string{"fs/cgroup/x/memory.max": "lots\n"})
	if _, err := MemoryLimit(proc, 42); err == nil || !strings.Contains(err.Error(), "lots") {
		t.Errorf("garbage limit: err = %v, want it named", err)
	}
	if _, err := MemoryLimit(proc, 99); err == nil {
		t.Error("missing pid: no error")
	}
}
