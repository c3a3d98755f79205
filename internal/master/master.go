package master

import (
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/protocol"
	"github.com/resync/resync/internal/sdnotify"
)

// Spawner starts a worker of a generation with a configuration.
type Spawner interface {
	Spawn(generation int, cfg config.Config) (Proc, error)
}

// Proc is a started worker process.
type Proc interface {
	PID() int
	Signal(syscall.Signal) error
	// Wait reaps the process: its exit code (-1 when a signal killed it) and
	// a description for the log.
	Wait() (code int, how string)
}

// Options are the master's collaborators; cmd/resync wires the real ones.
type Options struct {
	Config      config.Config
	Spawner     Spawner
	Load        func() (config.Config, error) // re-reads the env file on reload
	Notes       <-chan sdnotify.Note          // from the workers' notify socket
	Calls       <-chan control.Call           // from the control socket
	Signals     <-chan os.Signal              // signal.Notify(c, master.Signals...); tests send their own
	Now         func() time.Time              // the clock; nil is time.Now
	Systemd     func(state string)            // sd_notify to systemd; a no-op off systemd
	Watchdog    time.Duration                 // WATCHDOG_USEC, 0 when off
	ReopenLogs  func()                        // SIGUSR1
	Reconfigure func(config.Config)           // applies a reloaded configuration to the master's own logs
	RSS         func(pid int) uint64          // for status lines; 0 when unknown
	Monitor     Monitor                       // nil when RESYNC_METRICS=off
	Logger      *slog.Logger
}

// Monitor samples the resources behind /api/v1/metrics (package monitor).
// It is handed the master's table on every sample: it keeps no list of
// workers of its own. Called from the loop only.
type Monitor interface {
	Sample(table control.Snapshot) (rss map[int]uint64) // also rebuilds the report
	Report() []byte
}

const (
	tickEvery       = 100 * time.Millisecond
	sampleEvery     = time.Second
	gcTimeout       = 10 * time.Second
	killGrace       = 3 * time.Second // SIGABRT/SIGINT → SIGKILL
	maxBootFailures = 5               // in a row, with nobody serving: give up
	maxBackoff      = 10 * time.Second
)

type exit struct {
	pid  int
	code int
	how  string
}

// Master is the supervisor's state. Only Run's goroutine touches it.
type Master struct {
	opt     Options
	log     *slog.Logger
	cfg     config.Config
	gen     int // the generation new workers join
	lastGen int // generations are never reused, even after an abandoned reload
	target  int
	workers map[int]*worker
	exits   chan exit
	started time.Time

	bootFailures int
	backoff      time.Duration
	nextSpawn    time.Time

	reload     *reload
	lastReload string
	readySent  bool
	status     string
	lastPing   time.Time

	nextSample time.Time
	rss        map[int]uint64 // last sample, bytes
	gc         *gcRun

	retired    protocol.Counters // folded in when a worker exits, so totals never go back
	departures map[string]uint64 // why workers went, by control.Depart* reason
	stopping   bool
	fatal      error
}

// New prepares a master; Run starts it.
func New(opt Options) *Master {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Master{
		opt: opt, log: opt.Logger, cfg: opt.Config, gen: 1, lastGen: 1,
		target: opt.Config.Workers, workers: map[int]*worker{},
		exits: make(chan exit, 16), started: opt.Now(), lastReload: "none",
		retired: protocol.NewCounters(), departures: map[string]uint64{},
	}
}

// Run supervises until shutdown. It returns nil after a clean shutdown and an
// error (wrapping protocol.ErrBoot) when workers could not be started.
func (m *Master) Run() error {
	tick := time.NewTicker(tickEvery)
	defer tick.Stop()
	for {
		m.pass(m.now())
		if m.stopping && len(m.workers) == 0 {
			m.log.Info("shutdown complete")
			return m.fatal
		}
		select {
		case sig := <-m.opt.Signals:
			m.handleSignal(sig, m.now())
		case e := <-m.exits:
			m.handleExit(e, m.now())
		case n := <-m.opt.Notes:
			m.handleNote(n, m.now())
		case c := <-m.opt.Calls:
			m.handleCall(c, m.now())
		case <-tick.C:
		}
	}
}

func (m *Master) now() time.Time { return m.opt.Now() }

// Signals are the signals the master handles (see handleSignal), for
// signal.Notify.
var Signals = []os.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT,
	syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGUSR1, syscall.SIGUSR2}

// pass is the work done after every event, whatever it was.
func (m *Master) pass(now time.Time) {
	m.sample(now)
	m.murder(now)
	m.gcTimeout(now)
	if !m.stopping {
		m.manage(now)
		m.retire(now)
		m.finishReload(now)
	}
	m.report(now)
}

func (m *Master) notify(state string) {
	if m.opt.Systemd != nil {
		m.opt.Systemd(state)
	}
}
