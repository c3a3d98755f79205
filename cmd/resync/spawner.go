package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/prometheus/procfs"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/listen"
	"github.com/resync/resync/internal/master"
	"github.com/resync/resync/internal/spawn"
)

// spawner starts workers: this very binary (/proc/self/exe, so a package
// upgrade on disk cannot mix versions within one master) as `resync worker`.
type spawner struct {
	socks        []*listen.Socket
	notifySocket string
	log          *slog.Logger
}

func (s *spawner) Spawn(gen int, cfg config.Config) (master.Proc, error) {
	fds := make([]int, len(s.socks))
	for i, sock := range s.socks {
		fd, err := sock.FD()
		if err != nil {
			return nil, fmt.Errorf("socket %s: %w", sock.Name, err)
		}
		fds[i] = fd
	}
	extra := []string{
		"NOTIFY_SOCKET=" + s.notifySocket,
		"RESYNC_GENERATION=" + strconv.Itoa(gen),
		"GOTRACEBACK=all", // a WORKER TIMEOUT's SIGABRT dumps every goroutine
	}
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
		Files:  fds,
		Stdout: int(os.Stdout.Fd()),
		Stderr: int(os.Stderr.Fd()),
	})
	if err != nil {
		return nil, err
	}
	return proc{p}, nil
}

type proc struct{ p *spawn.Process }

func (p proc) PID() int                        { return p.p.Pid }
func (p proc) Signal(sig syscall.Signal) error { return p.p.Signal(sig) }
func (p proc) Wait() (int, string) {
	e := p.p.Wait()
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
