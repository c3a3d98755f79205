//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// container is a Debian tree booted with systemd-nspawn: real systemd as PID 1,
// sharing the host's network namespace so the host reaches its port 8000.
// --volatile=overlay keeps the cached tree clean; dist/ is bound read-only at /dist.
type container struct {
	t      *testing.T
	name   string
	cgroup string
	nspawn *exec.Cmd
	exited chan struct{}
	log    bytes.Buffer
	leader int // host pid of the container's PID 1
}

// boot starts the container and waits until systemd reports the system up.
func boot(t *testing.T, root, dist string) *container {
	t.Helper()
	c := &container{t: t, name: "resync-e2e-" + filepath.Base(root), exited: make(chan struct{})}
	// Without a host systemd nothing gives the container a cgroup of its own:
	// make one in the name=systemd hierarchy (v1 hybrid here) or in the unified
	// one, and start nspawn inside it so the container's systemd owns that subtree.
	for _, base := range []string{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(base, "cgroup.procs")); err == nil {
			c.cgroup = filepath.Join(base, c.name)
			break
		}
	}
	if c.cgroup == "" {
		t.Fatal("no writable cgroup hierarchy under /sys/fs/cgroup")
	}
	removeCgroup(c.cgroup)
	if err := os.Mkdir(c.cgroup, 0o755); err != nil {
		t.Fatalf("create cgroup: %v", err)
	}
	script := `echo $$ > "$1/cgroup.procs" && shift && exec "$@"`
	c.nspawn = exec.Command("sh", "-c", script, "sh", c.cgroup,
		"systemd-nspawn", "--quiet", "-D", root, "--volatile=overlay", "--boot",
		"--register=no", "--keep-unit", "--console=passive", "--machine="+c.name,
		"--bind-ro="+dist+":/dist")
	c.nspawn.Stdout, c.nspawn.Stderr = &c.log, &c.log
	c.nspawn.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.nspawn.Start(); err != nil {
		t.Fatalf("start systemd-nspawn: %v", err)
	}
	go func() { c.nspawn.Wait(); close(c.exited) }()
	t.Cleanup(c.shutdown)

	// The container's PID 1 is nspawn's only child.
	waitFor(t, 20*time.Second, "container PID 1", func() error {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", c.nspawn.Process.Pid, c.nspawn.Process.Pid))
		if err != nil {
			return err
		}
		f := strings.Fields(string(b))
		if len(f) != 1 {
			return fmt.Errorf("nspawn children: %q (log: %s)", f, c.log.String())
		}
		if c.leader, err = strconv.Atoi(f[0]); err != nil {
			return err
		}
		// nspawn's child execs systemd once the container is set up.
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c.leader)); strings.TrimSpace(string(comm)) != "systemd" {
			return fmt.Errorf("container PID 1 is %q, not yet systemd", strings.TrimSpace(string(comm)))
		}
		return nil
	})
	// is-system-running says "offline" until systemd's private socket is up.
	var state string
	waitFor(t, 60*time.Second, c.name+" to boot", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, _ := c.runCtx(ctx, "systemctl", "is-system-running", "--wait")
		if state = strings.TrimSpace(out); state != "running" && state != "degraded" {
			return fmt.Errorf("is-system-running: %q; nspawn: %s", state, c.log.String())
		}
		return nil
	})
	if state == "degraded" {
		failed, _ := c.run("systemctl", "--failed", "--no-pager")
		t.Logf("%s booted degraded:\n%s", c.name, failed)
	}
	return c
}

// shutdown powers the container off (nspawn turns SIGTERM into a clean
// poweroff), kills it if that takes too long, and removes its cgroup.
func (c *container) shutdown() {
	if c.t.Failed() && c.leader != 0 {
		out, _ := c.run("journalctl", "-b", "--no-pager", "-n", "400", "-o", "short-monotonic")
		c.t.Logf("journal of %s (last 400 lines):\n%s", c.name, out)
	}
	c.nspawn.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		c.t.Errorf("%s did not power off in 20s; killing it", c.name)
		syscall.Kill(-c.nspawn.Process.Pid, syscall.SIGKILL)
		killCgroup(c.cgroup)
		<-c.exited
	}
	if err := removeCgroup(c.cgroup); err != nil {
		c.t.Errorf("remove cgroup %s: %v", c.cgroup, err)
	}
}

// run executes a command inside the container (all its namespaces) with a
// clean environment, returning stdout; on failure the error carries stderr.
func (c *container) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return c.runCtx(ctx, args...)
}

func (c *container) runCtx(ctx context.Context, args ...string) (string, error) {
	full := append([]string{"-t", strconv.Itoa(c.leader), "-a", "--",
		"env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s: %w\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), err
}

// must runs a command that has to succeed.
func (c *container) must(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// sh runs a shell snippet inside the container (dash: kill and test are builtins).
func (c *container) sh(script string) (string, error) { return c.run("sh", "-c", script) }

// prop reads one property of a unit.
func (c *container) prop(unit, name string) string {
	c.t.Helper()
	return strings.TrimSpace(c.must("systemctl", "show", "-P", name, unit))
}

// workers lists the child pids of the service's main process.
func (c *container) workers() []string {
	c.t.Helper()
	out, err := c.sh(`cat /proc/$(systemctl show -P MainPID resync.service)/task/*/children`)
	if err != nil {
		c.t.Fatal(err)
	}
	return strings.Fields(out)
}

// cursor returns the journal position now, for reading only what follows.
func (c *container) cursor() string {
	c.t.Helper()
	out := c.must("journalctl", "-n", "0", "--show-cursor", "--no-pager")
	_, cur, ok := strings.Cut(out, "-- cursor: ")
	if !ok {
		c.t.Fatalf("no journal cursor in %q", out)
	}
	return strings.TrimSpace(cur)
}

func killCgroup(dir string) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if b, err := os.ReadFile(filepath.Join(p, "cgroup.procs")); err == nil {
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil {
						syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			}
		}
		return nil
	})
}

// removeCgroup removes a cgroup and the subtree the container's systemd made,
// deepest first; they are empty once the container is gone.
func removeCgroup(dir string) error {
	var dirs []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	var errs []error
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Remove(dirs[i]); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// waitFor polls cond until it returns nil or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %v: %v", what, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
