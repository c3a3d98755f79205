// Package spawn owns starting and reaping worker processes: it execs the
// running binary with the listening sockets at fds 3…, a scrubbed environment,
// and a parent-death signal, and describes how the process ended.
//
// It uses syscall.ForkExec rather than os/exec: os/exec takes *os.File and
// calls Fd on each, which turns a shared listening socket to blocking mode for
// every worker already accepting on it.
package spawn

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// Spec is what to start.
type Spec struct {
	Path   string   // usually /proc/self/exe: workers run exactly the master's binary
	Args   []string // argv, Args[0] included
	Env    []string
	Files  []int // raw fds placed at 3, 4, … in the child
	Stdout int   // fds for the child's 1 and 2
	Stderr int
}

// Process is a started worker.
type Process struct {
	Pid  int
	proc *os.Process
}

// Start forks and execs spec. The child gets SIGKILL if the master dies,
// however it dies, so workers never outlive it.
func Start(spec Spec) (*Process, error) {
	files := append([]uintptr{0, uintptr(spec.Stdout), uintptr(spec.Stderr)}, toUintptr(spec.Files)...)
	// stdin: /dev/null, never the master's terminal.
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	defer null.Close()
	files[0] = null.Fd()
	pid, err := syscall.ForkExec(spec.Path, spec.Args, &syscall.ProcAttr{
		Env:   spec.Env,
		Files: files,
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return nil, fmt.Errorf("start worker: find pid %d: %w", pid, err)
	}
	return &Process{Pid: pid, proc: proc}, nil
}

func toUintptr(fds []int) []uintptr {
	out := make([]uintptr, len(fds))
	for i, fd := range fds {
		out[i] = uintptr(fd)
	}
	return out
}

// Signal sends sig; a process already gone is not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	err := p.proc.Signal(sig)
	if err == os.ErrProcessDone {
		return nil
	}
	return err
}

// Exit is how a process ended.
type Exit struct {
	Code   int            // exit code, or -1 when killed by a signal
	Signal syscall.Signal // the signal that killed it, or 0
}

func (e Exit) String() string {
	if e.Signal != 0 {
		return "killed by signal " + e.Signal.String()
	}
	return fmt.Sprintf("exit code %d", e.Code)
}

// Wait reaps the process. Call it from exactly one goroutine per process.
func (p *Process) Wait() Exit {
	st, err := p.proc.Wait()
	if err != nil {
		return Exit{Code: -1}
	}
	ws, ok := st.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return Exit{Code: -1, Signal: ws.Signal()}
	}
	return Exit{Code: st.ExitCode()}
}

// Environ returns base without the variables that belong to the master alone
// (its systemd handshake, its sockets, its settings, its journal stream —
// a worker's stderr is a pipe to the master), then extra. A key in
// extra replaces the same key in base: getenv takes the first of duplicates.
func Environ(base []string, extra ...string) []string {
	set := make(map[string]bool, len(extra))
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	out := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case set[k], k == "NOTIFY_SOCKET", k == "WATCHDOG_USEC", k == "WATCHDOG_PID", k == "JOURNAL_STREAM",
			strings.HasPrefix(k, "LISTEN_"), strings.HasPrefix(k, "RESYNC_"):
			continue
		}
		out = append(out, kv)
	}
	for _, kv := range extra {
		if k, _, _ := strings.Cut(kv, "="); set[k] {
			out = append(out, kv)
			delete(set, k) // first of extra's own duplicates wins too
		}
	}
	return out
}
