// Package redistest starts real redis-server (and redis-sentinel) processes
// for tests: random ports, temporary directories, killed at the test's end,
// with the faults the tests inject (kill, SIGSTOP, restart on the same port).
//
// Without redis-server on PATH a test is skipped, except under CI=true,
// where a missing dependency is a failure (.ci/deps installs it).
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process.
type Server struct {
	t    testing.TB
	Port int
	Dir  string
	args []string
	cmd  *exec.Cmd
}

// Need skips (or, under CI, fails) a test when bin is missing.
func Need(t testing.TB, bin string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (.ci/deps installs it)", bin)
		}
		t.Skipf("%s is not installed", bin)
	}
	return p
}

// Start runs a redis-server on a free loopback port with no persistence;
// extra are more config lines ("replicaof 127.0.0.1 6379").
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	Need(t, "redis-server")
	s := &Server{t: t, Port: FreePort(t), Dir: t.TempDir()}
	s.args = append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--dir", s.Dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
		"--logfile", filepath.Join(s.Dir, "redis.log")}, splitConfig(extra)...)
	s.start()
	t.Cleanup(s.Kill)
	return s
}

// splitConfig turns "key v1 v2" lines into --key v1 v2 arguments.
func splitConfig(lines []string) []string {
	var out []string
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		out = append(out, "--"+f[0])
		out = append(out, f[1:]...)
	}
	return out
}

func (s *Server) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", s.args...)
	s.cmd.Dir = s.Dir
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	WaitPort(s.t, s.Addr())
}

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL is redis://host:port/0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// PID is the running process's pid.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Kill SIGKILLs the server and reaps it; a no-op when it is not running.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port (after Kill), empty.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

// Stop freezes the server (SIGSTOP): connections stay open, nothing answers.
func (s *Server) Stop() { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }

// Cont thaws it.
func (s *Server) Cont() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }

// Do sends one command with redis-cli-free RESP over a fresh connection and
// returns the first reply line (for set-up and assertions without a client).
func (s *Server) Do(args ...string) (string, error) {
	return Do(s.Addr(), args...)
}

// Do sends one command to addr and returns the reply's first line.
func Do(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if strings.HasPrefix(line, "$") && line != "$-1" {
		line, err = r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
	}
	return line, err
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitPort waits until addr accepts connections.
func WaitPort(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept connections: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
