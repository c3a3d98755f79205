//go:build e2e

// Package e2e tests the resync packages the way users meet them, in a real
// systemd: Debian trees booted with systemd-nspawn, apt/rpm, systemctl and
// journalctl inside, a pool of HTTP clients outside. Run it through
// packaging/e2e.sh, which builds the trees and the packages and sets
// E2E_ROOTS (trees to boot, in order) and E2E_DIST (the dist/ directory).
package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/tests/loadclient"
)

type packages struct {
	version, deb, rpm             string // current, names relative to /dist
	prevVersion, prevDeb, prevRpm string
}

func TestPackages(t *testing.T) {
	roots := strings.Fields(os.Getenv("E2E_ROOTS"))
	dist := os.Getenv("E2E_DIST")
	if len(roots) == 0 || dist == "" {
		t.Fatal("E2E_ROOTS and E2E_DIST must be set; run packaging/e2e.sh")
	}
	p := findPackages(t, dist)
	for _, root := range roots {
		suite := filepath.Base(root)
		t.Run(suite, func(t *testing.T) {
			t.Run("deb", func(t *testing.T) { debScenario(t, boot(t, root, dist), p) })
			t.Run("rpm", func(t *testing.T) { rpmScenario(t, boot(t, root, dist), p) })
		})
	}
}

// findPackages picks the current packages in dist/ and the previous version's
// in dist/prev/ (same names with ~prev in the version).
func findPackages(t *testing.T, dist string) packages {
	one := func(pattern string) string {
		m, _ := filepath.Glob(filepath.Join(dist, pattern))
		m = slices.DeleteFunc(m, func(s string) bool {
			return strings.Contains(filepath.Base(s), "~prev") != strings.Contains(pattern, "prev")
		})
		if len(m) != 1 {
			t.Fatalf("want exactly one %s in %s, found %q", pattern, dist, m)
		}
		rel, _ := filepath.Rel(dist, m[0])
		return rel
	}
	var p packages
	p.deb, p.rpm = one("resync_*.deb"), one("resync-*.rpm")
	p.prevDeb, p.prevRpm = one("prev/resync_*.deb"), one("prev/resync-*.rpm")
	p.version = strings.Split(filepath.Base(p.deb), "_")[1]
	p.version = strings.TrimSuffix(p.version, "-1")
	p.prevVersion = strings.TrimSuffix(strings.Split(filepath.Base(p.prevDeb), "_")[1], "-1")
	return p
}

// step runs one stage. Every stage leaves resync installed and serving, so a
// failure does not stop the next; a failed first install (critical) does.
func step(t *testing.T, name string, f func(t *testing.T)) {
	if !t.Run(name, f) && critical[name] {
		t.FailNow()
	}
}

var critical = map[string]bool{"install-and-activate": true}

func debScenario(t *testing.T, c *container, p packages) {
	step(t, "install-and-activate", func(t *testing.T) {
		c.t = t
		portFree(t)
		c.must("apt-get", "install", "-y", "--no-install-recommends", "/dist/"+p.deb)
		expectActivation(t, c, p.version)
		exposure(t, c)
	})
	step(t, "reload-under-load", func(t *testing.T) { c.t = t; reloadUnderLoad(t, c) })
	step(t, "env-key-deleted-reverts", func(t *testing.T) { c.t = t; envKeyDeleted(t, c) })
	step(t, "env-file-parity", func(t *testing.T) { c.t = t; envParity(t, c) })
	step(t, "bad-env-reload-fails", func(t *testing.T) { c.t = t; badEnvReload(t, c) })
	step(t, "restart-under-load", func(t *testing.T) { c.t = t; restartUnderLoad(t, c, "systemctl", "restart", "resync") })
	step(t, "journal", func(t *testing.T) { c.t = t; journal(t, c) })
	step(t, "no-debug-routes", func(t *testing.T) { c.t = t; noDebugRoutes(t) })
	step(t, "secrets-not-in-journal", func(t *testing.T) { c.t = t; secretsNotInJournal(t, c) })
	if os.Getenv("E2E_MEASURE") != "" {
		step(t, "measure-access-log", func(t *testing.T) { c.t = t; measureAccessLog(t, c) })
	}
	step(t, "doctor", func(t *testing.T) { c.t = t; doctor(t, c) })
	step(t, "production-with-redis-server", func(t *testing.T) { c.t = t; productionWithRedis(t, c) })
	step(t, "watchdog", func(t *testing.T) { c.t = t; watchdog(t, c) })
	step(t, "admin-disable-respected", func(t *testing.T) {
		c.t = t
		c.must("systemctl", "disable", "resync.socket")
		c.must("apt-get", "install", "-y", "--reinstall", "/dist/"+p.deb)
		if got := strings.TrimSpace(output(c, "systemctl", "is-enabled", "resync.socket")); got != "disabled" {
			t.Errorf("after reinstall, resync.socket is %q; want the administrator's disable kept", got)
		}
		c.must("systemctl", "enable", "resync.socket")
	})
	step(t, "upgrade-under-load", func(t *testing.T) {
		c.t = t
		c.must("apt-get", "purge", "-y", "resync")
		c.must("apt-get", "install", "-y", "--no-install-recommends", "/dist/"+p.prevDeb)
		expectActivation(t, c, p.prevVersion)
		upgradeUnderLoad(t, c, p.version, "apt-get", "install", "-y", "--no-install-recommends", "/dist/"+p.deb)
	})
	step(t, "remove-and-purge", func(t *testing.T) {
		c.t = t
		c.must("apt-get", "remove", "-y", "resync")
		expectGone(t, c)
		if _, err := c.run("test", "-f", "/etc/resync/env"); err != nil {
			t.Errorf("remove (not purge) deleted the conffile /etc/resync/env")
		}
		c.must("apt-get", "purge", "-y", "resync")
		expectNothingLeft(t, c)
	})
}

func rpmScenario(t *testing.T, c *container, p packages) {
	step(t, "install-and-activate", func(t *testing.T) {
		c.t = t
		portFree(t)
		// --nodeps: this rpm database knows nothing of Debian's systemd package.
		c.must("rpm", "-i", "--nodeps", "/dist/"+p.prevRpm)
		expectActivation(t, c, p.prevVersion)
	})
	step(t, "upgrade-under-load", func(t *testing.T) {
		c.t = t
		upgradeUnderLoad(t, c, p.version, "rpm", "-U", "--nodeps", "/dist/"+p.rpm)
	})
	step(t, "erase", func(t *testing.T) {
		c.t = t
		c.must("rpm", "-e", "--nodeps", "resync")
		expectGone(t, c)
		for _, f := range []string{"/usr/bin/resync", "/usr/lib/systemd/system/resync.service", "/usr/lib/systemd/system/resync.socket"} {
			if _, err := c.run("test", "-e", f); err == nil {
				t.Errorf("%s is left after rpm -e", f)
			}
		}
	})
}

// portFree makes sure nothing on the host already answers on port 8000, which
// would make every later assertion meaningless.
func portFree(t *testing.T) {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:8000", time.Second)
	if err == nil {
		conn.Close()
		t.Fatal("something already listens on 127.0.0.1:8000; stop it before the e2e test")
	}
}

// expectActivation: after install the socket listens and is enabled, the
// service has not started; the first request starts it through activation.
func expectActivation(t *testing.T, c *container, version string) {
	if got := c.prop("resync.socket", "ActiveState"); got != "active" {
		t.Fatalf("resync.socket is %s after install, want active", got)
	}
	if got := c.prop("resync.socket", "UnitFileState"); got != "enabled" {
		t.Errorf("resync.socket is %s after install, want enabled", got)
	}
	if got := c.prop("resync.service", "ActiveState"); got != "inactive" {
		t.Fatalf("resync.service is %s before the first request, want inactive", got)
	}
	if out := c.must("getent", "passwd", "resync"); !strings.HasPrefix(out, "resync:") {
		t.Errorf("no resync user: %q", out)
	}
	if out := c.must("resync", "version"); strings.TrimSpace(out) != "resync "+version {
		t.Errorf("resync version = %q, want %q", strings.TrimSpace(out), "resync "+version)
	}
	start := time.Now()
	if err := get1(); err != nil {
		t.Fatalf("first request through socket activation: %v", err)
	}
	t.Logf("first request served through activation in %v", time.Since(start).Round(time.Millisecond))
	// A worker may answer before systemd has processed the master's READY=1.
	waitFor(t, 30*time.Second, "resync.service to be active", func() error {
		if got := c.prop("resync.service", "ActiveState"); got != "active" {
			return fmt.Errorf("resync.service is %s after the first request", got)
		}
		return nil
	})
}

// exposure reads systemd-analyze security for the running unit, on this
// distribution's systemd; the issue asks for 1.5 or less.
func exposure(t *testing.T, c *container) {
	out := c.must("systemd-analyze", "security", "--no-pager", "resync.service")
	m := regexp.MustCompile(`Overall exposure level for resync.service: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security: exposure %.1f", v)
	if v > 1.5 {
		t.Errorf("exposure %.1f > 1.5:\n%s", v, out)
	}
}

// status asks the master inside the container over its control socket,
// reached through the container's root.
func status(t *testing.T, c *container) control.Snapshot {
	t.Helper()
	var s control.Snapshot
	waitFor(t, 10*time.Second, "control socket", func() error {
		var err error
		s, err = control.Status(fmt.Sprintf("/proc/%d/root/run/resync/control.sock", c.leader))
		return err
	})
	return s
}

func ready(s control.Snapshot) []int {
	var pids []int
	for _, w := range s.Workers {
		if w.Generation == s.Generation && w.State == "ready" {
			pids = append(pids, w.PID)
		}
	}
	return pids
}

// warm starts a load and waits until it has been served for a while.
func warm(t *testing.T) *load { return warmOn(t, loadclient.Options{}) }

// warmOn is warm with the load of startLoadOn.
func warmOn(t *testing.T, o loadclient.Options) *load {
	l, err := startLoadOn(16, o)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "load to be served", func() error {
		if n := l.okCount(); n < 200 {
			return fmt.Errorf("%d requests served", n)
		}
		return nil
	})
	return l
}

// settle lets the load run past the action and checks it had no failure.
func settle(t *testing.T, l *load, what string) {
	t.Helper()
	mark := l.okCount()
	waitFor(t, 15*time.Second, "load to continue", func() error {
		if n := l.okCount() - mark; n < 200 {
			return fmt.Errorf("%d requests since the %s", n, what)
		}
		return nil
	})
	seen, fails := l.stop()
	t.Logf("%s under load, no retries: %s", what, seen)
	if fails != "" {
		t.Errorf("%s under load: failed requests: %s", what, fails)
	}
}

// reloadUnderLoad: two systemctl reloads in a row under load, 0 failed.
func reloadUnderLoad(t *testing.T, c *container) {
	mainPID := c.prop("resync.service", "MainPID")
	l := warm(t)
	var after control.Snapshot
	for range 2 {
		before := status(t, c)
		start := time.Now()
		c.must("systemctl", "reload", "resync")
		took := time.Since(start)
		// When systemctl reload returns, the new generation must already serve.
		after = status(t, c)
		t.Logf("systemctl reload returned after %v; generation %d -> %d", took.Round(time.Millisecond), before.Generation, after.Generation)
		if after.Generation != before.Generation+1 {
			t.Errorf("generation %d after reload, want %d", after.Generation, before.Generation+1)
		}
		if n := len(ready(after)); n < after.Target || n == 0 {
			t.Errorf("when systemctl reload returned, %d of %d new workers were ready: %+v", n, after.Target, after.Workers)
		}
	}
	if got := c.prop("resync.service", "MainPID"); got != mainPID {
		t.Errorf("reload changed the master: MainPID %s -> %s", mainPID, got)
	}
	settle(t, l, "two reloads")
	waitFor(t, 40*time.Second, "old workers to exit", func() error {
		for _, w := range status(t, c).Workers {
			if w.Generation != after.Generation {
				return fmt.Errorf("worker %d of generation %d still there", w.PID, w.Generation)
			}
		}
		return nil
	})
}

func badEnvReload(t *testing.T, c *container) {
	lines := strings.Count(c.must("cat", "/etc/resync/env"), "\n")
	c.must("sh", "-c", "cp /etc/resync/env /tmp/env.good && echo 'RESYNC_WORKERS=abc' >> /etc/resync/env")
	defer func() {
		c.must("cp", "/tmp/env.good", "/etc/resync/env")
		c.must("systemctl", "reload", "resync")
	}()
	before := status(t, c)
	l := warm(t)
	if _, err := c.run("systemctl", "reload", "resync"); err == nil {
		t.Error("systemctl reload succeeded with RESYNC_WORKERS=abc in /etc/resync/env")
	}
	after := status(t, c)
	if after.Generation != before.Generation || !slices.Equal(ready(after), ready(before)) {
		t.Errorf("a failed reload changed the workers: generation %d -> %d, ready %v -> %v",
			before.Generation, after.Generation, ready(before), ready(after))
	}
	if got := c.prop("resync.service", "ActiveState"); got != "active" {
		t.Errorf("resync.service is %s after a failed reload", got)
	}
	settle(t, l, "failed reload")
	want := fmt.Sprintf("/etc/resync/env:%d", lines+1)
	waitFor(t, 10*time.Second, "the error in the journal", func() error {
		// No --after-cursor here: once journald has flushed to /var/log/journal,
		// systemd 252 combines a cursor with -u wrongly and shows nothing. The
		// line number in want is unique to this stage anyway.
		out, _ := c.run("journalctl", "-u", "resync", "-p", "err", "--no-pager")
		if !strings.Contains(out, want) || !strings.Contains(out, "RESYNC_WORKERS") {
			return fmt.Errorf("journalctl -u resync -p err has no %q with RESYNC_WORKERS:\n%s", want, out)
		}
		return nil
	})
}

func restartUnderLoad(t *testing.T, c *container, cmd ...string) {
	mainPID := c.prop("resync.service", "MainPID")
	l := warm(t)
	c.must(cmd...)
	waitFor(t, 60*time.Second, "a new master", func() error {
		if pid := c.prop("resync.service", "MainPID"); pid == mainPID || pid == "0" {
			return fmt.Errorf("MainPID %s", pid)
		}
		return nil
	})
	settle(t, l, "restart")
}

func upgradeUnderLoad(t *testing.T, c *container, version string, cmd ...string) {
	restartUnderLoad(t, c, cmd...)
	exe := strings.TrimSpace(c.must("sh", "-c", `readlink /proc/$(systemctl show -P MainPID resync.service)/exe`))
	if exe != "/usr/bin/resync" {
		t.Errorf("after the upgrade the master runs %q, want the new /usr/bin/resync", exe)
	}
	if got := strings.TrimSpace(c.must("resync", "version")); got != "resync "+version {
		t.Errorf("after the upgrade: %q, want %q", got, "resync "+version)
	}
	if got := c.prop("resync.socket", "ActiveState"); got != "active" {
		t.Errorf("resync.socket is %s after the upgrade", got)
	}
}

// standardFields are the journal's own fields; anything else on a resync
// entry is a structured field resync sent.
var standardFields = regexp.MustCompile(`^(_.*|__.*|MESSAGE|MESSAGE_ID|PRIORITY|SYSLOG_.*|CODE_.*|INVOCATION_ID|UNIT|USER_UNIT|TID|ERRNO|JOB_.*|EXIT_.*|OBJECT_.*|N_RESTARTS|CPU_USAGE_NSEC|MEMORY_.*|IO_METRIC_.*)$`)

func journal(t *testing.T, c *container) {
	errs := c.must("journalctl", "-u", "resync", "-p", "err", "--no-pager")
	if !strings.Contains(errs, "RESYNC_WORKERS") {
		t.Errorf("journalctl -u resync -p err does not show the bad env file error:\n%s", errs)
	}
	out := c.must("journalctl", "-u", "resync", "-o", "json", "--no-pager")
	seen := map[string]bool{}
	for line := range strings.Lines(out) {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("journalctl -o json line is not JSON: %v: %.200s", err, line)
		}
		if e["SYSLOG_IDENTIFIER"] == "systemd" {
			continue
		}
		for k := range e {
			if !standardFields.MatchString(k) {
				seen[k] = true
			}
		}
	}
	fields := slices.Sorted(func(yield func(string) bool) {
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	})
	t.Logf("structured fields in the journal: %v", fields)
	if len(fields) == 0 {
		t.Error("journalctl -u resync -o json shows no structured field from resync")
	}
}

func watchdog(t *testing.T, c *container) {
	pid := c.prop("resync.service", "MainPID")
	restarts, _ := strconv.Atoi(c.prop("resync.service", "NRestarts"))
	cur := c.cursor()
	c.must("sh", "-c", "kill -STOP "+pid)
	start := time.Now()
	waitFor(t, 60*time.Second, "systemd to restart the stopped master", func() error {
		n, _ := strconv.Atoi(c.prop("resync.service", "NRestarts"))
		now := c.prop("resync.service", "MainPID")
		state := c.prop("resync.service", "ActiveState")
		if n <= restarts || now == pid || now == "0" || state != "active" {
			return fmt.Errorf("NRestarts %d, MainPID %s, %s", n, now, state)
		}
		return nil
	})
	t.Logf("watchdog restart %v after SIGSTOP", time.Since(start).Round(time.Millisecond))
	if err := get1(); err != nil {
		t.Errorf("after the watchdog restart: %v", err)
	}
	out := c.must("journalctl", "-u", "resync", "--no-pager", "--after-cursor", cur)
	if !strings.Contains(out, "atchdog timeout") {
		t.Errorf("no watchdog timeout in the journal:\n%s", out)
	}
}

// expectGone: after removal nothing runs and nothing listens.
func expectGone(t *testing.T, c *container) {
	for _, u := range []string{"resync.socket", "resync.service"} {
		if out, _ := c.run("systemctl", "is-active", u); strings.TrimSpace(out) == "active" {
			t.Errorf("%s still active after removal", u)
		}
	}
	waitFor(t, 20*time.Second, "resync processes to exit", func() error {
		out, _ := c.sh(`for p in /proc/[0-9]*; do readlink $p/exe; done`)
		if strings.Contains(out, "resync") {
			return errors.New("a resync process is still running")
		}
		return nil
	})
	conn, err := net.DialTimeout("tcp", "127.0.0.1:8000", time.Second)
	if err == nil {
		conn.Close()
		t.Error("port 8000 still accepts connections after removal")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("port 8000 after removal: %v, want connection refused", err)
	}
}

// expectNothingLeft: after purge no file, unit, enable link or state remains.
// The resync user stays, as Debian does for system users.
func expectNothingLeft(t *testing.T, c *container) {
	for _, f := range []string{"/etc/resync", "/var/lib/resync", "/var/log/resync", "/run/resync",
		"/usr/bin/resync", "/usr/lib/systemd/system/resync.service", "/usr/lib/systemd/system/resync.socket",
		"/usr/lib/sysusers.d/resync.conf"} {
		if _, err := c.run("test", "-e", f); err == nil {
			t.Errorf("%s is left after purge", f)
		}
	}
	if out, _ := c.sh("find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled -name '*resync*' 2>/dev/null"); out != "" {
		t.Errorf("systemd links or state left after purge:\n%s", out)
	}
	if out, _ := c.run("systemctl", "list-unit-files", "--no-legend", "resync*"); strings.TrimSpace(out) != "" {
		t.Errorf("unit files still known after purge:\n%s", out)
	}
	if out, _ := c.run("dpkg-query", "-W", "-f", "${db:Status-Status}", "resync"); out != "" && out != "not-installed" {
		t.Errorf("dpkg status after purge: %q", out)
	}
}

// output runs a command whose exit status does not matter, for its output.
func output(c *container, args ...string) string {
	out, _ := c.run(args...)
	return out
}

// doctor runs `resync doctor` as an administrator would, in production mode:
// with no RESYNC_REDIS_URL it must fail (resync serve would refuse it) and
// say so line by line.
func doctor(t *testing.T, c *container) {
	c.must("sh", "-c", "cp /etc/resync/env /tmp/env.doctor && echo RESYNC_MODE=production >> /etc/resync/env")
	defer c.must("cp", "/tmp/env.doctor", "/etc/resync/env")
	out, err := c.run("resync", "doctor")
	t.Logf("resync doctor:\n%s", out)
	if err == nil {
		t.Error("resync doctor succeeded in production mode without Redis")
	}
	for _, want := range []string{"✓ mode: RESYNC_MODE=production", "✓ workers: ", "✗ redis: RESYNC_REDIS_URL is empty, and RESYNC_MODE=production needs a Redis", "✗ tokens: ",
		"memory limit: ", "✓ health /api/v1/health/live: ", "✓ metrics: ", "load profile: "} {
		if !strings.Contains(out, want) {
			t.Errorf("resync doctor output lacks %q", want)
		}
	}
}
