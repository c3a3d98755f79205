package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/httpapi"
	"github.com/resync/resync/internal/protocol"
	"github.com/resync/resync/internal/worker"
)

// runWorker is started by the master only; its settings arrive in the
// environment the master prepared.
func runWorker(args []string) int {
	// Exec'd as /proc/self/exe, the kernel named this process "exe"; top,
	// pidof and the journal's _COMM should say resync.
	_ = os.WriteFile("/proc/self/comm", []byte("resync"), 0)
	cfg, err := config.Load(os.Environ())
	if err != nil {
		printErrors("resync worker", err)
		return exitBoot
	}
	wlog := workerLogger(cfg)
	defer wlog.Flush() // access records are written in batches
	log := wlog.Logger
	// One identity for the access log, the guards and the rate limits.
	clients := clientip.New(cfg.Log.TrustedPrefixes())
	opts := httpapi.Options{Logger: log, Clients: clients,
		Production: cfg.Mode == "production", AdminToken: cfg.Metrics.AdminToken, APITokens: cfg.Security.APITokens}
	rdb, redisProbe, err := workerRedis(cfg, log)
	if err != nil {
		log.Error("redis", "error", err)
		return exitBoot
	}
	if rdb != nil {
		defer rdb.Close()
	}
	mountShared(&opts, cfg, rdb, redisProbe, clients, log)
	twsAPI, err := mountTWS(&opts, cfg, log, rdb)
	if err != nil {
		log.Error("cannot set up the TWS API", "error", err)
		return exitBoot
	}
	mon := mountMonitoring(&opts, cfg, log, rdb, twsAPI)
	if cfg.Metrics.Enabled {
		opts.Master = masterClient(control.Path(cfg.RuntimeDir))
	}
	mon.Start()
	// worker.Run puts the handler chain around the routes (worker.chain).
	err = worker.Run(cfg, worker.Options{Handler: httpapi.New(opts), MaxHeaderBytes: httpapi.MaxHeaderBytes,
		Logger: log, Access: wlog.AccessLog(cfg.Log, clients), Extra: twsAPI.Series, Drain: mon.Drain})
	mon.Drain() // a worker that stopped without a drain still hands the poller over
	if err != nil {
		if errors.Is(err, protocol.ErrBoot) {
			fmt.Fprintln(os.Stderr, "resync worker:", err)
			return exitBoot
		}
		log.Error("worker stopped", "error", err)
		return exitFail
	}
	return exitOK
}

// masterClient asks the master over its control socket.
type masterClient string

func (path masterClient) Call(cmd string) (json.RawMessage, error) {
	return control.Data(string(path), cmd, 15*time.Second)
}
