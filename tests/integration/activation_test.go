package integration

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Under systemd-socket-activate, as under systemd: the first connection starts
// resync, is held in the socket's backlog and answered; systemd hears READY=1
// only once the workers serve, WATCHDOG=1 while they do, RELOADING=1 with
// MONOTONIC_USEC then READY=1 on HUP, and STOPPING=1 on TERM.
func TestSocketActivationAndNotifySequence(t *testing.T) {
	if _, err := exec.LookPath("systemd-socket-activate"); err != nil {
		t.Fatal("systemd-socket-activate is needed (Debian package systemd): ", err)
	}
	m := startMaster(t, opts{activated: true, env: []string{"RESYNC_WORKERS=3"}, watchdog: 2 * time.Second})
	resp, body := m.firstRequest() // starts the master on first connect
	if resp.StatusCode != 200 || !strings.Contains(body, `"status":"alive"`) {
		t.Fatalf("first request through activation: %d %s", resp.StatusCode, body)
	}
	m.waitLog(`using socket from systemd.*name=http`, 10*time.Second)

	ready := m.notify.waitFor(t, "READY=1", 0, 30*time.Second)
	// The STATUS that accompanies READY=1 must already count every worker ready.
	st := m.notify.waitFor(t, "STATUS=", ready, 5*time.Second)
	if s := m.notify.all()[st]["STATUS"]; !strings.HasPrefix(s, "3/3 workers ready") {
		t.Errorf("STATUS after READY=1 = %q, want 3/3 workers ready", s)
	}
	for i, msg := range m.notify.all()[:ready] {
		if strings.HasPrefix(msg["STATUS"], "3/3") {
			t.Errorf("message %d before READY=1 already said %q", i, msg["STATUS"])
		}
	}
	// Watchdog pings at half of WATCHDOG_USEC: two within 3 s.
	pings := m.notify.count("WATCHDOG")
	waitUntil(t, 5*time.Second, "two WATCHDOG=1 pings", func() bool { return m.notify.count("WATCHDOG") >= pings+2 })

	m.signal(syscall.SIGHUP)
	rl := m.notify.waitFor(t, "RELOADING=1", ready+1, 10*time.Second)
	usec, err := strconv.ParseInt(m.notify.all()[rl]["MONOTONIC_USEC"], 10, 64)
	if err != nil || usec <= 0 {
		t.Errorf("RELOADING=1 without a valid MONOTONIC_USEC: %v", m.notify.all()[rl])
	}
	m.notify.waitFor(t, "READY=1", rl+1, 30*time.Second)
	m.waitWorkers(3, 10*time.Second)
	if resp, _ := get(t, m.url("/api/v1/health/ready")); resp.StatusCode != 200 {
		t.Errorf("after reload: ready = %d", resp.StatusCode)
	}

	m.signal(syscall.SIGTERM)
	m.notify.waitFor(t, "STOPPING=1", rl+1, 10*time.Second)
	if code := m.waitExit(40 * time.Second); code != 0 {
		t.Errorf("master exit code after TERM = %d, want 0", code)
	}
}
