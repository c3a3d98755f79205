package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/listen"
	"github.com/resync/resync/internal/logging"
	"github.com/resync/resync/internal/master"
	"github.com/resync/resync/internal/protocol"
	"github.com/resync/resync/internal/spawn"
)

// spawner starts workers: this very binary (/proc/self/exe, so a package
// upgrade on disk cannot mix versions within one master) as `resync worker`,
// with two pipes back to the master's logging: structured records at the fd
// after the sockets, and raw stdout/stderr (panics, a timeout's goroutine dump).
type spawner struct {
	socks        []*listen.Socket
	notifySocket string
	logs         *logging.Master
	sim          *embeddedSim   // development without an engine: the workers' engine
	redis        *embeddedRedis // no RESYNC_REDIS_URL: the workers' Redis
}

// relayGrace bounds how long an exit waits for the worker's last output.
const relayGrace = 5 * time.Second

func (s *spawner) Spawn(gen int, cfg config.Config) (master.Proc, error) {
	cfg, redisEnv, err := s.redis.apply(cfg) // before any pipe is open
	if err != nil {
		return nil, err
	}
	fds := make([]int, 0, len(s.socks)+1)
	for _, sock := range s.socks {
		fd, err := sock.FD()
		if err != nil {
			return nil, fmt.Errorf("socket %s: %w", sock.Name, err)
		}
		fds = append(fds, fd)
	}
	var records, output [2]int
	if err := unix.Pipe2(records[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("records pipe: %w", err)
	}
	if err := unix.Pipe2(output[:], unix.O_CLOEXEC); err != nil {
		unix.Close(records[0])
		unix.Close(records[1])
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	recR, outR := os.NewFile(uintptr(records[0]), "records"), os.NewFile(uintptr(output[0]), "output")
	defer unix.Close(records[1]) // the child has its copies; ours would hold the pipes open
	defer unix.Close(output[1])

	extra := []string{
		protocol.EnvNotifySocket + "=" + s.notifySocket,
		protocol.EnvGeneration + "=" + strconv.Itoa(gen),
		protocol.EnvLogFD + "=" + strconv.Itoa(3+len(fds)),
		"GOTRACEBACK=all", // a WORKER TIMEOUT's SIGABRT dumps every goroutine
	}
	if _, set := os.LookupEnv("GOMAXPROCS"); !set { // the operator's choice wins
		extra = append(extra, "GOMAXPROCS="+strconv.Itoa(config.WorkerProcs(cfg.Workers)))
	}
	cfg, simEnv := s.sim.apply(cfg)
	extra = append(extra, simEnv...)
	extra = append(extra, redisEnv...)
	for _, kv := range cfg.Environ() {
		if !strings.HasPrefix(kv, "RESYNC_ENV_FILE=") {
			extra = append(extra, kv)
		}
	}
	extra = append(extra, "RESYNC_ENV_FILE=") // workers take their settings from the master only
	extra = append(extra, listen.Env(s.socks)...)
	p, err := spawn.Start(spawn.Spec{
		Path:   "/proc/self/exe",
		Args:   []string{os.Args[0], "worker"},
		Env:    spawn.Environ(os.Environ(), extra...),
		Files:  append(fds, records[1]),
		Stdout: output[1],
		Stderr: output[1],
	})
	if err != nil {
		recR.Close()
		outR.Close()
		return nil, err
	}
	relayed := s.logs.RelayWorker(p.Pid, gen, recR, outR)
	return proc{p: p, relayed: relayed}, nil
}

type proc struct {
	p       *spawn.Process
	relayed <-chan struct{}
}

func (p proc) PID() int                        { return p.p.Pid }
func (p proc) Signal(sig syscall.Signal) error { return p.p.Signal(sig) }

// Wait returns once the worker has exited and its last records are out, so
// that "worker exited" follows everything the worker said.
func (p proc) Wait() (int, string) {
	e := p.p.Wait()
	select {
	case <-p.relayed:
	case <-time.After(relayGrace):
	}
	return e.Code, e.String()
}

// rss reads a process's resident set size; 0 when it cannot.
func rss(pid int) uint64 {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0
	}
	st, err := p.Stat()
	if err != nil {
		return 0
	}
	return uint64(st.ResidentMemory())
}
