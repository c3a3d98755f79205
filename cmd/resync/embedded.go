package main

import (
	"log/slog"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/embedredis"
	"github.com/resync/resync/internal/metrics"
)

// embeddedRedis is the store a master serves its workers when the
// configuration asks for it (config.EmbeddedRedis: RESYNC_REDIS_URL empty in
// development, or "embedded"). It starts on first need — at start, or at the
// reload that first asks for it — and lives as long as the master, so that
// recycled workers and every reload's new generation reconnect to the same
// socket and find the same limits, locks and sessions.
//
// Only the master's loop calls apply (through Spawn); serve closes it.
type embeddedRedis struct {
	runtimeDir string // the master's, at start: a reload moving it does not move the store
	log        *slog.Logger
	store      *embedredis.Store
	inUse      bool // the last worker started was given the store
}

// apply points a configuration that wants the embedded store at it, and
// gives the worker environment that marks it embedded.
func (e *embeddedRedis) apply(cfg config.Config) (config.Config, []string, error) {
	e.inUse = cfg.EmbeddedRedis()
	if !e.inUse {
		return cfg, nil, nil
	}
	if e.store == nil {
		s, err := embedredis.Start(e.runtimeDir)
		if err != nil {
			return cfg, nil, err
		}
		e.store = s
		e.log.Warn("no RESYNC_REDIS_URL: rate limits, locks and sessions are kept in an embedded store in the master — "+
			"one host, in memory, lost on restart, not for production", "socket", s.Path())
	}
	cfg.Redis.URL = e.store.URL()
	return cfg, []string{envEmbedded + "=1"}, nil
}

// health is the dashboard's Redis tile while the workers use the store (the
// master's loop calls it, as it calls apply). A real Redis is the workers'
// to report (checks.redis).
func (e *embeddedRedis) health() map[string]metrics.Health {
	if !e.inUse || e.store == nil {
		return nil
	}
	return map[string]metrics.Health{"redis": {Status: "ok", Detail: embeddedNote}}
}

func (e *embeddedRedis) Close() {
	if e.store != nil {
		e.store.Close()
	}
}

// loadServeConfig is config.Load for the master, at start and on every
// reload: production without a Redis is refused before any worker starts.
func loadServeConfig(environ []string) (config.Config, error) {
	cfg, err := config.Load(environ)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.SharedStateError()
}
