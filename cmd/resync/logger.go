package main

import (
	"log/slog"
	"os"

	"github.com/resync/resync/internal/config"
)

// newLogger is the plain stderr logger; journald and files come with
// internal/logging.
func newLogger(cfg config.Config, role string) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	l := slog.New(h)
	if role == "worker" {
		l = l.With("worker_pid", os.Getpid(), "generation", os.Getenv("RESYNC_GENERATION"))
	}
	return l
}
