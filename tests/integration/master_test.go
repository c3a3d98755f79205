package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/syncbuf"
)

// master is one running `resync serve` and what the test observes of it.
type master struct {
	t       *testing.T
	cmd     *exec.Cmd
	addr    string // host:port
	runtime string
	envFile string
	log     *syncBuffer
	notify  *notifySink
	exited  chan struct{}
	exitErr error
}

type opts struct {
	env       []string // RESYNC_* settings and others
	envFile   string   // contents of the env file; "" = none
	activated bool     // under systemd-socket-activate
	watchdog  time.Duration
	journal   string // a stand-in journald's socket: stderr becomes "the journal stream"
}

func startMaster(t *testing.T, o opts) *master {
	t.Helper()
	dir := t.TempDir()
	m := &master{t: t, addr: freeAddr(t), runtime: filepath.Join(dir, "run"), log: &syncBuffer{}, exited: make(chan struct{})}
	m.notify = listenNotify(t, filepath.Join(dir, "systemd-notify.sock"))
	m.envFile = filepath.Join(dir, "env")
	writeFile(t, m.envFile, o.envFile)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"NOTIFY_SOCKET=" + m.notify.path,
		"RESYNC_RUNTIME_DIR=" + m.runtime,
		"RESYNC_ENV_FILE=" + m.envFile,
		"RESYNC_BIND=" + m.addr,
		// Off unless a test wants it: under load it would put thousands of
		// lines a second into the log the test searches.
		"RESYNC_ACCESS_LOG=off",
		// Off unless a test wants it (o.env comes later and wins): with no
		// RESYNC_REDIS_URL the embedded store makes the 100/1m default exact
		// across workers, and tests that send more would meet 429s.
		"RESYNC_RATE_LIMIT_DEFAULT=0/1m",
	}
	if o.watchdog > 0 {
		env = append(env, fmt.Sprintf("WATCHDOG_USEC=%d", o.watchdog.Microseconds()))
	}
	env = append(env, o.env...)
	if o.activated {
		args := []string{"-l", m.addr, "--fdname=http"}
		for _, kv := range env {
			args = append(args, "-E", kv)
		}
		m.cmd = exec.Command("systemd-socket-activate", append(args, binary, "serve")...)
	} else {
		m.cmd = exec.Command(binary, "serve")
	}
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	var stderrW *os.File
	if o.journal != "" {
		// As under systemd: JOURNAL_STREAM names stderr's device and inode,
		// so the master sends its records to (the stand-in) journald.
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(int(w.Fd()), &st); err != nil {
			t.Fatal(err)
		}
		env = append(env, fmt.Sprintf("JOURNAL_STREAM=%d:%d", st.Dev, st.Ino), "TESTHOOK_JOURNAL_SOCKET="+o.journal)
		m.cmd.Stderr, stderrW = w, w
		go func() { _, _ = io.Copy(m.log, r); r.Close() }()
	}
	m.cmd.Env = env
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if stderrW != nil {
		stderrW.Close() // the child holds its copy
	}
	go func() { m.exitErr = m.cmd.Wait(); close(m.exited) }()
	t.Cleanup(func() {
		m.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-m.exited:
		case <-time.After(10 * time.Second):
			m.cmd.Process.Kill()
			<-m.exited
		}
		if t.Failed() {
			t.Logf("master log:\n%s", m.log.String())
		}
	})
	return m
}

// waitReady waits for READY=1 to systemd, with a first request to trigger
// socket activation when needed.
func (m *master) waitReady(activated bool) {
	m.t.Helper()
	if activated {
		m.firstRequest()
	}
	m.notify.waitFor(m.t, "READY=1", 0, 30*time.Second)
}

// firstRequest connects once systemd-socket-activate listens, which starts resync.
func (m *master) firstRequest() (*http.Response, string) {
	m.t.Helper()
	waitUntil(m.t, 10*time.Second, "systemd-socket-activate listening", func() bool {
		return strings.Contains(m.log.String(), "Listening on")
	})
	return get(m.t, m.url("/api/v1/health/live"))
}

func (m *master) url(path string) string { return "http://" + m.addr + path }

func (m *master) signal(sig syscall.Signal) {
	m.t.Helper()
	if err := m.cmd.Process.Signal(sig); err != nil {
		m.t.Fatal(err)
	}
}

// status is `resync status --json`, the operator's view of the workers.
func (m *master) status() control.Snapshot {
	m.t.Helper()
	out, err := exec.Command(binary, "status", "--json", "--runtime-dir", m.runtime).Output()
	if err != nil {
		m.t.Fatalf("resync status: %v", err)
	}
	var s control.Snapshot
	if err := json.Unmarshal(out, &s); err != nil {
		m.t.Fatalf("resync status output: %v\n%s", err, out)
	}
	return s
}

// readyPIDs lists the workers in state ready.
func (m *master) readyPIDs() []int {
	var pids []int
	for _, w := range m.status().Workers {
		if w.State == "ready" {
			pids = append(pids, w.PID)
		}
	}
	return pids
}

// waitWorkers waits until exactly n workers are ready and none other remain,
// and returns their pids.
func (m *master) waitWorkers(n int, timeout time.Duration) []int {
	m.t.Helper()
	var pids []int
	waitUntil(m.t, timeout, fmt.Sprintf("%d ready workers and no others", n), func() bool {
		s := m.status()
		pids = pids[:0]
		for _, w := range s.Workers {
			if w.State != "ready" {
				return false
			}
			pids = append(pids, w.PID)
		}
		return len(pids) == n
	})
	return pids
}

// waitExit waits for the master to exit and returns its exit code.
func (m *master) waitExit(timeout time.Duration) int {
	m.t.Helper()
	select {
	case <-m.exited:
	case <-time.After(timeout):
		m.t.Fatalf("master still running after %s", timeout)
	}
	return m.cmd.ProcessState.ExitCode()
}

// waitLog waits for a log line matching re and returns the match.
func (m *master) waitLog(re string, timeout time.Duration) []string {
	m.t.Helper()
	rx := regexp.MustCompile(re)
	var match []string
	waitUntil(m.t, timeout, "log line matching "+re, func() bool {
		match = rx.FindStringSubmatch(m.log.String())
		return match != nil
	})
	return match
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// A zombie has exited; only its parent's reaping is pending.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// syncBuffer collects the master's output for the test to read while it runs.
type syncBuffer = syncbuf.Buffer
