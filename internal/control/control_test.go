package control

import (
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveMaster answers calls as the master loop would: with reply(cmd).
func serveMaster(t *testing.T, reply func(cmd string) Response) string {
	t.Helper()
	path := Path(t.TempDir())
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	calls := make(chan Call)
	go Serve(l, calls)
	go func() {
		for c := range calls {
			c.Reply <- reply(c.Cmd)
		}
	}()
	return path
}

func TestRequestsReachTheLoopAndAnswersComeBack(t *testing.T) {
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	path := serveMaster(t, func(cmd string) Response {
		switch cmd {
		case "status":
			return Response{OK: true, Status: &Snapshot{PID: 42, Started: started, Generation: 3,
				Workers: []Worker{{PID: 43, State: "ready"}}}}
		case "metrics":
			return Response{OK: true, Data: json.RawMessage(`{"workers":[]}`)}
		}
		return Response{Error: "unknown command " + cmd}
	})
	s, err := Status(path)
	if err != nil || s.PID != 42 || s.Generation != 3 || !s.Started.Equal(started) || len(s.Workers) != 1 || s.Workers[0].State != "ready" {
		t.Errorf("status: %+v, %v", s, err)
	}
	if d, err := Data(path, "metrics", time.Second); err != nil || string(d) != `{"workers":[]}` {
		t.Errorf("metrics: %s, %v", d, err)
	}
	if _, err := Data(path, "nonsense", time.Second); err == nil || err.Error() != "nonsense: unknown command nonsense" {
		t.Errorf("unknown command: %v", err)
	}
}

// A line that is not JSON is answered with the reason; the loop never sees it.
func TestMalformedRequest(t *testing.T) {
	path := serveMaster(t, func(cmd string) Response {
		t.Errorf("the loop got %q", cmd)
		return Response{}
	})
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("status\n")); err != nil {
		t.Fatal(err)
	}
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil || resp.OK || !strings.HasPrefix(resp.Error, "bad request: ") {
		t.Errorf("%+v, %v", resp, err)
	}
}

func TestNoMaster(t *testing.T) {
	_, err := Status(filepath.Join(t.TempDir(), SocketName))
	if !errors.Is(err, ErrNoMaster) {
		t.Errorf("got %v, want ErrNoMaster", err)
	}
}

// A second master on a live socket is refused; a stale file is replaced.
func TestListenRefusesALiveMasterReplacesAStaleSocket(t *testing.T) {
	path := serveMaster(t, func(string) Response { return Response{OK: true, Status: &Snapshot{}} })
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "another resync master is running") {
		t.Errorf("second Listen: %v", err)
	}

	stale := Path(t.TempDir())
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false) // a master that died leaves its file
	l.Close()
	l2, err := Listen(stale)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	l2.Close()
}

// The answer is the loop's: a client waits while the loop is busy.
func TestAnswerArrivesOnlyFromTheLoop(t *testing.T) {
	release := make(chan struct{})
	path := serveMaster(t, func(string) Response {
		<-release
		return Response{OK: true, Status: &Snapshot{PID: 7}}
	})
	done := make(chan Snapshot)
	go func() {
		s, _ := Status(path)
		done <- s
	}()
	select {
	case s := <-done:
		t.Fatalf("answered before the loop replied: %+v", s)
	case <-time.After(100 * time.Millisecond): // not synchronisation: a check that nothing arrived early
	}
	close(release)
	if s := <-done; s.PID != 7 {
		t.Errorf("status %+v", s)
	}
}
