package main

import (
	"log/slog"
	"os"
	"strconv"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/logging"
	"github.com/resync/resync/internal/protocol"
)

// masterLogs sets up journald or stderr, and the log files: only the master
// writes them.
func masterLogs(cfg config.Config) (*logging.Master, error) {
	return logging.NewMaster(cfg.Log, os.Stderr)
}

// workerLogger writes records to the master's pipe; a worker started by hand
// (no pipe) logs text to stderr.
func workerLogger(cfg config.Config) *logging.Worker {
	lvl, err := logging.ParseLevel(cfg.Log.Level)
	if err != nil {
		lvl = slog.LevelInfo
	}
	fd, err := strconv.Atoi(os.Getenv(protocol.EnvLogFD))
	if err != nil || fd < 3 {
		return logging.NewTextWorker(os.Stderr, lvl)
	}
	return logging.NewWorker(os.NewFile(uintptr(fd), "records"), lvl)
}
