package master

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/protocol"
	"github.com/resync/resync/internal/sdnotify"
)

// fakeSpawner starts pretend workers: boot decides, per generation, whether a
// worker reports READY=1 or exits at once with a code. With boot nil the test
// drives every worker itself (see policy_test.go): none says anything or
// exits unless told.
type fakeSpawner struct {
	mu      sync.Mutex
	nextPID int
	notes   chan sdnotify.Note
	boot    func(gen int) (exitCode int, ready bool)
	procs   map[int]*fakeProc
}

type fakeProc struct {
	pid    int
	gen    int
	once   sync.Once
	done   chan int
	sigs   chan syscall.Signal
	manual bool // exits only when the test says so
}

func (f *fakeSpawner) Spawn(gen int, _ config.Config) (Proc, error) {
	f.mu.Lock()
	f.nextPID++
	p := &fakeProc{pid: 1000 + f.nextPID, gen: gen, done: make(chan int, 1), sigs: make(chan syscall.Signal, 16), manual: f.boot == nil}
	f.procs[p.pid] = p
	f.mu.Unlock()
	if p.manual {
		return p, nil
	}
	code, ready := f.boot(gen)
	if ready {
		f.notes <- sdnotify.Note{PID: p.pid, Message: sdnotify.Message{"READY": "1"}}
	} else {
		p.exit(code)
	}
	return p, nil
}

func (f *fakeSpawner) signalled(sig syscall.Signal, gen int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.procs {
		if p.gen != gen {
			continue
		}
		for i := len(p.sigs); i > 0; i-- {
			s := <-p.sigs
			if s == sig {
				n++
			}
			p.sigs <- s
		}
	}
	return n
}

func (p *fakeProc) PID() int { return p.pid }
func (p *fakeProc) exit(code int) {
	p.once.Do(func() { p.done <- code })
}
func (p *fakeProc) Signal(sig syscall.Signal) error {
	select {
	case p.sigs <- sig:
	default:
	}
	if !p.manual && (sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == syscall.SIGKILL) {
		p.exit(0)
	}
	return nil
}
func (p *fakeProc) Wait() (int, string) {
	code := <-p.done
	return code, "exit code " + strconv.Itoa(code)
}

func testConfig(workers int) config.Config {
	c := config.Default()
	c.Workers = workers
	return c
}

// A reload whose workers cannot boot is abandoned: the old generation is never
// told to stop, and `resync reload` hears why.
func TestReloadWithUnbootableWorkersKeepsOldGeneration(t *testing.T) {
	notes := make(chan sdnotify.Note, 64)
	calls := make(chan control.Call)
	sp := &fakeSpawner{notes: notes, procs: map[int]*fakeProc{}, boot: func(gen int) (int, bool) {
		if gen == 1 {
			return 0, true
		}
		return protocol.ExitBoot, false
	}}
	var mu sync.Mutex
	var sent []string
	sigs := make(chan os.Signal, 1)
	m := New(Options{
		Config: testConfig(3), Spawner: sp, Notes: notes, Calls: calls, Signals: sigs,
		Load:    func() (config.Config, error) { return testConfig(3), nil },
		Systemd: func(s string) { mu.Lock(); sent = append(sent, s); mu.Unlock() },
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	done := make(chan error, 1)
	go func() { done <- m.Run() }()

	reply := make(chan control.Response, 1)
	waitFor(t, "READY=1 for generation 1", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range sent {
			if s == "READY=1\n" {
				return true
			}
		}
		return false
	})
	calls <- control.Call{Request: control.Request{Cmd: "reload"}, Reply: reply}
	select {
	case r := <-reply:
		if r.OK || r.Error == "" {
			t.Fatalf("reload with unbootable workers answered %+v, want an error", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reload never answered")
	}
	if n := sp.signalled(syscall.SIGTERM, 1); n != 0 {
		t.Errorf("%d old workers were sent SIGTERM during a failed reload", n)
	}
	st := make(chan control.Response, 1)
	calls <- control.Call{Request: control.Request{Cmd: "status"}, Reply: st}
	s := (<-st).Status
	ready := 0
	for _, w := range s.Workers {
		if w.Generation == 1 && w.State == "ready" {
			ready++
		}
	}
	if ready != 3 || s.Generation != 1 {
		t.Errorf("after the failed reload: generation %d, %d ready old workers, want 1 and 3", s.Generation, ready)
	}

	sigs <- syscall.SIGINT
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after INT: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("master did not stop on INT")
	}
}

// With nobody serving, workers that cannot boot stop the master with ErrBoot.
func TestNoBootableWorkerStopsMaster(t *testing.T) {
	notes := make(chan sdnotify.Note, 64)
	sp := &fakeSpawner{notes: notes, procs: map[int]*fakeProc{}, boot: func(int) (int, bool) { return 1, false }}
	m := New(Options{Config: testConfig(2), Spawner: sp, Notes: notes,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	start := time.Now()
	select {
	case err := <-runAsync(m):
		if !errors.Is(err, protocol.ErrBoot) {
			t.Fatalf("Run = %v, want ErrBoot", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("master kept retrying")
	}
	// Backoff 0.1 + 0.2 + 0.4 + 0.8 s between the five attempts.
	if took := time.Since(start); took < time.Second {
		t.Errorf("gave up after %s: no backoff between boot attempts", took)
	}
}

func runAsync(m *Master) chan error {
	c := make(chan error, 1)
	go func() { c <- m.Run() }()
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
