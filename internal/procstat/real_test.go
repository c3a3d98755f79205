package procstat

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// childEnv makes the test binary act as a child process whose resources the
// tests watch through the real /proc.
const childEnv = "PROCSTAT_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		runChild()
		return
	}
	os.Exit(m.Run())
}

var sink [][]byte

// runChild obeys one command per stdin line: "alloc N" allocates and touches
// N MiB, "spin" burns CPU until the next line. It exits on EOF.
func runChild() {
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	stop := make(chan struct{})
	for in.Scan() {
		close(stop)
		stop = make(chan struct{})
		n := 0
		line := in.Text()
		if arg, ok := strings.CutPrefix(line, "alloc "); ok {
			n, _ = strconv.Atoi(arg)
		}
		if line == "spin" {
			go func(stop chan struct{}) {
				for {
					select {
					case <-stop:
						return
					default:
					}
				}
			}(stop)
		}
		for range n {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			sink = append(sink, b)
		}
		fmt.Println("ok")
	}
}

type child struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startChild(t testing.TB) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewScanner(outR)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	c.expect(t, "ready")
	return c
}

func (c *child) send(t testing.TB, cmd string) {
	t.Helper()
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		t.Fatalf("send %q to child: %v", cmd, err)
	}
	c.expect(t, "ok")
}

func (c *child) expect(t testing.TB, want string) {
	t.Helper()
	if !c.out.Scan() || c.out.Text() != want {
		t.Fatalf("child said %q (%v), want %q", c.out.Text(), c.out.Err(), want)
	}
}

// TestRealChild samples a real process through the real /proc: RSS grows when
// it allocates, CPU share rises when it spins, and a reaped child is an error.
func TestRealChild(t *testing.T) {
	c := startChild(t)
	pid := c.cmd.Process.Pid
	s := New("/proc")
	if _, err := s.Host(); err != nil {
		t.Fatalf("Host on this machine: %v", err)
	}
	before, err := s.Sample(pid)
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	if before.Threads < 1 || before.FDs < 3 || before.RSSBytes == 0 || before.MemoryPercent <= 0 {
		t.Errorf("implausible sample of a live child: %+v", before)
	}
	if age := time.Since(before.StartedAt); age < -2*time.Second || age > time.Minute {
		t.Errorf("StartedAt %v is %v ago, want just now", before.StartedAt, age)
	}

	c.send(t, "alloc 64")
	after, err := s.Sample(pid)
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	if grew := int64(after.RSSBytes) - int64(before.RSSBytes); grew < 60*mib {
		t.Errorf("RSS grew %d MiB after touching 64 MiB, want at least 60", grew/mib)
	}

	c.send(t, "spin")
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := s.Sample(pid)
		if err != nil {
			t.Fatalf("Sample: %v", err)
		}
		if got.CPUPercent >= 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPUPercent of a spinning child stayed at %v", got.CPUPercent)
		}
		// Each sample is a delta since the previous one: wait for CPU ticks to accrue.
		time.Sleep(200 * time.Millisecond)
	}

	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
	if _, err := s.Sample(pid); err == nil {
		t.Error("Sample of a reaped child: no error")
	}
}

// BenchmarkSample10 is the master's per-tick cost with ten processes (1 master
// + 9 workers): one Host and ten Samples.
func BenchmarkSample10(b *testing.B) {
	pids := []int{os.Getpid()}
	for range 9 {
		pids = append(pids, startChild(b).cmd.Process.Pid)
	}
	s := New("/proc")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Host(); err != nil {
			b.Fatal(err)
		}
		for _, pid := range pids {
			if _, err := s.Sample(pid); err != nil {
				b.Fatal(err)
			}
		}
	}
}
