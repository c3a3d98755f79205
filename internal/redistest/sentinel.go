package redistest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Sentinel is one redis-sentinel process watching one primary.
type Sentinel struct {
	t    testing.TB
	Port int
	Dir  string
	cmd  *exec.Cmd
}

// StartSentinel runs a redis-sentinel on a free loopback port that monitors
// primary under the name master with the given quorum, and declares it down
// after downAfterMS of silence. Sentinel rewrites its config file, so each
// one gets its own in a temporary directory.
func StartSentinel(t testing.TB, master string, primary *Server, quorum, downAfterMS int) *Sentinel {
	t.Helper()
	bin := Need(t, "redis-sentinel")
	s := &Sentinel{t: t, Port: FreePort(t), Dir: t.TempDir()}
	conf := fmt.Sprintf(`port %d
bind 127.0.0.1
dir %s
logfile %s
sentinel monitor %s 127.0.0.1 %d %d
sentinel down-after-milliseconds %[4]s %[7]d
sentinel failover-timeout %[4]s 5000
sentinel parallel-syncs %[4]s 1
`, s.Port, s.Dir, filepath.Join(s.Dir, "sentinel.log"), master, primary.Port, quorum, downAfterMS)
	path := filepath.Join(s.Dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, path)
	s.cmd.Dir = s.Dir
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start redis-sentinel: %v", err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
	WaitPort(t, s.Addr())
	return s
}

// Addr is host:port.
func (s *Sentinel) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Log is the sentinel's log so far (for a failing test's output).
func (s *Sentinel) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "sentinel.log"))
	return string(b)
}
