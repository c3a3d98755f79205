package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/listen"
	"github.com/resync/resync/internal/logging"
	"github.com/resync/resync/internal/master"
	"github.com/resync/resync/internal/monitor"
	"github.com/resync/resync/internal/protocol"
	"github.com/resync/resync/internal/sdnotify"
)

// runServe is the master: it wires sockets, the notify and control sockets and
// the spawner around master.Run.
func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	envFile := fs.String("env-file", "", "env file to read (default $RESYNC_ENV_FILE or /etc/resync/env)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	environ := os.Environ()
	if *envFile != "" {
		environ = append(environ, "RESYNC_ENV_FILE="+*envFile)
	}
	cfg, err := loadServeConfig(environ)
	if err != nil {
		printErrors("resync", err)
		return exitFail
	}
	logs, err := masterLogs(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "resync:", err)
		return exitFail
	}
	defer logs.Close()
	log := logs.Logger()
	if err := serve(cfg, environ, logs); err != nil {
		log.Error("resync stopped", "error", err)
		if errors.Is(err, protocol.ErrBoot) {
			return exitBoot
		}
		return exitFail
	}
	return exitOK
}

func serve(cfg config.Config, environ []string, logs *logging.Master) error {
	log := logs.Logger()
	if closed := cfg.ClosedRoutes(); closed != "" {
		log.Warn("production mode without credentials: " + closed)
	}
	socks, err := sockets(cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range socks {
			s.Close()
		}
	}()

	if err := os.MkdirAll(cfg.RuntimeDir, 0o755); err != nil {
		return fmt.Errorf("create runtime directory: %w", err)
	}
	// The notify socket sits in a directory of its own so that several masters
	// (tests, a second instance) never share one.
	notifyDir, err := os.MkdirTemp(cfg.RuntimeDir, "notify-")
	if err != nil {
		return fmt.Errorf("create notify directory: %w", err)
	}
	defer os.RemoveAll(notifyDir)
	ns, err := sdnotify.Listen(filepath.Join(notifyDir, "notify.sock"))
	if err != nil {
		return err
	}
	defer ns.Close()
	notes := make(chan sdnotify.Note, 256)
	go readNotes(ns, notes, log)

	ctl, err := control.Listen(control.Path(cfg.RuntimeDir))
	if err != nil {
		return err
	}
	defer ctl.Close()
	calls := make(chan control.Call)
	go control.Serve(ctl, calls)

	sim, err := startEmbeddedSim(cfg, log)
	if err != nil {
		return err
	}
	defer sim.Close()
	store := &embeddedRedis{runtimeDir: cfg.RuntimeDir, log: log}
	if _, _, err := store.apply(cfg); err != nil { // at start when wanted, so that a failure stops the start
		return err
	}
	defer store.Close()

	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, master.Signals...)
	defer signal.Stop(sigs)
	watchdog, _ := daemon.SdWatchdogEnabled(false)
	mon := monitor.New("/proc")
	mon.Health = store.health
	m := master.New(master.Options{
		// Always on in the master (a /proc read a second), so that memory
		// recycling works and a reload may turn RESYNC_METRICS on.
		Monitor:    mon,
		Config:     cfg,
		Spawner:    &spawner{socks: socks, notifySocket: ns.Path(), logs: logs, sim: sim, redis: store},
		Load:       func() (config.Config, error) { return loadServeConfig(environ) },
		Notes:      notes,
		Calls:      calls,
		Signals:    sigs,
		Systemd:    systemdNotifier(log),
		Watchdog:   watchdog,
		ReopenLogs: logs.Reopen,
		Reconfigure: func(c config.Config) {
			if err := logs.Reconfigure(c.Log); err != nil {
				log.Error("cannot apply the new log settings", "error", err)
			}
		},
		RSS:    rss,
		Logger: log,
	})
	return m.Run()
}

// systemdNotifier sends to systemd's NOTIFY_SOCKET. A failure is logged once,
// and once more when sending works again: the master notifies on every
// change and every watchdog interval, and a broken socket must not flood the
// log.
func systemdNotifier(log *slog.Logger) func(string) {
	failing := false // the master's loop is the only caller
	return func(state string) {
		_, err := sdnotify.Send(state)
		switch {
		case err != nil && !failing:
			failing = true
			log.Warn("cannot notify systemd; further failures are not logged", "error", err)
		case err == nil && failing:
			failing = false
			log.Info("notifying systemd works again")
		}
	}
}

// sockets takes systemd's sockets, or binds RESYNC_BIND when started by hand.
func sockets(cfg config.Config, log *slog.Logger) ([]*listen.Socket, error) {
	socks, err := listen.Inherited()
	if err != nil {
		return nil, err
	}
	if len(socks) > 0 {
		for _, s := range socks {
			log.Info("using socket from systemd", "name", s.Name, "address", s.Addr)
		}
		return socks, nil
	}
	s, err := listen.Bind(cfg.Bind)
	if err != nil {
		return nil, err
	}
	log.Info("listening", "address", s.Addr, "backlog", listen.Backlog)
	return []*listen.Socket{s}, nil
}

func readNotes(ns *sdnotify.Socket, notes chan<- sdnotify.Note, log *slog.Logger) {
	for {
		n, err := ns.Receive()
		if sdnotify.IsClosed(err) {
			return
		}
		if err != nil {
			log.Warn("bad notify message", "from_pid", n.PID, "error", err)
			continue
		}
		notes <- n
	}
}

// printErrors writes one line per joined error, each already naming its key.
func printErrors(prefix string, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(os.Stderr, "%s: %s\n", prefix, line)
	}
}
