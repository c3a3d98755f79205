package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/gorilla/mux"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/doctor"
	"github.com/resync/resync/internal/embedredis"
	"github.com/resync/resync/internal/httpapi"
	"github.com/resync/resync/internal/ratelimit"
	"github.com/resync/resync/internal/redisclient"
	"github.com/resync/resync/internal/session"
)

// embeddedNote is what the log and readiness say of the master's embedded store.
const embeddedNote = "embedded (single host): the master's in-memory store, not for production — set RESYNC_REDIS_URL to a Redis every host shares"

// envEmbedded marks, in the environment the master gives its workers, that
// RESYNC_REDIS_URL points at the master's embedded store.
const envEmbedded = "RESYNC_INTERNAL_REDIS_EMBEDDED"

// workerRedis opens the worker's one Redis client — nil when there is no
// RESYNC_REDIS_URL — and the readiness probe reporting on it as checks.redis.
func workerRedis(cfg config.Config, log *slog.Logger) (redis.UniversalClient, httpapi.Probe, error) {
	if cfg.Redis.URL == "" {
		return nil, nil, nil
	}
	redisclient.SetLogger(log)
	rdb, err := redisclient.New(cfg.Redis)
	if err != nil {
		return nil, nil, err
	}
	embedded := os.Getenv(envEmbedded) == "1"
	required := cfg.Redis.Required
	probe := func(ctx context.Context) httpapi.ProbeResult {
		r := redisclient.Ping(ctx, rdb)
		fields := map[string]any{"latency_ms": float64(r.Latency.Microseconds()) / 1000, "required": required}
		if embedded {
			fields["embedded"] = true
			fields["note"] = embeddedNote
		}
		return httpapi.ProbeResult{Err: r.Err, Critical: required, Fields: fields}
	}
	return rdb, probe, nil
}

// mountShared puts what lives in Redis into the worker's handler options:
// checks.redis, the rate limits, the admin sessions and their login routes.
func mountShared(opts *httpapi.Options, cfg config.Config, rdb redis.UniversalClient, probe httpapi.Probe,
	clients *clientip.Resolver, log *slog.Logger) {
	if rdb == nil {
		return
	}
	if opts.Probes == nil {
		opts.Probes = map[string]httpapi.Probe{}
	}
	opts.Probes["redis"] = probe
	lim := ratelimit.New(rdb, ratelimit.Options{Default: cfg.Redis.LimitDefault, Auth: cfg.Redis.LimitAuth,
		FailOpen: cfg.Redis.LimitFail == "open", Clients: clients, Logger: log})
	opts.Limit = lim.Middleware
	opts.Collectors = append(opts.Collectors, lim.Collector())

	auth := &session.Auth{Store: session.NewStore(rdb, cfg.Redis.SessionTTL), User: cfg.Redis.AdminUser,
		PasswordHash: cfg.Redis.AdminPasswordHash, Clients: clients, Logger: log}
	opts.Session = auth.Session
	opts.Routes = append(opts.Routes, func(r *mux.Router, _ httpapi.Guards) {
		// Open to anyone: the login is the credential, and the auth limit
		// (RESYNC_RATE_LIMIT_AUTH) bounds guessing.
		r.HandleFunc("/api/v1/auth/login", auth.Login).Methods(http.MethodPost)
		r.HandleFunc("/api/v1/auth/logout", auth.Logout).Methods(http.MethodPost)
	})
}

// doctorRedis PINGs the Redis the workers use — the master's embedded store
// at its socket when the configuration asks for that — for resync doctor.
func doctorRedis(ctx context.Context, cfg config.Config) doctor.RedisFacts {
	if err := cfg.SharedStateError(); err != nil {
		return doctor.RedisFacts{Refused: err}
	}
	rc := cfg.Redis
	f := doctor.RedisFacts{Embedded: cfg.EmbeddedRedis()}
	if f.Embedded {
		rc.URL = "unix://" + embedredis.Path(cfg.RuntimeDir)
	}
	rc.PoolMin = 0 // one PING: no idle connections to keep
	f.Where = redisclient.Redacted(rc.URL)
	rdb, err := redisclient.New(rc)
	if err != nil {
		f.Err = err
		return f
	}
	defer rdb.Close()
	r := redisclient.Ping(ctx, rdb)
	f.Latency, f.Err = r.Latency, r.Err
	return f
}
