package main

import (
	"log/slog"
	"os"

	"github.com/gorilla/mux"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/httpapi"
	"github.com/resync/resync/internal/hwasim"
	"github.com/resync/resync/internal/monitoring"
	"github.com/resync/resync/internal/poller"
	"github.com/resync/resync/internal/tws"
)

// mountMonitoring builds the worker's live monitoring (internal/monitoring):
// its candidate for the one poller, reading the plan through the TWS API's
// HWA client and warming that API's cache, and its feed reader. Without
// Redis it is off and its routes and checks.monitoring say why. The
// returned service's Start runs it and Drain closes its feeds.
func mountMonitoring(opts *httpapi.Options, cfg config.Config, log *slog.Logger, rdb redis.UniversalClient,
	api *tws.Service) *monitoring.Service {
	o := monitoring.Options{Simulated: os.Getenv(hwasim.EnvSimulated) == "1", Config: cfg.Monitoring, Log: log}
	if rdb != nil { // a nil client in the interface would not be nil
		o.Redis = rdb
	}
	if c := api.Client(); c != nil {
		o.Source = poller.FromHWA(c, api.Warm)
	}
	svc := monitoring.New(o)
	opts.Routes = append(opts.Routes, func(r *mux.Router, g httpapi.Guards) { svc.Mount(r, g) })
	opts.Collectors = append(opts.Collectors, svc.Collector())
	if opts.Probes == nil {
		opts.Probes = map[string]httpapi.Probe{}
	}
	opts.Probes["monitoring"] = svc.Probe
	return svc
}
