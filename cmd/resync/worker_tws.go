package main

import (
	"log/slog"
	"os"

	"github.com/gorilla/mux"

	"github.com/resync/resync/internal/cache"
	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/executor"
	"github.com/resync/resync/internal/httpapi"
	"github.com/resync/resync/internal/hwa"
	"github.com/resync/resync/internal/hwasim"
	"github.com/resync/resync/internal/tws"
)

// mountTWS builds the worker's TWS API (internal/tws) from cfg and mounts it
// behind the operator guard, with its readiness check.
func mountTWS(opts *httpapi.Options, cfg config.Config, log *slog.Logger) (*tws.Service, error) {
	t := cfg.TWS
	simulated := os.Getenv(hwasim.EnvSimulated) == "1"
	var client *hwa.Client
	if t.URL != "" {
		password, from, err := hwa.Password(t.Password)
		if err != nil {
			return nil, err
		}
		client, err = hwa.New(hwa.Config{URL: t.URL, User: t.User, Password: password, CAFile: t.CAFile,
			InsecureSkipVerify: t.InsecureSkipVerify, ConnectTimeout: t.ConnectTimeout,
			RequestTimeout: t.RequestTimeout, Retries: retries(t.Retries)})
		if err != nil {
			return nil, err
		}
		if t.InsecureSkipVerify {
			log.Warn("RESYNC_TWS_INSECURE_SKIP_VERIFY=true: the HWA engine's certificate is not verified")
		}
		log.Debug("HWA engine", "url", client.Base(), "user", t.User, "password_from", from, "simulated", simulated)
	}
	svc := tws.New(tws.Options{
		Client: client, Simulated: simulated, Logger: log,
		Cache: cache.New(cache.Options{MaxItems: t.Cache.MaxItems, MaxBytes: int64(t.Cache.MaxMB) << 20,
			StaleMax: t.StaleMax, LockTTL: t.RequestTimeout}),
		TTL: tws.TTLs{JobStatus: t.Cache.TTLJobStatus, JobLog: t.Cache.TTLJobLog, Model: t.Cache.TTLModel,
			Graph: t.Cache.TTLGraph, Default: t.Cache.TTLDefault},
		Executor: executor.New(t.ExecutorSize),
	})
	opts.Routes = append(opts.Routes, func(r *mux.Router, g httpapi.Guards) { svc.Mount(r, g.Operator) })
	if opts.Checks == nil {
		opts.Checks = map[string]httpapi.Check{}
	}
	name := "hwa"
	if simulated {
		name = "hwa_simulator" // readiness says the engine is resync's own simulator
	}
	opts.Checks[name] = svc.Check
	return svc, nil
}

// retries maps the setting (0 = none) onto hwa.Config (0 = default, <0 = none).
func retries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
