package spawn

import (
	"os"
	"slices"
	"syscall"
	"testing"
)

func TestEnvironScrubsMasterOnlyVariables(t *testing.T) {
	base := []string{"PATH=/bin", "NOTIFY_SOCKET=/run/systemd/notify", "LISTEN_FDS=1", "LISTEN_PID=9",
		"WATCHDOG_USEC=1", "JOURNAL_STREAM=8:9", "RESYNC_WORKERS=4", "GOTRACEBACK=none", "HOME=/root"}
	got := Environ(base, "GOTRACEBACK=all", "NOTIFY_SOCKET=/run/resync/n.sock", "RESYNC_WORKERS=2")
	want := []string{"PATH=/bin", "HOME=/root", "GOTRACEBACK=all", "NOTIFY_SOCKET=/run/resync/n.sock", "RESYNC_WORKERS=2"}
	if !slices.Equal(got, want) {
		t.Fatalf("Environ = %v\nwant      %v", got, want)
	}
}

func start(t *testing.T, script string) *Process {
	t.Helper()
	p, err := Start(Spec{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Env: os.Environ(),
		Stdout: int(os.Stdout.Fd()), Stderr: int(os.Stderr.Fd())})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWaitReportsExitCodeAndSignal(t *testing.T) {
	if e := start(t, "exit 3").Wait(); e.Code != 3 || e.Signal != 0 || e.String() != "exit code 3" {
		t.Errorf("exit 3: %+v %q", e, e)
	}
	p := start(t, "exec sleep 30")
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if e := p.Wait(); e.Signal != syscall.SIGKILL || e.Code != -1 {
		t.Errorf("killed: %+v %q", e, e)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("signal to a reaped process: %v, want nil", err)
	}
}

// Sockets reach the child at fd 3 in blocking mode untouched: the child sees
// the fd open.
func TestFilesArriveFromFd3(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := f.SyscallConn()
	var fd int
	raw.Control(func(u uintptr) { fd = int(u) })
	p, err := Start(Spec{Path: "/bin/sh", Args: []string{"sh", "-c", "test -e /proc/self/fd/3 && ! test -e /proc/self/fd/4"},
		Env: os.Environ(), Files: []int{fd}, Stdout: int(os.Stdout.Fd()), Stderr: int(os.Stderr.Fd())})
	if err != nil {
		t.Fatal(err)
	}
	if e := p.Wait(); e.Code != 0 {
		t.Fatalf("child did not see exactly fd 3: %v", e)
	}
}
