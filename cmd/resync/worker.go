package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/httpapi"
	"github.com/resync/resync/internal/worker"
)

// runWorker is started by the master only; its settings arrive in the
// environment the master prepared.
func runWorker(args []string) int {
	cfg, err := config.Load(os.Environ())
	if err != nil {
		printErrors("resync worker", err)
		return exitBoot
	}
	log := newLogger(cfg, "worker")
	handler := httpapi.New(httpapi.Options{Logger: log, Timeout: cfg.Timeout})
	if err := worker.Run(cfg, handler, log); err != nil {
		if errors.Is(err, worker.ErrBoot) {
			fmt.Fprintln(os.Stderr, "resync worker:", err)
			return exitBoot
		}
		log.Error("worker stopped", "error", err)
		return exitFail
	}
	return exitOK
}
