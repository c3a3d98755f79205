package integration

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A stopped worker sends no heartbeat: after RESYNC_TIMEOUT it is logged as
// WORKER TIMEOUT with every goroutine's stack, killed and replaced.
func TestStoppedWorkerIsTimedOutAndReplaced(t *testing.T) {
	const timeout = 3 * time.Second
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_TIMEOUT=3"}})
	m.waitReady(false)
	pids := m.waitWorkers(2, 10*time.Second)
	victim := pids[0]
	stopped := time.Now()
	if err := syscall.Kill(victim, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	timedOut := logTime(t, m.waitLog(fmt.Sprintf(`(\S+) \S+ \[CRITICAL\] WORKER TIMEOUT \(pid:%d\)`, victim), timeout+5*time.Second)[1])
	var replacement int
	waitUntil(t, timeout+10*time.Second, "a replacement worker", func() bool {
		now := m.readyPIDs()
		for _, pid := range now {
			if !slices.Contains(pids, pid) {
				replacement = pid
			}
		}
		return len(now) == 2 && !slices.Contains(now, victim)
	})
	// What the master controls, read from its own log: how soon it noticed the
	// silence, and how soon it spawned the replacement (booted minus boot_time).
	// The boot itself is the machine's speed, not the master's policy.
	booted := m.waitLog(fmt.Sprintf(`(\S+) INFO worker booted worker_pid=%d generation=1 boot_time=(\S+)`, replacement), 5*time.Second)
	bootTime, err := time.ParseDuration(booted[2])
	if err != nil {
		t.Fatal(err)
	}
	spawned := logTime(t, booted[1]).Add(-bootTime)
	noticed := timedOut.Sub(stopped)
	t.Logf("SIGSTOP → WORKER TIMEOUT %s, → replacement spawned %s, ready %s later (RESYNC_TIMEOUT %s)",
		noticed.Round(time.Millisecond), spawned.Sub(stopped).Round(time.Millisecond), bootTime, timeout)
	// A beat is due every timeout/4 (at most 1 s): the silence began at most
	// that long before SIGSTOP, and the master checks every 100 ms.
	if noticed < timeout-time.Second || noticed > timeout+time.Second {
		t.Errorf("WORKER TIMEOUT %s after SIGSTOP, want RESYNC_TIMEOUT ± 1 s", noticed)
	}
	if d := spawned.Sub(timedOut); d > 2*time.Second {
		t.Errorf("replacement spawned %s after the timeout, want ≤ 2 s (SIGABRT, reap, spawn)", d)
	}
	// The SIGABRT woke by SIGCONT dumps all goroutines, the serving ones included.
	m.waitLog(`(?s)SIGABRT.*goroutine \d+ .*net/http\.\(\*Server\)\.Serve`, 10*time.Second)
	waitUntil(t, 10*time.Second, "the stopped worker gone", func() bool { return !alive(victim) })
}

// A worker killed outright is replaced.
func TestKilledWorkerIsReplaced(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2"}})
	m.waitReady(false)
	pids := m.waitWorkers(2, 10*time.Second)
	syscall.Kill(pids[1], syscall.SIGKILL)
	m.waitLog(fmt.Sprintf(`worker died.*worker_pid=%d.*signal killed`, pids[1]), 10*time.Second)
	now := m.waitWorkers(2, 10*time.Second)
	if slices.Contains(now, pids[1]) {
		t.Fatalf("killed worker %d still listed", pids[1])
	}
	if resp, _ := get(t, m.url("/api/v1/health/live")); resp.StatusCode != 200 {
		t.Fatalf("after replacement: %d", resp.StatusCode)
	}
}

// Workers never outlive their master, even one killed with SIGKILL.
func TestWorkersDieWithKilledMaster(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=3"}})
	m.waitReady(false)
	pids := m.waitWorkers(3, 10*time.Second)
	m.signal(syscall.SIGKILL)
	m.waitExit(5 * time.Second)
	waitUntil(t, 5*time.Second, "every worker gone", func() bool {
		for _, pid := range pids {
			if alive(pid) {
				return false
			}
		}
		return true
	})
}

// A bad env file on reload: the error names file:line and key, the old
// workers keep serving, `resync reload` fails; fixed, the reload goes through.
func TestBadEnvFileOnReloadKeepsOldWorkers(t *testing.T) {
	m := startMaster(t, opts{envFile: "# resync\nRESYNC_WORKERS=2\n"})
	m.waitReady(false)
	before := m.waitWorkers(2, 10*time.Second)
	l := startLoad(t, m.url("/api/v1/health/live"), 4)
	l.waitServed(t, 50)

	writeFile(t, m.envFile, "# resync\nRESYNC_WORKERS=2\nRESYNC_TIMEOUT=soon\n")
	m.signal(syscall.SIGHUP)
	m.waitLog(`reload failed: invalid configuration.*env:3: RESYNC_TIMEOUT=\\?"soon\\?"`, 10*time.Second)
	out, err := exec.Command(binary, "reload", "--runtime-dir", m.runtime).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "env:3") || !strings.Contains(string(out), "RESYNC_TIMEOUT") {
		t.Errorf("resync reload with a bad file: err=%v, output:\n%s", err, out)
	}
	l.waitServed(t, 50)
	if now := m.waitWorkers(2, 5*time.Second); !slices.Equal(now, before) {
		t.Errorf("workers changed after a failed reload: %v → %v", before, now)
	}
	if s := m.status(); !strings.HasPrefix(s.LastReload, "failed") {
		t.Errorf("status last reload = %q, want failed…", s.LastReload)
	}

	writeFile(t, m.envFile, "RESYNC_WORKERS=3\n")
	if out, err := exec.Command(binary, "reload", "--runtime-dir", m.runtime).CombinedOutput(); err != nil {
		t.Fatalf("resync reload with a fixed file: %v\n%s", err, out)
	}
	m.waitWorkers(3, 10*time.Second)
	l.expectNoFailures(t)
}

// Workers that cannot boot are retried with backoff; when none ever serves the
// master gives up with a non-zero exit saying why.
func TestCrashLoopStopsMaster(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "TESTHOOK_BOOT_CRASH=1"}})
	code := m.waitExit(60 * time.Second)
	if code == 0 {
		t.Fatal("master exited 0 although no worker could boot")
	}
	log := m.log.String()
	if n := strings.Count(log, ` worker failed to boot `); n < 2 {
		t.Errorf("%d boot failures logged, want retries", n)
	}
	if !strings.Contains(log, "no worker could boot") {
		t.Errorf("log does not say why the master stopped:\n%s", log)
	}
}

// Workers are named resync in top, pidof and the journal, although they are
// exec'd through /proc/self/exe.
func TestWorkersAreNamedResync(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2"}})
	m.waitReady(false)
	for _, pid := range m.waitWorkers(2, 10*time.Second) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(b)) != "resync" {
			t.Errorf("worker %d is named %q (%v)", pid, b, err)
		}
	}
}

// logTime parses the timestamp that starts a master log line.
func logTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("log timestamp %q: %v", s, err)
	}
	return ts
}
