package protocol

import (
	"errors"
	"fmt"

	"github.com/resync/resync/internal/sdnotify"
)

// What the master puts in a worker's environment, besides the settings
// (RESYNC_*, see package config) and what package listen adds for the sockets
// (RESYNC_LISTEN_FDS, RESYNC_LISTEN_FDNAMES).
const (
	EnvNotifySocket = "NOTIFY_SOCKET"     // the master's notify socket, not systemd's
	EnvGeneration   = "RESYNC_GENERATION" // the worker's generation, for its records
	EnvLogFD        = "RESYNC_LOG_FD"     // the records pipe, the fd after the sockets
)

// A worker's exit codes.
const (
	ExitOK   = 0 // drained cleanly
	ExitFail = 1 // stopped by an error while serving: respawn it
	ExitBoot = 3 // cannot start at all: respawning would only loop (gunicorn's WORKER_BOOT_ERROR)
)

// ErrBoot marks failures before serving. A worker exits ExitBoot with it; the
// master returns it (and resync exits ExitBoot) when no worker could boot.
var ErrBoot = errors.New("worker failed to boot")

// The keys of ours a worker sends; sd_notify(3) reserves X_ for applications.
const (
	KeyMetrics = "X_RESYNC_METRICS" // Counters.Encode()
	KeyRecycle = "X_RESYNC_RECYCLE" // why the worker wants to be replaced
	KeyGC      = "X_RESYNC_GC"      // the JSON answer to a SIGUSR2
)

// RecycleMaxRequests is the reason a worker gives once its request budget is spent.
const RecycleMaxRequests = "max-requests"

// Ready is the first message: the worker accepts on its sockets.
func Ready() string { return sdnotify.Format("READY", "1", "STATUS", "serving") }

// Heartbeat proves the worker's runtime is alive and carries its counts.
func Heartbeat(c Counters) string {
	return sdnotify.Format("WATCHDOG", "1", KeyMetrics, c.Encode())
}

// Recycle asks for a replacement; the worker goes on serving until it is
// told to drain.
func Recycle(reason string, c Counters) string {
	return sdnotify.Format(KeyRecycle, reason, KeyMetrics, c.Encode())
}

// Stopping says the worker drains after SIGTERM, and accepts no more
// connections: it is sent once its listeners are closed.
func Stopping() string { return sdnotify.Format("STOPPING", "1", "STATUS", "draining") }

// Final is the last word before exit: the counts, so that no request served
// since the last heartbeat goes uncounted.
func Final(c Counters) string { return sdnotify.Format(KeyMetrics, c.Encode()) }

// GCAnswer answers a SIGUSR2 with the JSON of a forced collection.
func GCAnswer(json string) string { return sdnotify.Format(KeyGC, json) }

// Note is what one message from a worker says, as the master reads it.
type Note struct {
	Ready    bool      // READY=1
	Beat     bool      // WATCHDOG=1
	Counters *Counters // nil when the message carries none
	Recycle  string    // "" unless the worker asks to be replaced
	GC       *string   // the answer to a SIGUSR2, when this is one
	Stopping bool      // STOPPING=1: its listeners are closed, it drains
}

// Read interprets a message. Keys it does not know (STATUS, STOPPING…) are
// informational. Counters that do not decode are an error; the rest of the
// note is still filled in.
func Read(m sdnotify.Message) (Note, error) {
	n := Note{Ready: m["READY"] == "1", Beat: m["WATCHDOG"] == "1", Recycle: m[KeyRecycle], Stopping: m["STOPPING"] == "1"}
	if v, ok := m[KeyGC]; ok {
		n.GC = &v
	}
	if v, ok := m[KeyMetrics]; ok {
		c, err := DecodeCounters(v)
		if err != nil {
			return n, fmt.Errorf("read %s: %w", KeyMetrics, err)
		}
		n.Counters = &c
	}
	return n, nil
}
