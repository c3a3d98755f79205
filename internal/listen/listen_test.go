package listen

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBindTCPAndUnix(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "unix:" + filepath.Join(t.TempDir(), "resync.sock")} {
		s, err := Bind(addr)
		if err != nil {
			t.Fatalf("Bind(%s): %v", addr, err)
		}
		fd, err := s.FD()
		if err != nil || fd < 0 {
			t.Fatalf("FD: %d, %v", fd, err)
		}
		network, target := "tcp", describe(fd)
		if path, ok := strings.CutPrefix(target, "unix:"); ok {
			network, target = "unix", path
		}
		c, err := net.Dial(network, target)
		if err != nil {
			t.Fatalf("dial %s %s: %v", network, target, err)
		}
		c.Close()
		s.Close()
	}
}

func TestBindUnixReplacesStaleSocketButNotLiveOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resync.sock")
	live, err := Bind("unix:" + path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Bind("unix:" + path); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Fatalf("second bind on a live socket: %v", err)
	}
	live.file.Close() // leaves the file behind, as a crashed master would
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("socket file gone: %v", err)
	}
	again, err := Bind("unix:" + path)
	if err != nil {
		t.Fatalf("bind over a stale socket file: %v", err)
	}
	again.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket file left after Close: %v", err)
	}
}

func TestBindRejectsBadAddresses(t *testing.T) {
	for _, addr := range []string{"unix:relative.sock", "nohost", "127.0.0.1:99999"} {
		if s, err := Bind(addr); err == nil {
			s.Close()
			t.Errorf("Bind(%q) succeeded", addr)
		}
	}
}

func TestEnvNamesSockets(t *testing.T) {
	got := Env([]*Socket{{Name: "http"}, {Name: "admin"}})
	want := []string{"RESYNC_LISTEN_FDS=2", "RESYNC_LISTEN_FDNAMES=http:admin"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Env = %v, want %v", got, want)
	}
}
