package worker

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/listen"
	"github.com/resync/resync/internal/protocol"
	"github.com/resync/resync/internal/sdnotify"
)

// The test binary doubles as a worker process: with roleEnv set, TestMain
// runs Run as the master would have it run, on the socket passed as fd 3.
const roleEnv = "RESYNC_WORKER_TEST_ROLE"

func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == "run" {
		cfg := config.Config{Timeout: 200 * time.Millisecond, GracefulTimeout: 5 * time.Second,
			Keepalive: 5 * time.Second, HeaderTimeout: 5 * time.Second}
		err := Run(cfg, Options{Handler: http.HandlerFunc(ok), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeMaster is the master's notify socket: every message a worker sends.
type fakeMaster struct {
	mu   sync.Mutex
	msgs []sdnotify.Message
}

func (f *fakeMaster) waitFor(t *testing.T, what string, match func(sdnotify.Message) bool) sdnotify.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		for _, m := range f.msgs {
			if match(m) {
				f.mu.Unlock()
				return m
			}
		}
		f.mu.Unlock()
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
	t.Fatalf("no %s from the worker", what)
	return nil
}

func requests(t *testing.T, m sdnotify.Message) uint64 {
	c, err := protocol.DecodeCounters(m[protocol.KeyMetrics])
	if err != nil {
		t.Fatalf("counters %q: %v", m[protocol.KeyMetrics], err)
	}
	return c.Requests
}

// A worker says READY=1 once it serves, beats WATCHDOG=1 with its counts,
// and on SIGTERM drains, sends its final counts and exits 0.
func TestRunReadyHeartbeatFinal(t *testing.T) {
	dir := t.TempDir()
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify.sock"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	fm := &fakeMaster{}
	go func() {
		buf := make([]byte, sdnotify.MaxMessage)
		for {
			n, err := sock.Read(buf)
			if err != nil {
				return
			}
			if m, err := sdnotify.Parse(buf[:n]); err == nil {
				fm.mu.Lock()
				fm.msgs = append(fm.msgs, m)
				fm.mu.Unlock()
			}
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lf, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), roleEnv+"=run", listen.EnvFDs+"=1", "NOTIFY_SOCKET="+filepath.Join(dir, "notify.sock"))
	cmd.ExtraFiles = []*os.File{lf}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })

	fm.waitFor(t, "READY=1", func(m sdnotify.Message) bool { return m["READY"] == "1" })
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fm.waitFor(t, "a heartbeat counting the request", func(m sdnotify.Message) bool {
		_, beat := m["WATCHDOG"]
		return beat && m[protocol.KeyMetrics] != "" && requests(t, m) == 1
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("worker exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("worker still running 20 s after SIGTERM")
	}
	fm.waitFor(t, "the final counts", func(m sdnotify.Message) bool {
		_, beat := m["WATCHDOG"]
		return !beat && m["READY"] == "" && m[protocol.KeyMetrics] != "" && requests(t, m) == 1
	})
}
