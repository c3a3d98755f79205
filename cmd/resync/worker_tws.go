package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/redis/go-redis/v9"

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
// behind the operator guard, with its readiness probe. rdb, when set, is the
// cache's tier 2, shared by every worker and host.
func mountTWS(opts *httpapi.Options, cfg config.Config, log *slog.Logger, rdb redis.UniversalClient) (*tws.Service, error) {
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
	co := cache.Options{MaxItems: t.Cache.MaxItems, MaxBytes: int64(t.Cache.MaxMB) << 20,
		StaleMax: t.StaleMax, LockTTL: t.RequestTimeout}
	if rdb != nil {
		co.Shared = cache.NewRedis(rdb, "resync:cache:")
	}
	svc := tws.New(tws.Options{
		Client: client, Simulated: simulated, Logger: log, Cache: cache.New(co),
		TTL: tws.TTLs{JobStatus: t.Cache.TTLJobStatus, JobLog: t.Cache.TTLJobLog, Model: t.Cache.TTLModel,
			Graph: t.Cache.TTLGraph, Default: t.Cache.TTLDefault},
		Executor: executor.New(t.ExecutorSize),
	})
	if err := svc.Boot(); err != nil {
		return nil, err
	}
	opts.Routes = append(opts.Routes, func(r *mux.Router, g httpapi.Guards) { svc.Mount(r, g.Operator) })
	if opts.Probes == nil {
		opts.Probes = map[string]httpapi.Probe{}
	}
	// Never critical: with the engine down the API still serves stale data.
	opts.Probes["hwa"] = func(context.Context) httpapi.ProbeResult {
		f := map[string]any{"simulated": simulated, "shared_cache": rdb != nil}
		if client != nil {
			f["engine"], f["breaker"] = client.Base(), client.BreakerState()
		}
		return httpapi.ProbeResult{Err: svc.Check(), Fields: f}
	}
	return svc, nil
}

// retries maps the setting (0 = none) onto hwa.Config (0 = default, <0 = none).
func retries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
