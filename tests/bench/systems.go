package main

import (
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/resync/resync/internal/control"
)

// The systems measured side by side: resync on its defaults, the plainest Go
// server of the same endpoint (the bound to reach), and the stack resync
// replaces — gunicorn with uvicorn workers serving FastAPI — with the
// guide's worker count.

//go:embed app.py
var fastAPIApp []byte

type system struct {
	key, name  string
	hasWorkers bool
	// command is the server's argv and environment. addr is where it binds;
	// empty when it is handed its socket at fd 3 (LISTEN_FDS, as systemd does).
	command func(addr string, settings []string) (argv, env []string)
}

// harness holds what every system needs: the built binary, a scratch
// directory, the load's shape.
type harness struct {
	dir    string
	resync string // the built binary
	wrk    wrkConfig
	seq    int
}

func (h *harness) next() int { h.seq++; return h.seq }

// baseEnv is the environment every server starts from: PATH only, so that
// nothing from the caller's shell (a GOMAXPROCS, a RESYNC_*) skews a row.
func baseEnv() []string { return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")} }

// envTWSBody names the file holding resync's TWS status answer, which the
// plain server and the FastAPI app serve from memory as their cached answer.
const envTWSBody = "BENCH_TWS_BODY"

func (h *harness) twsBody() string { return filepath.Join(h.dir, "tws-status.json") }

func (h *harness) resyncSystem(name string, settings ...string) *system {
	return &system{key: "resync", name: name, hasWorkers: true,
		command: func(addr string, extra []string) ([]string, []string) {
			env := append(baseEnv(), "RESYNC_ENV_FILE=", "RESYNC_ACCESS_LOG=off",
				fmt.Sprintf("RESYNC_RUNTIME_DIR=%s/run-%d", h.dir, h.next()))
			if addr != "" {
				env = append(env, "RESYNC_BIND="+addr)
			}
			env = append(append(env, settings...), extra...)
			return []string{h.resync, "serve"}, env
		}}
}

func (h *harness) plainSystem() *system {
	self, _ := os.Executable()
	return &system{key: "plain", name: "plain net/http, 1 process",
		command: func(addr string, _ []string) ([]string, []string) {
			return []string{self, "-plain-serve", addr}, append(baseEnv(), envTWSBody+"="+h.twsBody())
		}}
}

// gunicornWorkers is the guide's count: 2 × cores + 1.
func gunicornWorkers() int { return 2*cpus() + 1 }

func (h *harness) gunicornSystem() *system {
	app := filepath.Join(h.dir, "app.py")
	return &system{key: "gunicorn", name: fmt.Sprintf("gunicorn + uvicorn + FastAPI, %d workers", gunicornWorkers()), hasWorkers: true,
		command: func(addr string, extra []string) ([]string, []string) {
			os.WriteFile(app, fastAPIApp, 0o644)
			argv := []string{"/usr/bin/gunicorn", "--chdir", h.dir, "-k", "uvicorn.workers.UvicornWorker",
				"-w", strconv.Itoa(gunicornWorkers()), "--graceful-timeout", "30", "--keep-alive", "5"}
			if addr != "" {
				argv = append(argv, "-b", addr)
			}
			argv = append(append(argv, extra...), "app:app")
			return argv, append(baseEnv(), envTWSBody+"="+h.twsBody())
		}}
}

// server is one running instance of a system.
type server struct {
	sys    *system
	cmd    *exec.Cmd
	pid    int
	env    []string
	extra  []string // the settings it was started with, for a restart
	log    string   // its stdout and stderr
	exited chan struct{}
}

// start runs sys bound to addr, or on the held socket when held is set.
func (h *harness) start(sys *system, addr string, held *os.File, extra []string) (*server, error) {
	argv, env := sys.command(addr, extra)
	var cmd *exec.Cmd
	if held != nil {
		// LISTEN_PID must be the server's own pid: the shell knows it before exec.
		cmd = exec.Command("/bin/sh", append([]string{"-c", `LISTEN_PID=$$ exec "$@"`, "sh"}, argv...)...)
		cmd.ExtraFiles = []*os.File{held}
		env = append(env, "LISTEN_FDS=1", "LISTEN_FDNAMES=http")
	} else {
		cmd = exec.Command(argv[0], argv[1:]...)
	}
	cmd.Env = env
	logPath := filepath.Join(h.dir, fmt.Sprintf("%s-%d.log", sys.key, h.next()))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", sys.name, err)
	}
	s := &server{sys: sys, cmd: cmd, pid: cmd.Process.Pid, env: env, extra: extra, log: logPath, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(s.exited) }()
	return s, nil
}

// waitReady waits until url answers 200 and every worker has booted.
func (s *server) waitReady(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second}
	for {
		ok := false
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			ok = resp.StatusCode == 200
		}
		if ok && s.workersUp() {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited before it served", s.sys.name)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready on %s within %s", s.sys.name, url, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) workersUp() bool {
	switch s.sys.key {
	case "resync":
		st, err := s.status()
		if err != nil {
			return false
		}
		ready := 0
		for _, w := range st.Workers {
			if w.State == "ready" {
				ready++
			}
		}
		return ready >= st.Target
	case "gunicorn":
		// Each uvicorn worker says so once its application has started.
		b, _ := os.ReadFile(s.log)
		return strings.Count(string(b), "Application startup complete") >= gunicornWorkers()
	}
	return true
}

// status is resync's worker table, from its control socket.
func (s *server) status() (control.Snapshot, error) {
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, "RESYNC_RUNTIME_DIR="); ok {
			return control.Status(control.Path(v))
		}
	}
	return control.Snapshot{}, fmt.Errorf("no runtime dir")
}

func (s *server) signal(sig syscall.Signal) { s.cmd.Process.Signal(sig) }

// quit stops a server fast, once its measurement is over: SIGQUIT is a fast
// shutdown for resync and gunicorn alike.
func (s *server) quit() { s.end(syscall.SIGQUIT, 10*time.Second) }

// stop asks for a graceful stop (a drain) and waits for it.
func (s *server) stop() { s.end(syscall.SIGTERM, 40*time.Second) }

// end sends sig and waits; a server that takes longer than grace is killed.
func (s *server) end(sig syscall.Signal, grace time.Duration) {
	s.signal(sig)
	select {
	case <-s.exited:
	case <-time.After(grace):
		s.cmd.Process.Kill()
		<-s.exited
	}
}
